"""DynamoDB away, throttling or hanging: the visitor still gets the beacon, and no hit is lost.

Each test drives the real handler and its real botocore client (timeouts, retries and all)
against a loopback endpoint that fails the way DynamoDB can, then runs the same events on a
healthy table to prove the logged item is the whole item.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from lambdactr.function import store as store_module
from lambdactr.function.beacon import CONTENT_TYPES, IGNORED_HEADER
from lambdactr.function.item import MAX_ITEM_BYTES, PlainItem, item_size
from tests.support.faults import Function, MotoDynamoDB, ThrottlingDynamoDB, client_for

# The beacon function's Timeout in template.yaml, just under the 30 s after which API Gateway's
# HTTP API gives up on any integration. Past it the visitor would get a 5xx and the hit would be
# lost unlogged, so every fault must be answered before it.
FUNCTION_TIMEOUT_SECONDS = 29
ATTEMPTS: int = store_module.CLIENT_CONFIG.retries["total_max_attempts"]  # type: ignore[attr-defined]
EVENTS = ("css", "gif", "hostile")


def timed_invoke(function: Function, event: dict[str, Any], label: str) -> dict[str, Any]:
    started = time.perf_counter()
    response = function.invoke(event)
    elapsed = time.perf_counter() - started
    print(f"{label}: answered {response['statusCode']} in {elapsed:.2f} s")
    assert elapsed < FUNCTION_TIMEOUT_SECONDS
    return response


def assert_beacon(response: dict[str, Any], name: str) -> None:
    kind = "css" if name == "css" else "gif"
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == CONTENT_TYPES[kind]
    assert IGNORED_HEADER not in response["headers"]


def healthy_items(
    function: Function, moto_dynamodb: MotoDynamoDB, monkeypatch: pytest.MonkeyPatch, events: Any
) -> list[PlainItem]:
    moto_dynamodb.create_table()
    function.wire(client_for(monkeypatch, moto_dynamodb.url))
    for event in events:
        assert function.invoke(event)["statusCode"] == 200
    return sorted(moto_dynamodb.hits(), key=lambda item: (item["kind"], len(str(item))))


def comparable(item: PlainItem) -> PlainItem:
    """An item less what differs between runs: the random key and the visitor id."""
    return {k: v for k, v in item.items() if k not in ("pk", "vid", "novid")}


def assert_logged_whole(
    function: Function, healthy: list[PlainItem], error_fragment: str
) -> list[PlainItem]:
    lines = function.unsaved_lines()
    assert len(lines) == len(healthy)
    for line in lines:
        assert line["level"] == "ERROR"
        assert line["message"] == "hit not stored"
        assert error_fragment in line["error"]
    logged = sorted(function.unsaved_hits(), key=lambda item: (item["kind"], len(str(item))))
    for unsaved, stored in zip(logged, healthy, strict=True):
        # The salts table is on the same DynamoDB, so the salt was out of reach too.
        assert unsaved["novid"] is True
        assert "vid" not in unsaved
        assert len(unsaved["pk"]) == 32
        assert item_size(unsaved) <= MAX_ITEM_BYTES
        assert "vid" in stored
        assert "novid" not in stored
        assert comparable(unsaved) == comparable(stored)
    return logged


def test_unreachable_dynamodb_answers_the_beacon_and_logs_every_item(
    function: Function,
    event_named: Any,
    unreachable_url: str,
    moto_dynamodb: MotoDynamoDB,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    function.wire(client_for(monkeypatch, unreachable_url))
    for name in EVENTS:
        assert_beacon(timed_invoke(function, event_named(name), f"unreachable, {name}"), name)

    # One warning for the container's missing salt, not one per hit.
    assert len(function.salt_warnings()) == 1
    healthy = healthy_items(function, moto_dynamodb, monkeypatch, map(event_named, EVENTS))
    assert_logged_whole(function, healthy, "Could not connect to the endpoint URL")


def test_throttling_dynamodb_answers_the_beacon_and_logs_every_item(
    function: Function,
    event_named: Any,
    throttling_dynamodb: ThrottlingDynamoDB,
    moto_dynamodb: MotoDynamoDB,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    function.wire(client_for(monkeypatch, throttling_dynamodb.url))
    for name in EVENTS:
        assert_beacon(timed_invoke(function, event_named(name), f"throttled, {name}"), name)

    # The client retries a bounded number of times; the salt is asked for once, then the
    # container backs off instead of paying a throttled read on every hit.
    assert throttling_dynamodb.operations == ["GetItem"] * ATTEMPTS + ["PutItem"] * (
        ATTEMPTS * len(EVENTS)
    )
    assert len(function.salt_warnings()) == 1
    healthy = healthy_items(function, moto_dynamodb, monkeypatch, map(event_named, EVENTS))
    assert_logged_whole(function, healthy, "ProvisionedThroughputExceededException")


@pytest.mark.slow
def test_hanging_dynamodb_answers_the_beacon_within_the_function_timeout(
    function: Function, event_named: Any, hanging_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst case: every call waits for its read timeout, on every attempt."""
    function.wire(client_for(monkeypatch, hanging_url))
    started = time.perf_counter()
    response = function.invoke(event_named("css"))
    elapsed = time.perf_counter() - started
    print(f"hanging, css: answered {response['statusCode']} in {elapsed:.2f} s")
    assert elapsed < FUNCTION_TIMEOUT_SECONDS
    assert_beacon(response, "css")
    (line,) = function.unsaved_lines()
    assert "Read timeout" in line["error"]
    assert line["unsaved_hit"]["novid"] is True
