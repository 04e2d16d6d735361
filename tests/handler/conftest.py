"""The handler on moto: a fresh table, config and salt cache for every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdactr.function.store import Store, make_client
from tests.support.counter import TABLE, Counter
from tests.support.function import Wire, handler_log_into, invoke
from tests.support.tables import create_hits_table


@pytest.fixture
def counter(wire_handler: Wire) -> Iterator[Counter]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_hits_table(client, TABLE)

        def configure(store: Store | None = None, **overrides: Any) -> None:
            wire_handler(store or Store(TABLE, make_client()), **overrides)

        configure()
        counter = Counter(client=client, invoke_raw=invoke, configure=configure)
        with handler_log_into(counter.log_stream):
            yield counter
