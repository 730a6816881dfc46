# Two commands for a newcomer: `make demo` and `make test`. Everything else
# they need (the virtual environment and every dependency) is installed here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck unit contract demo bench clean

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

test: lint typecheck unit contract

demo: $(STAMP)
	$(BIN)/phonenumbers-async demo

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
