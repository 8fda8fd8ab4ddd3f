# The two commands a new user needs: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export LIBRARY_DATA_DIR ?= $(CURDIR)/.data
export SAM_CLI_TELEMETRY := 0
# Source layout on sys.path the way Lambda lays out a function and its layer (see pyproject's pythonpath).
FUNCTION_PATHS := $(shell ls -d functions/*/ 2>/dev/null | sed 's:/$$::' | tr '\n' ':')
export PYTHONPATH := $(CURDIR):$(CURDIR)/layers/common:$(FUNCTION_PATHS)

.PHONY: install run test lint validate unit openapi build bench remind import clean

$(STAMP): requirements-dev.txt layers/common/requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m devtools.run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

validate: install
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/sam validate --lint

openapi: install
	$(PY) -m devtools.openapi

# ruff, `sam validate --lint` (cfn-lint), then pytest: unit, handler, HTTP and schemathesis tests.
test: lint validate
	$(PY) -m pytest $(PYTEST_ARGS)

build: install
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/sam build $(SAM_BUILD_ARGS)

bench: install
	$(PY) -m bench.run_all

# The reminders function's daily job, then a delivery run, once, against the `make run` database.
remind: install
	$(PY) -m devtools.remind

# Import a CSV into the `make run` database with a progress bar: make import FILE=books.csv [IMPORT_ARGS=--dry-run]
import: install
	@test -n "$(FILE)" || { echo "usage: make import FILE=books.csv [IMPORT_ARGS='--dry-run --atomic']" >&2; exit 2; }
	$(PY) -m devtools.import_books "$(FILE)" $(IMPORT_ARGS)

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache
