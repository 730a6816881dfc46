# Two commands for a newcomer: `make demo` and `make test`. Everything else
# they need (the virtual environment and every dependency) is installed here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck unit contract demo bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,cli,speedups]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check phonenumbers_async tests benchmarks tools
	$(BIN)/ruff format --check phonenumbers_async tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy --strict phonenumbers_async

unit: $(STAMP)
	$(BIN)/pytest

# schemathesis against a running emulator, checked by the emulator's own OpenAPI
# document (bounded: about 70 s); prints operations, test cases and failures.
contract: $(STAMP)
	$(BIN)/python tests/emulator/run_schemathesis.py

test: lint typecheck unit contract docs

demo: $(STAMP)
	$(BIN)/phonenumbers-async demo

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python -m benchmarks

# --- docs (issue 16, documentation half) ---------------------------------
# The documentation site, built with --strict: a broken link, a missing page
# or a reference mkdocstrings cannot resolve fails the build. The site's code
# blocks are run by the test suite (tests/docs), not here.
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
# --- end docs ------------------------------------------------------------

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache site
