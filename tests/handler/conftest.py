"""The handler on moto: a fresh table, config and salt cache for every test."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from lambdactr.function.item import PlainItem, from_dynamodb, is_salt_key
from lambdactr.function.store import Store, make_client
from tests.conftest import DynamoDB, create_hits_table
from tests.support.function import Wire, handler_log_into, invoke, json_lines

TABLE = "lambdactr-test-hits"


def create_table(client: Any, name: str = TABLE) -> None:
    create_hits_table(client, name)


@dataclass
class Counter:
    """The deployed handler, wired to a moto table through the same module globals."""

    client: Any
    invoke_raw: Callable[[dict[str, Any]], dict[str, Any]]
    configure: Callable[..., None]
    log_stream: io.StringIO = field(default_factory=io.StringIO)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.invoke_raw(event)

    def log_lines(self) -> list[dict[str, Any]]:
        """What the handler logged, one JSON object a line, as CloudWatch would receive it."""
        return json_lines(self.log_stream.getvalue())

    def items(self) -> list[PlainItem]:
        scanned = self.client.scan(TableName=TABLE)["Items"]
        return [from_dynamodb(i) for i in scanned if not is_salt_key(i["pk"]["S"])]

    def salt_items(self) -> list[dict[str, Any]]:
        scanned = self.client.scan(TableName=TABLE)["Items"]
        return [i for i in scanned if is_salt_key(i["pk"]["S"])]


@pytest.fixture
def counter(wire_handler: Wire, dynamodb: DynamoDB) -> Iterator[Counter]:
    """The handler on a fresh table, once on moto and once on DynamoDB Local."""
    client = dynamodb.client
    create_table(client)

    def configure(store: Store | None = None, **overrides: Any) -> None:
        wire_handler(store or Store(TABLE, make_client()), **overrides)

    configure()
    counter = Counter(client=client, invoke_raw=invoke, configure=configure)
    with handler_log_into(counter.log_stream):
        yield counter
