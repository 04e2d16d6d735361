"""AWS_ENDPOINT_URL_DYNAMODB, which the template declares empty so that `sam local` can set it.

Empty means unset: the function then writes to the region's DynamoDB, as deployed. Set, it
writes to that endpoint, such as the DynamoDB of `lambdactr serve`.
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdactr.function.item import from_dynamodb, is_hit_key
from lambdactr.function.store import Store, make_client
from tests.support.counter import TABLE
from tests.support.function import Wire, invoke
from tests.support.tables import create_tables


def test_an_empty_endpoint_variable_is_unset_and_the_hit_is_stored(
    wire_handler: Wire, event_named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "")
    # moto in this process stands in for AWS itself, where an unset endpoint leads.
    with mock_aws():
        client = make_client()
        assert client.meta.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"
        create_tables(client, TABLE)
        wire_handler(Store(TABLE, client))

        assert invoke(event_named("css"))["statusCode"] == 200

        scanned = client.scan(TableName=TABLE)["Items"]
        assert [from_dynamodb(i)["kind"] for i in scanned if is_hit_key(i["pk"]["S"])] == ["css"]


def test_a_set_endpoint_variable_points_the_function_at_that_dynamodb(
    moto_endpoint: str, wire_handler: Wire, event_named: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_endpoint)
    client = make_client()
    assert client.meta.endpoint_url == moto_endpoint
    table = f"endpoint-{uuid.uuid4().hex}"
    create_tables(boto3.client("dynamodb", endpoint_url=moto_endpoint), table)
    wire_handler(Store(table, client))

    assert invoke(event_named("css"))["statusCode"] == 200

    scanned = client.scan(TableName=table)["Items"]
    hits = [from_dynamodb(i) for i in scanned if is_hit_key(i["pk"]["S"])]
    assert [hit["kind"] for hit in hits] == ["css"]
