"""The daily salt: one at a time in its own table, created once, shared by racing containers,
read once per container per day, never used once expired, and gone when the next day's is made.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from lambdactr.function.privacy import Salt, SaltKeeper
from lambdactr.function.store import SALT_KEY, Store, make_client
from tests.support.counter import SALTS_TABLE, TABLE, Counter
from tests.support.function import SettableClock

DAY = 86_400
# 2026-11-23T09:00:00Z: a clock in the middle of a UTC day.
MORNING = 1795424400.0
END_OF_THE_DAY = 1795478400  # 2026-11-24T00:00:00Z


class CountingStore(Store):
    def __init__(self) -> None:
        super().__init__(TABLE, make_client())
        self.gets = 0
        self.creates = 0

    def get_salt(self) -> Salt | None:
        self.gets += 1
        return super().get_salt()

    def create_salt(self, salt: Salt, now: int) -> Salt | None:
        self.creates += 1
        return super().create_salt(salt, now)


def no_failure(error: Exception) -> None:
    raise AssertionError(f"salt failed: {error!r}")


def keeper(store: Store, clock: SettableClock) -> SaltKeeper:
    """A new container's keeper."""
    return SaltKeeper(store, on_failure=no_failure, clock=clock)


def stored_salts(counter: Counter) -> list[tuple[bytes, int]]:
    return [(bytes(i["salt"]["B"]), int(i["ttl"]["N"])) for i in counter.salt_items()]


def test_first_request_of_the_day_creates_the_salt_and_later_ones_reuse_it(
    counter: Counter,
) -> None:
    store = CountingStore()
    clock = SettableClock(MORNING)
    container = keeper(store, clock)
    first = container.current()
    assert first is not None
    assert len(first) == 32
    for _ in range(50):
        clock.now += 60
        assert container.current() == first
    assert (store.gets, store.creates) == (1, 1)
    # It lives in the salts table, expiring at the end of its day; none is in the hits table.
    assert stored_salts(counter) == [(first, END_OF_THE_DAY)]
    assert counter.client.scan(TableName=TABLE)["Items"] == []


def test_a_new_container_reads_the_existing_salt(counter: Counter) -> None:
    clock = SettableClock(MORNING)
    first = keeper(CountingStore(), clock).current()
    second_store = CountingStore()
    clock.now += 3 * 3600
    assert keeper(second_store, clock).current() == first
    assert (second_store.gets, second_store.creates) == (1, 0)


def test_an_expired_salt_is_not_used(counter: Counter, event_named: Any) -> None:
    # TTL deletes late: yesterday's salt may still be in the table, expired, when today begins.
    stale = b"\x01" * 32
    counter.client.put_item(
        TableName=SALTS_TABLE,
        Item={
            "pk": {"S": SALT_KEY},
            "salt": {"B": stale},
            "ttl": {"N": str(int(counter.clock.now) - 1)},
        },
    )
    event = event_named("css")
    counter.invoke(event)
    (item,) = counter.items()
    message = "\n".join(("blog.example.org", "81.2.69.160", event["headers"]["user-agent"]))
    assert item["vid"] != hmac.new(stale, message.encode(), hashlib.sha256).hexdigest()[:16]
    # A fresh salt took its place, valid to the end of today.
    ((salt, expires_at),) = stored_salts(counter)
    assert salt != stale
    assert expires_at > counter.clock.now
    assert item["vid"] == hmac.new(salt, message.encode(), hashlib.sha256).hexdigest()[:16]


def test_the_old_salt_is_deleted_when_the_next_days_salt_is_created(counter: Counter) -> None:
    clock = SettableClock(MORNING)
    monday = keeper(CountingStore(), clock).current()
    assert monday is not None
    clock.now += DAY
    # A container that lived through midnight and one started today agree on the new salt.
    tuesday_store = CountingStore()
    tuesday = keeper(tuesday_store, clock).current()
    assert tuesday is not None
    assert tuesday != monday
    assert tuesday_store.creates == 1
    # Only Tuesday's salt is left: Monday's is gone, not waiting for TTL, whatever the gap
    # since it was made.
    assert stored_salts(counter) == [(tuesday, END_OF_THE_DAY + DAY)]
    clock.now += 10 * DAY
    later = keeper(CountingStore(), clock).current()
    assert stored_salts(counter) == [(later, END_OF_THE_DAY + 11 * DAY)]


def test_a_container_alive_at_midnight_switches_to_the_new_salt(counter: Counter) -> None:
    clock = SettableClock(END_OF_THE_DAY - 1.0)
    store = CountingStore()
    container = keeper(store, clock)
    before = container.current()
    clock.now = END_OF_THE_DAY + 0.5
    after = container.current()
    assert after is not None
    assert after != before
    assert (store.gets, store.creates) == (2, 2)


class BlindStore(CountingStore):
    """A container that looked before its rival wrote: its first read finds nothing."""

    def get_salt(self) -> Salt | None:
        self.gets += 1
        if self.gets == 1:
            return None
        return Store.get_salt(self)


def test_two_racing_containers_agree_on_one_salt(counter: Counter) -> None:
    clock = SettableClock(MORNING)
    winner = keeper(CountingStore(), clock).current()
    loser_store = BlindStore()
    loser = keeper(loser_store, clock).current()
    assert loser == winner
    assert loser_store.creates == 1  # it tried, the conditional put refused, it read the winner's
    assert len(counter.salt_items()) == 1


def test_racing_handlers_give_one_visitor_one_vid(counter: Counter, event_named: Any) -> None:
    counter.invoke(event_named("css"))
    # A second container, whose first salt read missed the salt the first one had just made.
    counter.configure(salt_store=BlindStore())
    counter.invoke(event_named("css"))
    assert len({item["vid"] for item in counter.items()}) == 1


def test_the_salt_is_the_handlers_day_not_the_days_a_request_names(
    counter: Counter, event_named: Any
) -> None:
    # A request stamped with another day neither brings back nor creates that day's salt.
    for shift in (-30 * DAY, 0, 400 * DAY):
        event = event_named("css")
        event["requestContext"]["timeEpoch"] += shift * 1000
        counter.invoke(event)
    assert len({item["vid"] for item in counter.items()}) == 1
    ((_, expires_at),) = stored_salts(counter)
    assert expires_at == (int(counter.clock.now) // DAY + 1) * DAY
