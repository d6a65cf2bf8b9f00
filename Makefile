# apkdrop developer commands. Everything a fresh clone needs is installed from here.
PYTHON ?= python3
VENV := .venv
# These two pin dependencies that clash with ours (protobuf<5; packaging<24): venvs of their own.
TASKS_VENV := .venv-tasks-emulator
CHECKOV_VENV := .venv-checkov
FUNCTIONS_VENV := .venv-functions
PY := $(VENV)/bin/python
EMAIL ?=
PROJECT ?=

.PHONY: dev test unit functions-venv lint openapi api-key revoke-key clean venvs bench chromium terraform-check

$(VENV)/.installed: requirements-dev.txt functions/requirements.txt cli/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(TASKS_VENV)/.installed: infra/requirements-tasks-emulator.txt
	$(PYTHON) -m venv $(TASKS_VENV)
	$(TASKS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r infra/requirements-tasks-emulator.txt
	touch $@

$(CHECKOV_VENV)/.installed: infra/requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r infra/requirements-checkov.txt
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
	$(PY) -m infra.dev

## Run every test: Terraform checks, unit tests, then integration tests against emulators
## started on free ports.
test: venvs chromium terraform-check functions-venv
	$(PY) -m infra.prerequisites
	$(PY) -m pytest

## A venv of functions/requirements.txt alone, on the Python of Terraform's runtime, as Cloud
## Functions builds it (tests/integration/test_packaging.py starts every entry point from it).
## Built here, not inside the test's time limit; reused while the requirements are unchanged.
functions-venv: $(VENV)/.installed
	$(PY) -m infra.functions_venv

unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

## Terraform checks that need no Google Cloud: formatting, checkov offline (no update check, no
## platform download, no external modules) with zero failed checks, then the real `terraform
## validate` and `plan` (with and without the load balancer) against stand-in providers serving
## the google provider's published schema (../shared/tools/terraform-offline; its README says what
## that proves). Without that folder: the real `terraform init -backend=false && validate`, which
## needs registry.terraform.io.
TF_OFFLINE_CHECK := ../shared/tools/terraform-offline/check
TF_PLAN_VARS := -var project_id=apkdrop-check -var region=europe-west1 -var email_from=apkdrop@example.com
terraform-check: $(CHECKOV_VENV)/.installed
	@command -v terraform >/dev/null || { \
	  echo "terraform-check needs the terraform CLI: https://developer.hashicorp.com/terraform/install" >&2; exit 1; }
	terraform fmt -check -recursive terraform
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov \
		-d terraform --framework terraform --skip-download --download-external-modules false \
		--compact --quiet
	@if [ -x $(TF_OFFLINE_CHECK) ]; then \
	  $(TF_OFFLINE_CHECK) terraform --plan -- $(TF_PLAN_VARS) && \
	  $(TF_OFFLINE_CHECK) terraform --plan -- $(TF_PLAN_VARS) -var 'load_balancer={domain="apkdrop.example.com"}'; \
	else \
	  echo "$(TF_OFFLINE_CHECK) is absent: the real terraform init and validate (needs the registry)"; \
	  cd terraform && terraform init -backend=false -input=false && terraform validate; \
	fi

## Benchmarks, each side by side with its baseline: APK inspection against downloading whole
## APKs (on its own storage emulator), and each entry point's cold start against a hello world.
bench: $(VENV)/.installed
	$(PY) -m bench.inspection
	$(PY) -m bench.cold_start
	$(PY) -m bench.uploads

## Regenerate docs/openapi.json from the pydantic models (a unit test fails when it is stale).
openapi: $(VENV)/.installed
	PYTHONPATH=functions $(PY) -m apkdrop.openapi > docs/openapi.json

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pyright

## A new API key for EMAIL (its account is created if new), printed as the last line: on the
## running dev stack, or with PROJECT=my-project on that project's Firestore (gcloud's
## application-default credentials). SCOPE=upload makes a CI key (uploads and reads only);
## admin, the default, may do everything.
API_KEY_USAGE = usage: make api-key EMAIL=you@example.com [SCOPE=upload|admin] [PROJECT=id]
api-key: $(VENV)/.installed
	@test -n "$(EMAIL)" || { echo "$(API_KEY_USAGE)" >&2; exit 2; }
	@case "$(or $(SCOPE),admin)" in upload|admin) ;; *) echo "SCOPE must be upload or admin; $(API_KEY_USAGE)" >&2; exit 2;; esac
	@$(PY) -m infra.api_key "$(EMAIL)" --scope "$(or $(SCOPE),admin)" $(if $(PROJECT),--project "$(PROJECT)")

## Revoke a key: make revoke-key KEY=apkd_... [PROJECT=id]
revoke-key: $(VENV)/.installed
	@test -n "$(KEY)" || { echo "usage: make revoke-key KEY=apkd_... [PROJECT=id]" >&2; exit 2; }
	@$(PY) -m infra.api_key --revoke "$(KEY)" $(if $(PROJECT),--project "$(PROJECT)")

clean:
	rm -rf $(VENV) $(TASKS_VENV) $(CHECKOV_VENV) $(FUNCTIONS_VENV) .dev test-artifacts
