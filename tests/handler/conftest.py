"""The handler on moto: fresh tables, config and salt cache for every test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdactr.function.store import Store, make_client
from tests.support.counter import TABLE, Counter
from tests.support.function import SettableClock, Wire, handler_log_into, invoke
from tests.support.tables import create_tables


@pytest.fixture
def counter(wire_handler: Wire) -> Iterator[Counter]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(client, TABLE)
        clock = SettableClock(time.time())

        def configure(store: Store | None = None, **overrides: Any) -> None:
            overrides.setdefault("clock", clock)
            wire_handler(store or Store(TABLE, make_client()), **overrides)

        configure()
        counter = Counter(client=client, invoke_raw=invoke, configure=configure, clock=clock)
        with handler_log_into(counter.log_stream):
            yield counter
