"""The daily salt: created once, shared by racing containers, read once per container per day."""

from __future__ import annotations

from typing import Any

from lambdactr.function.privacy import SaltKeeper
from lambdactr.function.store import Store, make_client
from tests.support.counter import TABLE, Counter


class CountingStore(Store):
    def __init__(self) -> None:
        super().__init__(TABLE, make_client())
        self.gets = 0
        self.creates = 0

    def get_salt(self, day: str) -> bytes | None:
        self.gets += 1
        return super().get_salt(day)

    def create_salt(self, day: str, salt: bytes, expires_at: int) -> bytes:
        self.creates += 1
        return super().create_salt(day, salt, expires_at)


def no_failure(error: Exception) -> None:
    raise AssertionError(f"salt failed: {error!r}")


def test_first_request_of_the_day_creates_the_salt_and_later_ones_reuse_it(
    counter: Counter,
) -> None:
    store = CountingStore()
    keeper = SaltKeeper(store, on_failure=no_failure)
    first = keeper.salt_for("2026-11-23")
    assert first is not None
    assert len(first) == 32
    for _ in range(50):
        assert keeper.salt_for("2026-11-23") == first
    assert (store.gets, store.creates) == (1, 1)


def test_a_new_container_reads_the_existing_salt(counter: Counter) -> None:
    first = SaltKeeper(CountingStore(), on_failure=no_failure).salt_for("2026-11-23")
    second_store = CountingStore()
    second = SaltKeeper(second_store, on_failure=no_failure).salt_for("2026-11-23")
    assert second == first
    assert (second_store.gets, second_store.creates) == (1, 0)


def test_day_rollover_makes_a_new_salt(counter: Counter) -> None:
    store = CountingStore()
    keeper = SaltKeeper(store, on_failure=no_failure)
    today = keeper.salt_for("2026-11-23")
    tomorrow = keeper.salt_for("2026-11-24")
    assert today != tomorrow
    assert keeper.salt_for("2026-11-24") == tomorrow
    assert (store.gets, store.creates) == (2, 2)
    assert {i["pk"]["S"] for i in counter.salt_items()} == {"salt#2026-11-23", "salt#2026-11-24"}


class BlindStore(CountingStore):
    """A container that looked before its rival wrote: its first read finds nothing."""

    def get_salt(self, day: str) -> bytes | None:
        self.gets += 1
        if self.gets == 1:
            return None
        return Store.get_salt(self, day)


def test_two_racing_containers_agree_on_one_salt(counter: Counter) -> None:
    winner = SaltKeeper(CountingStore(), on_failure=no_failure).salt_for("2026-11-23")
    loser_store = BlindStore()
    loser = SaltKeeper(loser_store, on_failure=no_failure).salt_for("2026-11-23")
    assert loser == winner
    assert loser_store.creates == 1  # it tried, the conditional put refused, it read the winner's
    assert len(counter.salt_items()) == 1


def test_racing_handlers_give_one_visitor_one_vid(counter: Counter, event_named: Any) -> None:
    counter.invoke(event_named("css"))
    # A second container, whose first salt read missed the salt the first one had just made.
    counter.configure(salt_store=BlindStore())
    counter.invoke(event_named("css"))
    assert len({item["vid"] for item in counter.items()}) == 1
