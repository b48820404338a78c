# gbpower — every target sets up its own .venv from pinned versions (constraints.txt).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
export GBPOWER_HOME := $(CURDIR)

.PHONY: help setup demo test test-fast lint docs bench bench-scale soak faketime chromium secrets clean
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

## make test: every test: the pytest suite (test-fast) and the 30-day soak side by side (each uses about one
## of the 2 cores; ~1/3 less wall time than one after the other); the soak's output is printed after the suite's.
## The suite runs at nice 5: the soak is the long pole and has a time limit, the suite has none
test: setup secrets faketime chromium
	@mkdir -p .gbpower
	@$(SOAK) > .gbpower/soak.log 2>&1 & soak=$$!; \
	nice -n 5 $(BIN)/python -m pytest tests/python --durations=25; suite=$$?; \
	wait $$soak; soak_rc=$$?; \
	echo "== the soak (tests/soak; its log: .gbpower/soak.log)"; cat .gbpower/soak.log; \
	echo "pytest suite: exit $$suite; soak: exit $$soak_rc"; \
	[ $$suite -eq 0 ] && [ $$soak_rc -eq 0 ]

## make test-fast: the pytest suite without the soak (loaders, dbt on DuckDB and on the BigQuery emulator, secret scan)
test-fast: setup secrets chromium
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

## make bench-scale: build time against 7/30/90/365 days of production-size history (~90 min, ~60 GB disk);
## writes bench/results.scale.json and bench/results.scale.png (POINTS=7,30 for a shorter run)
POINTS ?= 7,30,90,365
bench-scale: setup
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[bench]"
	$(BIN)/python -m bench.scale --points $(POINTS)

## make soak: the 30-day soak test with injected faults alone (~20-30 min; part of make test)
SOAK = $(BIN)/python -m pytest tests/soak -s -p no:cacheprovider
soak: setup faketime
	$(SOAK)

## make faketime: install Debian's faketime, the soak's fake clock, when missing (apt-get as root; else says the command)
faketime:
	@command -v faketime >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing faketime (apt-get install -y faketime)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; \
	  else \
	    echo "the soak needs faketime: run 'sudo apt-get install -y faketime' (or your system's faketime package), then make again" >&2; \
	    exit 1; \
	  fi; }
	@command -v faketime >/dev/null || { echo "faketime is still missing after apt-get install" >&2; exit 1; }

## make chromium: install Debian's chromium, the headless browser of the Sheets preview test, when missing (apt-get as root)
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium (apt-get install -y chromium)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "the Sheets preview test needs chromium: run 'sudo apt-get install -y chromium', then make again" >&2; \
	    exit 1; \
	  fi; }
	@command -v chromium >/dev/null || { echo "chromium is still missing after apt-get install" >&2; exit 1; }

## make secrets: scan the repository for committed secrets (detect-secrets; part of make test)
secrets: setup
	$(BIN)/python -m loaders.dev.secret_scan

## make clean: remove .venv, dbt target/logs, the local warehouse and bench work files
clean:
	rm -rf $(VENV) target logs warehouse .gbpower bench/work
