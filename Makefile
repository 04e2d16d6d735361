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

# The Lambda artifact, for AWS SAM: `sam build` runs `make build-BeaconFunction` from this
# directory with ARTIFACTS_DIR set (template.yaml: BuildMethod makefile, CodeUri .). pip fetches
# wheels for the Lambda's platform, so the build needs neither Docker nor a local python3.13.
# Override LAMBDA_PLATFORM and LAMBDA_PYTHON_VERSION to build one that loads on this machine.
LAMBDA_PLATFORM ?= manylinux2014_aarch64
LAMBDA_PYTHON_VERSION ?= 3.13
# Only what the Lambda imports: boto3 and botocore come with the runtime.
LAMBDA_REQUIREMENTS := aws-lambda-powertools>=3.20 iptocc>=3.3
# The shipped Lambda is one folder; nothing else of lambdactr goes into the artifact. Without a
# lambdactr/__init__.py there, `lambdactr` is a namespace package holding only `function`.
LAMBDA_PACKAGE := src/lambdactr/function

.PHONY: build-BeaconFunction build deploy

build-BeaconFunction: install
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: run `sam build`, or set it to a directory))
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile \
	  --platform $(LAMBDA_PLATFORM) --implementation cp --python-version $(LAMBDA_PYTHON_VERSION) \
	  --only-binary=:all: --upgrade --target "$(ARTIFACTS_DIR)" \
	  $(foreach requirement,$(LAMBDA_REQUIREMENTS),'$(requirement)')
	rm -rf "$(ARTIFACTS_DIR)/lambdactr"
	mkdir -p "$(ARTIFACTS_DIR)/lambdactr"
	cp -R $(LAMBDA_PACKAGE) "$(ARTIFACTS_DIR)/lambdactr/"
# Console scripts cannot be called in Lambda, and the Swagger UI assets (1.7 MB) are read only by
# Powertools' enable_swagger(), which the counter never calls: both are dead weight at cold start.
	rm -rf "$(ARTIFACTS_DIR)/bin" \
	  "$(ARTIFACTS_DIR)"/aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.*
	find "$(ARTIFACTS_DIR)" -name __pycache__ -type d -prune -exec rm -rf {} +

build: install
	$(BIN)/sam build

deploy: build
	$(BIN)/sam deploy --guided

# Speed, size and cost targets, each printed as a ratio against its floor measured in the same
# run. Never in the tests: this machine is shared and noisy. BENCHMARKS.md has the figures.
.PHONY: bench
bench: install
	$(BIN)/python benchmarks/lambda_bench.py
	$(BIN)/python -m benchmarks.load
	$(BIN)/python benchmarks/report_bench.py
	$(BIN)/python -m benchmarks.analytics_bench

# The duckdb engine against the scan engine's counting on 1M and 10M exported items, and what a
# full-range Athena report reads (about 6 GB of disk under .lambdactr/bench-export, kept).
.PHONY: bench-analytics
bench-analytics: install
	$(BIN)/python -m benchmarks.analytics_bench

# How fast `lambdactr report` counts: 1,000,000 synthetic items, against a bare loop.
.PHONY: bench-report
bench-report: install
	$(BIN)/python benchmarks/report_bench.py
