# apkdrop developer commands. Everything a fresh clone needs is installed from here.
PYTHON ?= python3
VENV := .venv
TASKS_VENV := .venv-tasks-emulator
PY := $(VENV)/bin/python
EMAIL ?=

.PHONY: dev test unit lint api-key clean venvs bench

$(VENV)/.installed: requirements-dev.txt functions/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(TASKS_VENV)/.installed: infra/requirements-tasks-emulator.txt
	$(PYTHON) -m venv $(TASKS_VENV)
	$(TASKS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r infra/requirements-tasks-emulator.txt
	touch $@

venvs: $(VENV)/.installed $(TASKS_VENV)/.installed

## Start the whole local stack; Ctrl-C stops it.
dev: venvs
	$(PY) -m infra.stack

## Run every test: unit, then integration against emulators started on free ports.
test: venvs
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
