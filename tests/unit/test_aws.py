"""The operator's client works against a local DynamoDB with no AWS account configured."""

from __future__ import annotations

import argparse
import socket
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError

from lambdactr.aws import dynamodb_client, is_local_endpoint, unreachable_message
from tests.conftest import create_hits_table


@pytest.fixture
def no_aws_account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def options(endpoint: str) -> argparse.Namespace:
    return argparse.Namespace(profile=None, region=None, endpoint_url=endpoint)


@pytest.mark.usefixtures("no_aws_account")
def test_local_endpoint_needs_no_credentials(moto_endpoint: str) -> None:
    client = dynamodb_client(options(moto_endpoint))
    # moto's backend is shared by the whole test process, so the table needs a name of its own.
    name = f"no-account-{uuid.uuid4().hex}"
    create_hits_table(client, name)
    assert name in client.list_tables()["TableNames"]


@pytest.mark.usefixtures("no_aws_account")
def test_remote_endpoint_never_gets_placeholder_credentials() -> None:
    with pytest.raises(NoCredentialsError):
        dynamodb_client(options("https://dynamodb.eu-west-1.amazonaws.com")).list_tables()


@pytest.mark.parametrize(
    ("endpoint", "local"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("https://dynamodb.us-east-1.amazonaws.com", False),
        ("http://10.0.0.5:8000", False),
    ],
)
def test_is_local_endpoint(endpoint: str, local: bool) -> None:
    assert is_local_endpoint(endpoint) is local


@pytest.mark.usefixtures("no_aws_account")
def test_a_refused_connection_is_not_retried() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = dynamodb_client(options(f"http://127.0.0.1:{closed}"))
    attempts: list[str] = []
    client.meta.events.register(
        "before-send.dynamodb", lambda **kwargs: attempts.append(kwargs["request"].url)
    )

    with pytest.raises(EndpointConnectionError) as refused:
        client.list_tables()

    # One attempt: botocore's standard mode would retry it three times, with backoff.
    assert len(attempts) == 1
    message = unreachable_message(client, refused.value)
    assert f"cannot reach DynamoDB at http://127.0.0.1:{closed}" in message
    assert "lambdactr serve" in message
