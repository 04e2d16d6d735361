# Everything runs from a local virtualenv that the first target to need it creates.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EVENT ?= events/css.json

.PHONY: install serve test test-fast lint fmt invoke report snippet system-deps clean fuzz

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

# Coverage-guided fuzzing of the request-to-hit core, for FUZZ_SECONDS, then it stops by itself.
# atheris is installed here, not with the dev extra: it has wheels for few platforms and builds
# libFuzzer from source elsewhere. The corpus is kept between runs; findings land in artifacts/.
FUZZ_SECONDS ?= 60
FUZZ_DIR ?= .lambdactr/fuzz
fuzz: install
	$(BIN)/python -c 'import atheris' 2>/dev/null || $(BIN)/pip install --quiet 'atheris>=2.3'
	mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	$(BIN)/python fuzz/fuzz_hit.py $(FUZZ_DIR)/corpus -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=8192 -timeout=10 -dict=fuzz/hit.dict -artifact_prefix=$(FUZZ_DIR)/artifacts/ \
	  -print_final_stats=1

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
