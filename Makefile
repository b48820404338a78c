# gbpower — every target sets up its own .venv from pinned versions (constraints.txt).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
export GBPOWER_HOME := $(CURDIR)

.PHONY: help setup demo test lint docs bench soak secrets clean
.DEFAULT_GOAL := setup

## make help: list the targets (this text)
help:
	@sed -n 's/^## make \([^:]*\): */\1\t/p' $(MAKEFILE_LIST) | expand -t 14

## make setup: create .venv and install the pinned dependencies (every other target runs it)
setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

## make demo: load the bundled sample through the real loader (loopback replay of the API) and build every model on DuckDB
demo: setup
	$(BIN)/gbpower demo

## make test: every test (pytest: loaders, dbt on DuckDB and on the BigQuery emulator, secret scan)
test: setup secrets
	$(BIN)/python -m pytest tests/python --durations=25

## make lint: ruff (check + format), mypy on loaders/, sqlfluff on every compiled model (DuckDB and BigQuery dialects) + sqlglot BigQuery parse
lint: setup
	$(BIN)/ruff check loaders tests/python tests/soak bench
	$(BIN)/ruff format --check loaders tests/python tests/soak bench
	$(BIN)/mypy
	$(BIN)/python -m loaders.dev.lint_sql

## make docs: build the static dbt docs site (the data dictionary) into target/static_index.html
docs: setup
	$(BIN)/gbpower docs

## make bench: benchmarks; numbers go to bench/results.json
bench: setup
	$(BIN)/python -m bench.run

## make soak: the 30-day soak test with injected faults (needs Debian's faketime; ~20 min; not yet part of make test)
soak: setup
	$(BIN)/python -m pytest tests/soak -s -p no:cacheprovider

## make secrets: scan the repository for committed secrets (detect-secrets; part of make test)
secrets: setup
	$(BIN)/python -m loaders.dev.secret_scan

## make clean: remove .venv, dbt target/logs, the local warehouse and bench work files
clean:
	rm -rf $(VENV) target logs warehouse .gbpower bench/work
