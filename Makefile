# One entry point per job, for people and CI alike.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The Chinese pages and diagrams need a CJK font, or screenshots and PNG exports show boxes.
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

.PHONY: run test lint bench setup setup-test clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

setup: $(VENV)/.installed
	scripts/ensure-debian-packages.sh dot:graphviz msgfmt:gettext
	$(PY) manage.py compilemessages --ignore=$(VENV) -v0

setup-test: setup $(VENV)/.installed-test
	scripts/ensure-debian-packages.sh redis-server:redis-server chromium:chromium fc-list:fonts-dejavu-core docker-compose:docker-compose \
		$(CJK_FONT):fonts-noto-cjk

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: setup-test
	$(VENV)/bin/ruff check explorer tests benchmarks
	$(VENV)/bin/ruff format --check explorer tests benchmarks
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest

bench: setup-test
	$(PY) benchmarks/render.py
	$(PY) benchmarks/simulate.py
	$(PY) benchmarks/kube_mapping.py
	$(PY) benchmarks/kube_latency.py
	$(PY) benchmarks/hostile.py
	$(PY) benchmarks/fanout.py
	$(PY) benchmarks/replay.py
	$(PY) benchmarks/hostile_commands.py
	$(PY) benchmarks/browser_scale.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis staticfiles
