# Everything runs from a local virtualenv that the first target to need it creates.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EVENT ?= events/css.json
# Extra arguments for `make serve`, `make report` and `make invoke`, e.g. ARGS='--port 3100'.
ARGS ?=
STACK ?= lambdactr

.PHONY: install serve test test-fast lint fmt invoke report snippet logs system-deps clean fuzz \
	dynamodb-local

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

serve: install
	$(BIN)/lambdactr serve $(ARGS)

# The end-to-end tests drive real browsers; install them from Debian when they are missing.
system-deps:
	@command -v chromium >/dev/null && command -v firefox-esr >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    chromium firefox-esr fonts-dejavu-core >/dev/null; }

# AWS's DynamoDB Local, which the DynamoDB-facing tests run against besides moto. It needs Java
# (Debian's openjdk-17-jre-headless). The jar comes from the npm registry, inside the package
# amplify-dynamodb-simulator (DynamoDBLocal.jar 1.25.x): `npm pack` fetches only that package,
# and only its emulator/ folder is unpacked into $(DYNAMODB_LOCAL_DIR) (git-ignored).
DYNAMODB_LOCAL_DIR ?= .dynamodb-local
DYNAMODB_LOCAL_PACKAGE := amplify-dynamodb-simulator@2.9.30
DYNAMODB_LOCAL_JAR := $(DYNAMODB_LOCAL_DIR)/emulator/DynamoDBLocal.jar

dynamodb-local: $(DYNAMODB_LOCAL_JAR)

$(DYNAMODB_LOCAL_JAR):
	@command -v java >/dev/null && command -v npm >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    openjdk-17-jre-headless npm >/dev/null; }
	rm -rf $(DYNAMODB_LOCAL_DIR).tmp && mkdir -p $(DYNAMODB_LOCAL_DIR).tmp
	cd $(DYNAMODB_LOCAL_DIR).tmp && npm pack --silent $(DYNAMODB_LOCAL_PACKAGE) >/dev/null && \
	  tar -xzf amplify-dynamodb-simulator-*.tgz --strip-components=1 package/emulator && \
	  rm amplify-dynamodb-simulator-*.tgz
	rm -rf $(DYNAMODB_LOCAL_DIR) && mv $(DYNAMODB_LOCAL_DIR).tmp $(DYNAMODB_LOCAL_DIR)
	test -f $@

test: install system-deps dynamodb-local
	$(BIN)/pytest

# The pure functions and the handler (on moto and DynamoDB Local): no process, build or browser.
test-fast: install dynamodb-local
	$(BIN)/pytest tests/unit tests/handler

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

invoke: install
	$(BIN)/lambdactr invoke $(EVENT) $(ARGS)

# The local table: that of the `make serve` running here, or else the one it saved.
report: install
	$(BIN)/lambdactr report --local $(ARGS)

# The one tag to paste: make snippet URL=https://stats.example.org [FOR=hugo] [TAG=img]
snippet: install
	$(if $(URL),,$(error give the beacon's base URL: make snippet URL=https://stats.example.org [FOR=hugo]))
	@$(BIN)/lambdactr snippet '$(URL)' $(if $(FOR),--for $(FOR)) $(if $(TAG),--tag $(TAG))

# The deployed function's logs as they arrive (STACK=lambdactr by default).
logs: install
	$(BIN)/sam logs --stack-name $(STACK) --name BeaconFunction --tail

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
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis $(DYNAMODB_LOCAL_DIR)

# The Lambda artifact, for AWS SAM: `sam build` runs `make build-BeaconFunction` from this
# directory with ARTIFACTS_DIR set (template.yaml: BuildMethod makefile, CodeUri .). pip fetches
# wheels for the Lambda's platform, so the build needs neither Docker nor a local python3.13.
# Override LAMBDA_PLATFORM and LAMBDA_PYTHON_VERSION to build one that loads on this machine.
LAMBDA_PLATFORM ?= manylinux2014_aarch64
LAMBDA_PYTHON_VERSION ?= 3.13
# Only what the Lambda imports: boto3 and botocore come with the runtime.
LAMBDA_REQUIREMENTS := aws-lambda-powertools>=3.20 iptocc>=3.3
# ...locked: every distribution the artifact holds, pinned, with the hash of every file PyPI has
# for each pin (so the arm64 wheels the build downloads, and this machine's for the tests). The
# build installs only what the lock names, and only files with those hashes.
LAMBDA_LOCK := requirements-lambda.txt
# The shipped Lambda is one folder; nothing else of lambdactr goes into the artifact. Without a
# lambdactr/__init__.py there, `lambdactr` is a namespace package holding only `function`.
LAMBDA_PACKAGE := src/lambdactr/function

.PHONY: build-BeaconFunction build deploy lambda-requirements

build-BeaconFunction: install
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: run `sam build`, or set it to a directory))
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile \
	  --platform $(LAMBDA_PLATFORM) --implementation cp --python-version $(LAMBDA_PYTHON_VERSION) \
	  --only-binary=:all: --upgrade --target "$(ARTIFACTS_DIR)" \
	  --require-hashes -r $(LAMBDA_LOCK)
	rm -rf "$(ARTIFACTS_DIR)/lambdactr"
	mkdir -p "$(ARTIFACTS_DIR)/lambdactr"
	cp -R $(LAMBDA_PACKAGE) "$(ARTIFACTS_DIR)/lambdactr/"
# Console scripts cannot be called in Lambda, and the Swagger UI assets (1.7 MB) are read only by
# Powertools' enable_swagger(), which the counter never calls: both are dead weight at cold start.
	rm -rf "$(ARTIFACTS_DIR)/bin" \
	  "$(ARTIFACTS_DIR)"/aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.*
	find "$(ARTIFACTS_DIR)" -name __pycache__ -type d -prune -exec rm -rf {} +

# Refresh the lock: after a change to LAMBDA_REQUIREMENTS, or to take new releases. It resolves
# for the Lambda (Linux arm64, CPython 3.13) and takes wheels only, as the build does. uv is
# installed here, not with the dev extra: only this target needs it.
lambda-requirements: install
	$(BIN)/python -m uv --version >/dev/null 2>&1 || $(BIN)/pip install --quiet 'uv>=0.5'
	printf '%s\n' $(foreach requirement,$(LAMBDA_REQUIREMENTS),'$(requirement)') | \
	  $(BIN)/python -m uv pip compile - --quiet --upgrade --generate-hashes --no-build \
	  --python-platform aarch64-manylinux2014 --python-version $(LAMBDA_PYTHON_VERSION) \
	  --no-python-downloads --custom-compile-command 'make lambda-requirements' \
	  --output-file $(LAMBDA_LOCK)

build: install
	$(BIN)/sam build

deploy: build
	$(BIN)/sam deploy --guided

# Speed, size and cost targets, each printed as a ratio against its floor measured in the same
# run. Never in the tests: this machine is shared and noisy. BENCHMARKS.md has the figures.
.PHONY: bench bench-scan
bench: install dynamodb-local
	$(BIN)/python benchmarks/lambda_bench.py
	$(BIN)/python -m benchmarks.load
	$(BIN)/python benchmarks/report_bench.py
	$(BIN)/python -m benchmarks.scan_bench
	$(BIN)/python -m benchmarks.analytics_bench

# The report's default Scan parallelism, against DynamoDB Local: 1,000 and 100,000 items.
bench-scan: install dynamodb-local
	$(BIN)/python -m benchmarks.scan_bench

# The duckdb engine against the scan engine's counting on 1M and 10M exported items, and what a
# full-range Athena report reads (about 6 GB of disk under .lambdactr/bench-export, kept).
.PHONY: bench-analytics
bench-analytics: install
	$(BIN)/python -m benchmarks.analytics_bench

# How fast `lambdactr report` counts: 1,000,000 synthetic items, against a bare loop.
.PHONY: bench-report
bench-report: install
	$(BIN)/python benchmarks/report_bench.py
