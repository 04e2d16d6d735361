"""A hits table on moto or DynamoDB Local, filled with plain items as the Lambda writes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from lambdactr.function.item import PlainItem, salt_key, to_dynamodb
from tests.conftest import DynamoDB, create_hits_table

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
        self.put_raw({"pk": {"S": salt_key(day)}, "salt": {"B": b"\x01" * 32}, "ttl": {"N": "1"}})


@pytest.fixture
def hits_table(dynamodb: DynamoDB) -> HitsTable:
    """A hits table on moto, and again on DynamoDB Local: every report test runs on both."""
    create_table(dynamodb.client)
    return HitsTable(dynamodb.client)
