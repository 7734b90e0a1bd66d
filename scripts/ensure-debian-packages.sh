#!/usr/bin/env bash
# Installs the Debian packages the explorer needs when their program is missing.
# Usage: ensure-debian-packages.sh PROGRAM:PACKAGE [PROGRAM:PACKAGE ...]
# PROGRAM may be an absolute path instead (a font file, say): the package is needed when it is absent.
# As root it runs apt-get; otherwise it names the packages to install and fails.
set -euo pipefail
missing=()
for pair in "$@"; do
  program=${pair%%:*}
  package=${pair#*:}
  if [[ $program == /* ]]; then
    [ -e "$program" ] || missing+=("$package")
  else
    command -v "$program" >/dev/null 2>&1 || missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them as root:  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
