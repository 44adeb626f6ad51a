# The two commands a newcomer needs:  `make run`  and  `make test`.
# Both create .venv and install the pinned dependencies first (only when they changed).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PIP_FLAGS := --quiet --disable-pip-version-check --no-input

.DEFAULT_GOAL := help
.PHONY: help setup compile run test lint format typecheck unit bench lock clean
# The packet path compiled with mypyc (tools/build_compiled.py): auto = if it can (else the
# node runs its Python sources, with a warning), require = or fail (CI), off = never.
COMPILE ?= auto

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ilpnode needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) -c requirements/constraints.txt -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) compile  ## create .venv with the pinned dependencies, compile the packet path

compile: $(STAMP)  ## compile the packet path with mypyc, if its sources changed (about a minute)
	@$(BIN)/python tools/build_compiled.py --if-stale --mode $(COMPILE)

run: setup  ## run a node on the embedded default (SQLite file ./ilpnode.sqlite3)
	$(BIN)/ilpnode run

# All tests run against what `make run` runs (compiled, if it could be); then the unit tests
# once more on the Python sources, which must behave the same, and which coverage can see.
test: setup lint  ## set up and run everything CI runs: lint, types, import rules, all tests
	@$(BIN)/python -c 'import ilpnode.compiled as c; print("packet path:", c.activate())'
	$(BIN)/pytest --cov --cov-report= $(PYTEST_ARGS)
	ILPNODE_PURE_PYTHON=1 $(BIN)/pytest tests/unit -q --cov --cov-append --cov-report=term

unit: setup  ## only the tests that need no database, network or browser
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff (lint + format check), mypy strict, import-linter contracts, module size
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python tools/check_module_size.py

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix src tests bench tools
	$(BIN)/ruff format src tests bench tools

bench: $(STAMP)  ## run the benchmarks (they print numbers; see docs/benchmarks.md)
	$(BIN)/python bench/codec.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/admin.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/connector.py
	$(BIN)/python bench/connector_parts.py
	$(BIN)/python bench/stream_receive.py
	$(BIN)/python bench/stream_send.py

lock:  ## re-resolve dependencies into requirements/constraints.txt (fresh venv)
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install $(PIP_FLAGS) -e '.[dev]'
	{ echo "# Exact pins for every install of ilpnode (runtime and dev tools)."; \
	  echo "# Regenerate with: make lock"; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^ilpnode'; } \
	  > requirements/constraints.txt
	rm -rf .venv-lock

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage build
	rm -f src/ilpnode_native__mypyc.* src/ilpnode/_compiled.json
	find src -name '*.so' -delete
