# Jiandu: `make run` serves the demo newsroom, `make test` runs the whole suite.
# Every target sets up what it needs and can be run again safely.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The first Python >= 3.12 we can find: PATH, then pyenv's versions.
PYTHON := $(shell for c in python3.13 python3.12 python3 \
	$$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] 2>/dev/null); do \
	  command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	  && { command -v $$c; break; }; done)
APT_RUN := $(shell awk 'NF && index($$1, "\043") != 1 && $$2 == "run" {print $$1}' apt-packages.txt)
# `make run-scaled` needs the `run` packages and the `scaled` ones (PostgreSQL, Redis, nginx).
APT_SCALED := $(shell awk 'NF && index($$1, "\043") != 1 && ($$2 == "run" || $$2 == "scaled") {print $$1}' apt-packages.txt)
APT_ALL := $(shell awk 'NF && index($$1, "\043") != 1 {print $$1}' apt-packages.txt)
export JIANDU_DATA_DIR ?= $(CURDIR)/var

.PHONY: help run run-scaled test test-postgres lint guides system-deps system-deps-test apt-install venv messages clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

system-deps: ## Install the Debian packages `make run` needs (apt-packages.txt), if missing.
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_RUN)"

system-deps-test: ## Install every Debian package in apt-packages.txt, if missing.
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_ALL)"

apt-install:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "Run as root or install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python >= 3.12 on PATH or under pyenv: install one (apt-get install python3.12, or pyenv install 3.12) and run make again." >&2; exit 1; }
	@echo "Using $(PYTHON)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the project.

messages: venv system-deps ## Compile the translations.
	@cd jiandu && ../$(BIN)/django-admin compilemessages -v 0 --settings=jiandu.settings --pythonpath=.. 2>&1 | grep -v '^processing' || true

run: system-deps messages ## Set up and serve the demo newsroom on 127.0.0.1:$${JIANDU_PORT:-8000}.
	$(BIN)/jiandu demo
	$(BIN)/jiandu serve

run-scaled: messages ## The demo as a scaled deployment (PostgreSQL, Redis, S3, nginx, 2 web, 2 workers).
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_SCALED)"
	$(BIN)/python scripts/run_scaled.py

lint: venv ## ruff; import contracts from docs/architecture.md's rooms table; house rules (ast-grep); mypy.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check --diff . >/dev/null || { $(BIN)/ruff format --check .; exit 1; }
	$(BIN)/python scripts/import_contracts.py
	$(BIN)/lint-imports --no-cache
	$(BIN)/python tools/house_rules.py
	$(BIN)/mypy

# Branch coverage of jiandu/ against its floor ([tool.coverage.report] in pyproject.toml);
# `make test COVERAGE=` runs without it, `coverage report` afterwards shows it per file, and
# scripts/coverage_floor.py holds every file under jiandu/ to its own floor.
COVERAGE ?= --cov --cov-report=

test: system-deps-test messages lint ## Set up, lint and run the whole suite on SQLite (coverage floors).
	$(BIN)/pytest -q $(COVERAGE) || [ $$? = 5 ]
	@# The floor per file (scripts/coverage_floor.py), beside the total one pytest-cov checked.
	@if [ -n "$(COVERAGE)" ]; then \
	  mkdir -p $(JIANDU_DATA_DIR) && $(BIN)/coverage json -q -o $(JIANDU_DATA_DIR)/coverage.json \
	  && $(BIN)/python scripts/coverage_floor.py $(JIANDU_DATA_DIR)/coverage.json; fi

test-postgres: system-deps-test messages ## The suite against PostgreSQL ($$DATABASE_URL, default: local server).
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/jiandu} $(BIN)/pytest -q || [ $$? = 5 ]

guides: system-deps-test messages ## Remake the user guides' screenshots (docs/guides/img) with the browser walk.
	JIANDU_GUIDE_SHOTS=$(CURDIR)/docs/guides/img $(BIN)/pytest -q -p no:cacheprovider tests/browser/test_guides.py

clean: ## Remove the virtual environment and the local data dir.
	rm -rf $(VENV) var staticfiles
