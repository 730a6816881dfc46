# Two commands for a newcomer: `make demo` and `make test`. Everything else
# they need (the virtual environments and every dependency) is installed here.
#
# Every CPython the package supports is tested: the suite runs once per
# interpreter, each in its own environment (.venv for 3.11, the one the
# linters, mypy, coverage and the demo use; .venv-3.12, .venv-3.13 beside it).
# A supported interpreter that is missing fails the run (.ci/find-python).
SUPPORTED_PYTHONS := 3.11 3.12 3.13
PRIMARY_PYTHON := 3.11
OTHER_PYTHONS := $(filter-out $(PRIMARY_PYTHON),$(SUPPORTED_PYTHONS))

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := test,cli,speedups

BUILD := build
RESULTS := $(BUILD)/test-results
# Absolute, so that subprocesses started in other folders (the command line's
# smoke tests, the pytest-xdist workers) write their data beside the rest.
export COVERAGE_FILE := $(CURDIR)/$(BUILD)/coverage/.coverage

# Extra arguments for every pytest run, e.g. `make unit PYTEST_ARGS="-x"`.
PYTEST_ARGS ?=
# Two workers for two cores; every test server listens on an ephemeral port.
PYTEST_WORKERS ?= 2
PYTEST := -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

LINTED := phonenumbers_async tests benchmarks tools examples docs/_griffe

.PHONY: install test lint typecheck unit coverage $(addprefix unit-,$(OTHER_PYTHONS)) \
	contract smoke docs demo bench clean

# $(1): the interpreter version, $(2): the environment's folder.
define make_venv
	@python="$$(.ci/find-python $(1))" && echo "$(2): $$python" && \
		"$$python" -m venv --clear $(2)
	$(2)/bin/python -m pip install --quiet --upgrade pip
	$(2)/bin/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(2)/.installed
endef

$(STAMP): pyproject.toml
	$(call make_venv,$(PRIMARY_PYTHON),$(VENV))

.venv-%/.installed: pyproject.toml
	$(call make_venv,$*,.venv-$*)

install: $(STAMP) $(foreach version,$(OTHER_PYTHONS),.venv-$(version)/.installed)

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

# pyproject's [tool.mypy] names what is checked: the package, the tests, tools/smoke_wheel.py.
typecheck: $(STAMP)
	$(BIN)/mypy --strict

# The suite on every supported interpreter (3.11 under coverage), then the count of each.
unit: coverage $(addprefix unit-,$(OTHER_PYTHONS))
	@$(BIN)/python .ci/test_counts.py $(foreach version,$(SUPPORTED_PYTHONS),$(RESULTS)/$(version).xml)

# Branch coverage on the primary interpreter; fails under [tool.coverage.report] fail_under.
coverage: $(STAMP)
	@echo "== tests on Python $(PRIMARY_PYTHON), under coverage"
	@rm -rf $(dir $(COVERAGE_FILE)) && mkdir -p $(dir $(COVERAGE_FILE)) $(RESULTS)
	$(BIN)/coverage run -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) $(PYTEST_ARGS) \
		--junitxml=$(RESULTS)/$(PRIMARY_PYTHON).xml
	@$(BIN)/coverage combine --quiet
	@$(BIN)/coverage report > $(BUILD)/coverage/report.txt; status=$$?; \
		grep '^TOTAL' $(BUILD)/coverage/report.txt; \
		echo "coverage (branch) on Python $(PRIMARY_PYTHON): $$($(BIN)/coverage report --format=total)%" \
			"(floor: fail_under in pyproject.toml; per file: $(BUILD)/coverage/report.txt)"; \
		exit $$status

# A static pattern rule: make looks for no implicit rule for a phony target.
$(addprefix unit-,$(OTHER_PYTHONS)): unit-%: .venv-%/.installed
	@echo "== tests on Python $*"
	@mkdir -p $(RESULTS)
	.venv-$*/bin/python $(PYTEST) --junitxml=$(RESULTS)/$*.xml

# schemathesis against a running emulator, checked by the emulator's own OpenAPI
# document (bounded: about 70 s); prints operations, test cases and failures.
contract: $(STAMP)
	$(BIN)/python tests/emulator/run_schemathesis.py

# Build the sdist and wheel, check them, install the wheel in a fresh venv away
# from this tree and use it there as a user would.
smoke: $(STAMP)
	$(BIN)/python tools/smoke_wheel.py --python "$$(.ci/find-python $(PRIMARY_PYTHON))"

# The documentation site, built with --strict: a broken link, a missing page
# or a reference mkdocstrings cannot resolve fails the build. The site's code
# blocks are run by the test suite (tests/docs), not here.
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

test: lint typecheck unit contract docs smoke

demo: $(STAMP)
	$(BIN)/phonenumbers-async demo

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(foreach version,$(OTHER_PYTHONS),.venv-$(version)) $(BUILD) dist site \
		.mypy_cache .pytest_cache .ruff_cache
