"""The operator's client: which endpoints are local, and no made-up credentials for AWS itself.

Its run against a local DynamoDB is in tests/report/test_endpoint.py: unit tests start no server.
"""

from __future__ import annotations

import argparse

import pytest
from botocore.exceptions import NoCredentialsError

from lambdactr.aws import dynamodb_client, is_local_endpoint


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
