"""The operator's client: which endpoints are local, and no made-up credentials for AWS itself.

Its run against a local DynamoDB is in tests/report/test_endpoint.py: unit tests start no server.
"""

from __future__ import annotations

import argparse
import socket

import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError

from lambdactr.aws import (
    add_dynamodb_options,
    dynamodb_client,
    is_local_endpoint,
    salts_table,
    unreachable_message,
)
from lambdactr.function.config import Config


def options(endpoint: str) -> argparse.Namespace:
    return argparse.Namespace(profile=None, region=None, endpoint_url=endpoint)


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


@pytest.mark.parametrize(
    ("argv", "environment", "tables"),
    [
        ([], {}, ("lambdactr-hits", "lambdactr-salts")),
        (["--table", "blog-hits"], {}, ("blog-hits", "blog-salts")),
        (["--table", "counts"], {}, ("counts", "counts-salts")),
        (["--salts-table", "mine"], {}, ("lambdactr-hits", "mine")),
        ([], {"TABLE_NAME": "x-hits"}, ("x-hits", "x-salts")),
        ([], {"TABLE_NAME": "x-hits", "SALTS_TABLE": "y"}, ("x-hits", "y")),
    ],
)
def test_the_salts_table_is_named_beside_the_hits_table(
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    environment: dict[str, str],
    tables: tuple[str, str],
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    parser = argparse.ArgumentParser()
    add_dynamodb_options(parser, salts=True)
    args = parser.parse_args(argv)
    assert (args.table, salts_table(args)) == tables
    if "--salts-table" not in argv:
        # The Lambda derives the same name from the same environment.
        config = Config.from_env({**environment, "TABLE_NAME": args.table})
        assert config.salts_table_name == tables[1]


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
