# The two commands a new user needs: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHECKOV_VENV ?= .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
TRANSLATED := .aws-sam/translated
export LIBRARY_DATA_DIR ?= $(CURDIR)/.data
export SAM_CLI_TELEMETRY := 0
# Source layout on sys.path the way Lambda lays out a function and its layer (see pyproject's pythonpath).
FUNCTION_PATHS := $(shell ls -d functions/*/ 2>/dev/null | sed 's:/$$::' | tr '\n' ':')
export PYTHONPATH := $(CURDIR):$(CURDIR)/layers/common:$(FUNCTION_PATHS)

.PHONY: install run test lint validate checkov unit openapi build bench remind import rotate-signing-key clean console console-test \
	sam-local sam-local-up sam-local-down invoke

$(STAMP): requirements-dev.txt layers/common/requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $(CHECKOV_STAMP)

run: install
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory console; else echo "$(NO_NODE)"; fi
	$(PY) -m devtools.run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

validate: install
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/sam validate --lint

openapi: install
	$(PY) -m devtools.openapi

# checkov on the template as CloudFormation gets it (translated offline by samtranslator), in both deployment
# modes; every skip is in the resource's Metadata with its reason.
checkov: install $(CHECKOV_STAMP)
	rm -rf $(TRANSLATED)
	$(PY) -m devtools.cloudformation $(TRANSLATED)
	$(CHECKOV_VENV)/bin/checkov --framework cloudformation --directory $(TRANSLATED) --compact --quiet

# ruff, `sam validate --lint` (cfn-lint), checkov, the console's type check, unit tests and build, then pytest:
# unit, handler, deploy, HTTP, schemathesis and the console's end-to-end tests in Chromium (skipped, saying why,
# without it).
test: lint validate checkov
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory console-test console; else echo "$(NO_NODE)"; fi
	$(PY) -m pytest $(PYTEST_ARGS)
	@command -v dockerd >/dev/null || echo "$(NO_DOCKER)"

# The web console (console/): dependencies from the lock file, then a Vite build into the console function's
# package (functions/console/library_console/static), which the local API and `sam build` serve. Does nothing
# when the build is newer than its sources.
CONSOLE_STATIC := functions/console/library_console/static
CONSOLE_SOURCES := $(shell find console/src console/index.html console/vite.config.ts console/tsconfig.json -type f 2>/dev/null)
NO_DOCKER := NOTICE: no Docker (dockerd) here: make test ran without the functions under SAM. make sam-local runs them (apt-get install docker.io debootstrap; .ci/run does).
NO_NODE := NOTICE: no npm on PATH: the API runs without the web console. For the console, install Node.js 20 or newer with npm, then run make console (make run and make test do it when npm is there).

console/node_modules/.installed: console/package.json console/package-lock.json
	@command -v npm >/dev/null || { echo "$(NO_NODE)" >&2; exit 1; }
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CONSOLE_STATIC)/index.html: console/node_modules/.installed $(CONSOLE_SOURCES)
	cd console && npm run --silent build

console: $(CONSOLE_STATIC)/index.html

# Type check and the vitest unit tests of the console's data and auth providers.
console-test: console/node_modules/.installed
	cd console && npm run --silent typecheck && npm test --silent

build: install
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/sam build $(SAM_BUILD_ARGS)

# The functions under the real SAM CLI in Docker (Debian's docker.io and debootstrap; no image registry needed):
# dockerd (reused if one answers), the offline Lambda base image, `sam build` for this machine's architecture, a
# PostgreSQL on docker's bridge gateway (or DATABASE_URL) and env.json. `make sam-local` then invokes every event
# in events/ through `sam local start-lambda` and replays a flow through `sam local start-api` and the local API,
# and stops everything it started. See the README's "Invoke a function with SAM".
SAM_LOCAL := $(PY) -m devtools.sam_local
sam-local: install
	$(SAM_LOCAL) check

sam-local-up: install
	$(SAM_LOCAL) up

sam-local-down: install
	$(SAM_LOCAL) down

# One event through `sam local invoke` (brings up what it needs; make sam-local-down stops it):
# make invoke FN=AuthFunction EVENT=events/auth/get_profile.json
invoke: install
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=AuthFunction EVENT=events/auth/get_profile.json" >&2; exit 2; }
	$(SAM_LOCAL) invoke "$(FN)" "$(EVENT)"

bench: install
	$(PY) -m bench.run_all

# The reminders function's daily job, then a delivery run, once, against the `make run` database.
remind: install
	$(PY) -m devtools.remind

# Import a CSV into the `make run` database with a progress bar: make import FILE=books.csv [IMPORT_ARGS=--dry-run]
import: install
	@test -n "$(FILE)" || { echo "usage: make import FILE=books.csv [IMPORT_ARGS='--dry-run --atomic']" >&2; exit 2; }
	$(PY) -m devtools.import_books "$(FILE)" $(IMPORT_ARGS)

# A new access-token signing key for a deployed stack (the old one stays accepted until its tokens expire);
# REVOKE=1 stops accepting the current key at once (a leaked key). Needs AWS credentials for the stack's account.
rotate-signing-key: install
	@test -n "$(STACK)" || { echo "usage: make rotate-signing-key STACK=<stack name> [REVOKE=1]" >&2; exit 2; }
	$(VENV)/bin/sam remote invoke SigningKeysFunction --stack-name "$(STACK)" \
		--event '{"action": "rotate", "revoke": $(if $(REVOKE),true,false)}'

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache $(CONSOLE_STATIC) console/node_modules
