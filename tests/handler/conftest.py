"""The handler on moto and on DynamoDB Local: fresh tables, config and salt cache for every test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from lambdactr.function.store import Store, make_client
from tests.support.counter import TABLE, Counter
from tests.support.dynamodb_local import DynamoDB
from tests.support.function import SettableClock, Wire, handler_log_into, invoke
from tests.support.tables import create_tables


@pytest.fixture
def counter(wire_handler: Wire, dynamodb: DynamoDB) -> Iterator[Counter]:
    """The handler on fresh tables, once on moto and once on DynamoDB Local."""
    client = dynamodb.client
    create_tables(client, TABLE)
    clock = SettableClock(time.time())

    def configure(store: Store | None = None, **overrides: Any) -> None:
        overrides.setdefault("clock", clock)
        wire_handler(store or Store(TABLE, make_client()), **overrides)

    configure()
    counter = Counter(client=client, invoke_raw=invoke, configure=configure, clock=clock)
    with handler_log_into(counter.log_stream):
        yield counter
