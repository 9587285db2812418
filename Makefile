# The two commands of the quick start are `make run` and `make test`; each sets up what is
# missing first (a virtualenv with the pinned Python packages, the pinned Node tools).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP   := $(VENV)/.certledger-installed
NODE_STAMP := node_modules/.certledger-installed
SLITHER_VENV  := .venv-slither
SLITHER_STAMP := $(SLITHER_VENV)/.certledger-installed

# Python caches what it compiles: a machine that sets PYTHONDONTWRITEBYTECODE would have every
# `certledger` process the tests start compile web3 and the rest again (5 s of CPU each).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup browser faketime run test lint format bench fuzz contracts clean

setup: $(PY_STAMP) $(NODE_STAMP) $(SLITHER_STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "certledger needs Python 3.11 or newer; set PYTHON=")'
	$(PYTHON) -m venv $(VENV)

# uv installs the pinned packages (a dozen times faster than pip: the suite's time budget counts
# the setup); pip installs only uv itself, at the version constraints.txt pins.
$(PY_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --constraint constraints.txt uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --constraint constraints.txt --editable '.[dev]'
	@touch $@

# slither pins web3 below the version certledger runs on, so it has an environment of its own.
$(SLITHER_STAMP): constraints-slither.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "certledger needs Python 3.11 or newer; set PYTHON=")'
	$(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/python -m pip install --quiet --constraint constraints-slither.txt uv
	$(SLITHER_VENV)/bin/uv pip install --quiet --compile-bytecode --python $(SLITHER_VENV)/bin/python --constraint constraints-slither.txt slither-analyzer
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The browser tests drive Debian's chromium, with CJK fonts for the Chinese pages, and the second
# pass of the tests runs under Debian's faketime; they are installed here when missing (apt, as
# root or through sudo -n, which never waits for a password). Where that is impossible the browser
# tests skip and say why, and the faketime pass is skipped with a warning (in CI it fails).
# poppler-utils (pdftoppm, pdftotext, pdffonts) lets the printing tests look at the PDFs as a
# reader draws them.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
APT_INSTALL := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends
BROWSER_PACKAGES := chromium fonts-noto-cjk poppler-utils

browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
	  || ! fc-list 2>/dev/null | grep -qi cjk; then \
	  echo "installing Debian's $(BROWSER_PACKAGES) for the browser tests"; \
	  $(APT_INSTALL) $(BROWSER_PACKAGES) \
	  || (DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update && $(APT_INSTALL) $(BROWSER_PACKAGES)) \
	  || echo "could not install $(BROWSER_PACKAGES): the browser tests will skip"; \
	fi

faketime:
	@if ! command -v faketime >/dev/null 2>&1; then \
	  echo "installing Debian's faketime for the second pass of the tests"; \
	  $(APT_INSTALL) faketime \
	  || (DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update && $(APT_INSTALL) faketime) \
	  || echo "could not install faketime"; \
	fi

run: setup
	$(BIN)/certledger run

# The suite runs twice. First all of it, in one worker per core (a third one was measured slower:
# the suite computes more than it waits), with branch coverage and its floors
# (pyproject.toml). Then the suites where dates matter again with the machine's calendar 400 days
# ahead (every process: Python, the anvil nodes the tests start): a test that reads the calendar
# instead of the injected clock fails there. faketime moves the calendar only; the monotonic
# clock that timeouts use stays real (tests/faketime/sitecustomize.py says why Python needs a hand).
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile
DATED_SUITES := tests/issuer tests/verifier tests/audit tests/wallet_api

test: setup browser faketime
	$(PYTEST) --cov --cov-report=
	$(BIN)/python -m scripts.coverage_floors
	@if command -v faketime >/dev/null 2>&1; then \
	  echo "the dated suites again, 400 days ahead: $(DATED_SUITES)"; \
	  CERTLEDGER_CALENDAR_AHEAD_DAYS=400 PYTHONPATH=tests/faketime FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0 \
	    faketime '+400 days' $(PYTEST) $(DATED_SUITES); \
	elif [ "$${CI:-}" = true ]; then \
	  echo "faketime is missing: CI runs the dated suites 400 days ahead too" >&2; exit 1; \
	else \
	  echo "warning: faketime is missing, so the dated suites did not run 400 days ahead"; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m scripts.contract_lint

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/certledger bench gas
	$(BIN)/certledger bench issue
	$(BIN)/certledger bench verify
	$(BIN)/certledger bench api
	$(BIN)/certledger bench audit

# Long exhaustive runs, outside the suite: the ledger's state machine on 5,000 random sequences.
FUZZ_EXAMPLES ?= 5000
fuzz: setup
	CERTLEDGER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -p no:cacheprovider -s \
	  tests/contracts/test_ledger_state_machine.py

# Recompile the Solidity sources into ledger/artifacts/ (a test fails when they are stale).
contracts: setup
	$(BIN)/certledger contracts build

clean:
	rm -rf $(VENV) $(SLITHER_VENV) node_modules hardhat-out .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
