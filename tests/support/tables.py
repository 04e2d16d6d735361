"""Hits tables on moto: the deployed key schema, and plain items put as the Lambda writes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdactr.function.config import default_salts_table
from lambdactr.function.item import SALT_KEY_PREFIX, PlainItem, to_dynamodb


def create_hits_table(client: Any, name: str) -> None:
    """A table with the key schema template.yaml gives the deployed one."""
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def create_tables(client: Any, hits_table: str) -> None:
    """What the handler writes to: the hits table, and the salts table beside it (same schema)."""
    create_hits_table(client, hits_table)
    create_hits_table(client, default_salts_table(hits_table))


@dataclass
class HitsTable:
    """A table the report reads, filled with plain items as the Lambda writes them."""

    client: Any
    name: str

    def put(self, *items: PlainItem) -> None:
        for item in items:
            self.client.put_item(TableName=self.name, Item=to_dynamodb(item))

    def put_raw(self, attributes: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.name, Item=attributes)

    def put_salt(self, day: str) -> None:
        """A salt item as versions before the salts table kept it in the hits table."""
        legacy_key = f"{SALT_KEY_PREFIX}{day}"
        self.put_raw({"pk": {"S": legacy_key}, "salt": {"B": b"\x01" * 32}, "ttl": {"N": "1"}})
