"""When the daily salt cannot be had, hits are still stored: without `vid`, flagged `novid`.

The problem is logged once per container, and the container asks again only after its back-off.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from lambdactr.function.privacy import SALT_RETRY_SECONDS, Salt
from lambdactr.function.store import Store
from tests.support.faults import TABLE, Function, MotoDynamoDB, client_for


class SaltlessStore(Store):
    """A table that takes hits but not salt: its salt reads (or its salt writes) fail."""

    def __init__(self, client: Any, failing: str) -> None:
        super().__init__(TABLE, client)
        self.failing = failing
        self.salt_reads = 0

    def get_salt(self) -> Salt | None:
        self.salt_reads += 1
        if self.failing == "read":
            raise EndpointConnectionError(endpoint_url="https://dynamodb.example.invalid")
        if self.failing == "create":
            return None
        return super().get_salt()

    def create_salt(self, salt: Salt, now: int) -> Salt | None:
        if self.failing == "create":
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no salt for you"}},
                "PutItem",
            )
        return super().create_salt(salt, now)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wire_saltless(
    function: Function,
    moto_dynamodb: MotoDynamoDB,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
    clock: Clock | None = None,
) -> SaltlessStore:
    moto_dynamodb.create_table()
    store = SaltlessStore(client_for(monkeypatch, moto_dynamodb.url), failing)
    function.wire(store=store, monotonic=clock or Clock())
    return store


@pytest.mark.parametrize("failing", ["read", "create"])
def test_hits_are_stored_without_vid_and_the_problem_is_logged_once(
    function: Function,
    event_named: Any,
    moto_dynamodb: MotoDynamoDB,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    wire_saltless(function, moto_dynamodb, monkeypatch, failing)
    names = ["css", "gif", "prefetch", "origin-referer", "hostile"] * 4
    for name in names:
        assert function.invoke(event_named(name))["statusCode"] == 200

    items = moto_dynamodb.hits()
    assert len(items) == len(names)
    for item in items:
        assert item["novid"] is True
        assert "vid" not in item
    (warning,) = function.salt_warnings()
    assert warning["level"] == "ERROR"  # kept by the stack's WARN log filter
    assert ("EndpointConnectionError" if failing == "read" else "AccessDenied") in warning["error"]
    assert function.unsaved_lines() == []


def test_the_keeper_asks_again_only_after_its_back_off_and_recovers(
    function: Function,
    event_named: Any,
    moto_dynamodb: MotoDynamoDB,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    store = wire_saltless(function, moto_dynamodb, monkeypatch, "read", clock)

    def hit_at(offset: float) -> None:
        clock.now = 1000.0 + offset
        assert function.invoke(event_named("css"))["statusCode"] == 200

    hit_at(0)
    assert store.salt_reads == 1
    hit_at(SALT_RETRY_SECONDS / 3)
    hit_at(SALT_RETRY_SECONDS - 0.1)
    assert store.salt_reads == 1  # backing off: no read, no timeout paid per hit

    hit_at(SALT_RETRY_SECONDS + 0.1)
    assert store.salt_reads == 2  # asked again, still failing

    store.failing = ""  # the table gives salt again
    hit_at(SALT_RETRY_SECONDS + 10)
    assert store.salt_reads == 2  # still inside the second back-off
    hit_at(2 * SALT_RETRY_SECONDS + 0.2)
    hit_at(2 * SALT_RETRY_SECONDS + 5)
    assert store.salt_reads == 3  # read once, then kept for the day

    items = sorted(moto_dynamodb.hits(), key=lambda item: str(item.get("vid", "")))
    without = [item for item in items if item.get("novid")]
    with_vid = [item for item in items if "vid" in item]
    assert len(without) == 5
    assert len(with_vid) == 2
    assert with_vid[0]["vid"] == with_vid[1]["vid"]
    assert not any("novid" in item for item in with_vid)
    # Seven hits and two failed reads, one warning: per container, not per hit.
    assert len(function.salt_warnings()) == 1
