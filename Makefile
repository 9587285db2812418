# The two commands of the quick start are `make run` and `make test`; each sets up what is
# missing first (a virtualenv with the pinned Python packages, the pinned Node tools).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP   := $(VENV)/.certledger-installed
NODE_STAMP := node_modules/.certledger-installed

.PHONY: setup run test lint format bench contracts clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "certledger needs Python 3.11 or newer; set PYTHON=")'
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	$(BIN)/certledger run

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/certledger bench gas
	$(BIN)/certledger bench issue
	$(BIN)/certledger bench verify
	$(BIN)/certledger bench api

# Recompile the Solidity sources into ledger/artifacts/ (a test fails when they are stale).
contracts: setup
	$(BIN)/certledger contracts build

clean:
	rm -rf $(VENV) node_modules hardhat-out .pytest_cache .mypy_cache .ruff_cache
