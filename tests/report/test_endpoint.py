"""The operator's DynamoDB client (report, replay) works against a local DynamoDB with no AWS
account configured: moto's server on loopback stands in for `serve`'s or DynamoDB Local."""

from __future__ import annotations

import argparse
import uuid

import pytest

from lambdactr.aws import dynamodb_client
from tests.support.tables import create_hits_table


@pytest.mark.usefixtures("no_aws_account")
def test_local_endpoint_needs_no_credentials(moto_endpoint: str) -> None:
    client = dynamodb_client(
        argparse.Namespace(profile=None, region=None, endpoint_url=moto_endpoint)
    )
    # moto's backend is shared by the whole test process, so the table needs a name of its own.
    name = f"no-account-{uuid.uuid4().hex}"
    create_hits_table(client, name)
    assert name in client.list_tables()["TableNames"]
