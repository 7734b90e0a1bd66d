"""Both images carry the compiled Chinese catalogue: checked without building them (no container engine needed).

git keeps only the catalogue's source (`*.mo` is ignored), so each Dockerfile
must compile it. The check reads the Dockerfiles' stages, then runs the very
command the catalogue stage runs on a copy of `locale/`, and reads a page
string back in Chinese from what it made.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILES = [ROOT / "Dockerfile", ROOT / "deploy" / "Dockerfile"]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages(path: Path) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for word, rest in instructions(path.read_text()):
        if word == "FROM":
            result.append([])
        result[-1].append((word, rest))
    return result


def named(stage: list[tuple[str, str]]) -> str:
    return stage[0][1].split(" AS ")[-1].strip() if " AS " in stage[0][1] else ""


def workdir(stage: list[tuple[str, str]]) -> str:
    return [rest for word, rest in stage if word == "WORKDIR"][-1]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_image_compiles_the_catalogue_and_carries_it_where_django_looks(dockerfile):
    all_stages = stages(dockerfile)
    catalogue = next(s for s in all_stages if named(s) == "catalogue")
    assert ("COPY", "locale locale") in catalogue
    assert any(word == "RUN" and "gettext" in rest for word, rest in catalogue)
    assert any(word == "RUN" and "msgfmt" in rest for word, rest in catalogue)
    final = all_stages[-1]
    # settings.LOCALE_PATHS is <the app's directory>/locale; the app lives in WORKDIR.
    assert workdir(final) == "/app"
    assert ("COPY", f"--from=catalogue {workdir(catalogue)}/locale locale") in final


def test_the_build_context_keeps_the_catalogue_source():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not any(pattern.strip("/*") == "locale" for pattern in ignored)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_catalogue_stage_command_makes_a_catalogue_that_speaks_chinese(dockerfile, tmp_path):
    if shutil.which("msgfmt") is None:
        pytest.fail("GNU msgfmt is missing: `make setup` installs Debian's gettext")
    catalogue = next(s for s in stages(dockerfile) if named(s) == "catalogue")
    command = next(rest for word, rest in catalogue if word == "RUN" and "msgfmt" in rest)
    shutil.copytree(ROOT / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True)
    chinese = gettext.translation("django", tmp_path / "locale", languages=["zh_Hans"])
    assert chinese.gettext("Simulation") == "模拟"
