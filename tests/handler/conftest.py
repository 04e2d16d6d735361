"""The handler on moto: a fresh table, config and salt cache for every test."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdactr.config import Config
from lambdactr.item import PlainItem, from_dynamodb, is_salt_key
from lambdactr.privacy import SaltKeeper
from lambdactr.store import Store, make_client
from tests.conftest import create_hits_table

TABLE = "lambdactr-test-hits"


def create_table(client: Any, name: str = TABLE) -> None:
    create_hits_table(client, name)


@dataclass
class FakeContext:
    function_name: str = "lambdactr-BeaconFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:lambdactr"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name: str = "/aws/lambda/lambdactr"
    log_stream_name: str = "2026/11/23/[$LATEST]abc"


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
def counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client)
        from lambdactr import app

        def configure(**overrides: Any) -> None:
            config = Config(table_name=TABLE, **overrides)
            store = Store(TABLE, make_client())
            monkeypatch.setattr(app, "config", config)
            monkeypatch.setattr(app, "store", store)
            monkeypatch.setattr(
                app, "salts", SaltKeeper(store, on_failure=app._report_salt_failure)
            )

        configure()

        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            return app.handler(event, FakeContext())  # type: ignore[arg-type]

        counter = Counter(client=client, invoke_raw=invoke, configure=configure)
        with handler_log_into(counter.log_stream):
            yield counter


@contextmanager
def handler_log_into(stream: io.StringIO) -> Iterator[None]:
    """Send the handler's Powertools log lines to `stream`, exactly as Lambda would get them."""
    from lambdactr import app

    handler = app.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    # Swapped, not setStream(): that flushes the old stream, which may be the capture file of
    # whichever test first imported the app, long closed.
    previous, handler.stream = handler.stream, stream
    try:
        yield
    finally:
        handler.stream = previous


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines
