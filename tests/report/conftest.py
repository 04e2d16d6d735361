"""A hits table on moto, filled with plain items as the Lambda writes them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdactr.function.item import SALT_KEY_PREFIX, PlainItem, to_dynamodb
from tests.conftest import create_hits_table

TABLE = "lambdactr-report-hits"


def create_table(client: Any, name: str = TABLE) -> None:
    create_hits_table(client, name)


@dataclass
class HitsTable:
    client: Any
    name: str = TABLE

    def put(self, *items: PlainItem) -> None:
        for item in items:
            self.client.put_item(TableName=self.name, Item=to_dynamodb(item))

    def put_raw(self, attributes: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.name, Item=attributes)

    def put_salt(self, day: str) -> None:
        """A salt item as versions before the salts table kept it in the hits table."""
        legacy_key = f"{SALT_KEY_PREFIX}{day}"
        self.put_raw({"pk": {"S": legacy_key}, "salt": {"B": b"\x01" * 32}, "ttl": {"N": "1"}})


@pytest.fixture
def hits_table() -> Iterator[HitsTable]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        yield HitsTable(client)
