# The two commands of the quick start are `make run` and `make test`; each sets up what is
# missing first (a virtualenv with the pinned Python packages, the pinned Node tools).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP   := $(VENV)/.certledger-installed
NODE_STAMP := node_modules/.certledger-installed

.PHONY: setup browser run test lint format bench contracts clean

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

# The browser tests drive Debian's chromium, with CJK fonts for the Chinese pages; installed here
# when missing (apt, as root or through sudo -n, which never waits for a password). Where that is
# impossible the tests skip and say why.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
BROWSER_PACKAGES := chromium fonts-noto-cjk

browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi cjk; then \
	  echo "installing Debian's $(BROWSER_PACKAGES) for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(BROWSER_PACKAGES) \
	  || (DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update \
	      && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(BROWSER_PACKAGES)) \
	  || echo "could not install $(BROWSER_PACKAGES): the browser tests will skip"; \
	fi

run: setup
	$(BIN)/certledger run

test: setup browser
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
	$(BIN)/certledger bench audit

# Recompile the Solidity sources into ledger/artifacts/ (a test fails when they are stale).
contracts: setup
	$(BIN)/certledger contracts build

clean:
	rm -rf $(VENV) node_modules hardhat-out .pytest_cache .mypy_cache .ruff_cache
