# Everything runs from a local virtualenv that the first target to need it creates.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EVENT ?= events/css.json

.PHONY: install serve test test-fast lint fmt invoke report snippet system-deps clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

serve: install
	$(BIN)/lambdactr serve

# The end-to-end tests drive real browsers; install them from Debian when they are missing.
system-deps:
	@command -v chromium >/dev/null && command -v firefox-esr >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    chromium firefox-esr fonts-dejavu-core >/dev/null; }

test: install system-deps
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not browser and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

invoke: install
	$(BIN)/lambdactr invoke $(EVENT)

report: install
	$(BIN)/lambdactr report

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis

# How fast `lambdactr report` counts: 1,000,000 synthetic items, against a bare loop.
.PHONY: bench-report
bench-report: install
	$(BIN)/python benchmarks/report_bench.py
