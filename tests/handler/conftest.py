"""The handler on moto: fresh tables, config and salt cache for every test."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdactr.function.config import default_salts_table
from lambdactr.function.item import PlainItem, from_dynamodb, is_salt_key
from lambdactr.function.store import Store, make_client
from tests.conftest import create_tables
from tests.support.function import SettableClock, Wire, handler_log_into, invoke, json_lines

TABLE = "lambdactr-test-hits"
SALTS_TABLE = default_salts_table(TABLE)


def create_table(client: Any, name: str = TABLE) -> None:
    """The hits table `name` and its salts table."""
    create_tables(client, name)


@dataclass
class Counter:
    """The deployed handler, wired to moto tables through the same module globals."""

    client: Any
    invoke_raw: Callable[[dict[str, Any]], dict[str, Any]]
    configure: Callable[..., None]
    # The handler's wall clock, which picks the day's salt: a test moves it to change days.
    clock: SettableClock
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
        """Everything in the salts table."""
        items: list[dict[str, Any]] = self.client.scan(TableName=SALTS_TABLE)["Items"]
        return items


@pytest.fixture
def counter(wire_handler: Wire) -> Iterator[Counter]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        clock = SettableClock(time.time())

        def configure(store: Store | None = None, **overrides: Any) -> None:
            overrides.setdefault("clock", clock)
            wire_handler(store or Store(TABLE, make_client()), **overrides)

        configure()
        counter = Counter(client=client, invoke_raw=invoke, configure=configure, clock=clock)
        with handler_log_into(counter.log_stream):
            yield counter
