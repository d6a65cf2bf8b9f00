# apkdrop developer commands. Everything a fresh clone needs is installed from here.
PYTHON ?= python3
VENV := .venv
TASKS_VENV := .venv-tasks-emulator
PY := $(VENV)/bin/python
EMAIL ?=

.PHONY: dev test unit lint api-key clean venvs bench chromium

$(VENV)/.installed: requirements-dev.txt functions/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(TASKS_VENV)/.installed: infra/requirements-tasks-emulator.txt
	$(PYTHON) -m venv $(TASKS_VENV)
	$(TASKS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r infra/requirements-tasks-emulator.txt
	touch $@

venvs: $(VENV)/.installed $(TASKS_VENV)/.installed

# Browser tests drive Debian's Chromium through Playwright (browser downloads do not work here).
chromium:
	@command -v chromium >/dev/null || { \
	  command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || { \
	    echo "the browser tests need Chromium: apt-get install chromium" >&2; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## Start the whole local stack; Ctrl-C stops it.
dev: venvs
	$(PY) -m infra.stack

## Run every test: unit, then integration against emulators started on free ports.
test: venvs chromium
	$(PY) -m infra.prerequisites
	$(PY) -m pytest

unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

## Benchmark APK inspection against downloading whole APKs, on its own storage emulator.
bench: $(VENV)/.installed
	$(PY) -m bench.inspection

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## Create (or reuse) the account for EMAIL on the running dev stack and print a new API key.
api-key: $(VENV)/.installed
	@test -n "$(EMAIL)" || { echo "usage: make api-key EMAIL=you@example.com" >&2; exit 2; }
	@$(PY) -m infra.api_key "$(EMAIL)"

clean:
	rm -rf $(VENV) $(TASKS_VENV) .dev
