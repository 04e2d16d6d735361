"""Shared test set-up: never reach real AWS, and load the sample events."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from tests.support import dynamodb_local
from tests.support.dynamodb_local import DYNAMODB_KINDS, DynamoDB
from tests.support.events import load_event
from tests.support.function import Wire, wire

# Fake credentials before anything creates a client, so a test can never touch a real account.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    SAM_CLI_TELEMETRY="0",
    POWERTOOLS_DEV="false",
)
# The counter reads these once at import, and `serve` processes inherit them: a developer's own
# settings must not change what the tests see.
for _name in (
    "AWS_PROFILE",
    "TABLE_NAME",
    "SALTS_TABLE",
    "TRUST_CLOUDFRONT_HEADERS",
    "POWERTOOLS_LOGGER_LOG_EVENT",
    "ALLOWED_HOSTS",
    "RESPECT_DNT",
    "RETENTION_DAYS",
    "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "AWS_LAMBDA_LOG_LEVEL",
    "LOG_LEVEL",
):
    os.environ.pop(_name, None)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture
def wire_handler(monkeypatch: pytest.MonkeyPatch) -> Wire:
    """Replace the handler's collaborators, as a new container would build them, for this test."""
    return functools.partial(wire, monkeypatch)


@pytest.fixture
def event_named() -> Any:
    return load_event


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    """A real DynamoDB endpoint on loopback, for code that runs in another process or client.

    moto keeps its tables per process, shared by every server it starts: name tables per test.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def no_aws_account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with no AWS account at all: no credentials, no profile, no config file."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def dynamodb_local_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """AWS's DynamoDB Local, started once per session on a free port.

    Where it is not installed, CI fails (CI=true): the tests that need it must run there. On a
    developer's machine those tests are skipped with the reason, and `make test` installs it.
    """
    reason = dynamodb_local.missing_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    log = tmp_path_factory.mktemp("dynamodb-local") / "dynamodb-local.log"
    with dynamodb_local.running(log) as endpoint:
        yield endpoint


@pytest.fixture(params=DYNAMODB_KINDS)
def dynamodb(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDB]:
    """Each test that takes this runs twice: on moto, and on AWS's DynamoDB Local."""
    if request.param == "moto":
        with mock_aws():
            yield DynamoDB("moto", boto3.client("dynamodb", region_name="us-east-1"))
        return
    endpoint: str = request.getfixturevalue("dynamodb_local_endpoint")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    dynamodb_local.delete_every_table(endpoint)
    try:
        yield DynamoDB("dynamodb-local", dynamodb_local.client(endpoint), endpoint)
    finally:
        dynamodb_local.delete_every_table(endpoint)
