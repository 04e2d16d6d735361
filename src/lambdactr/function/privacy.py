"""Unique visitors without identifying anyone: a keyed hash under a salt that lives one day.

The salts table holds one salt at a time: the current UTC day's. The first container to need
a salt on a new day replaces the old one in a single conditional write, so a day's salt is gone
once the next day has seen a hit, and with it any way to link a `vid` back to an address, even
for whoever runs the counter. The table has no backups (template.yaml), and a salt whose `ttl`
has passed is never used, even while DynamoDB's TTL has yet to delete it.

The salt is that of the day the Lambda runs in by its own clock, not the day a request claims:
on AWS the two agree (API Gateway stamps the request), and no request can make a container
bring back, or run ahead to, another day's salt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import NamedTuple, Protocol

SALT_BYTES = 32
SECONDS_PER_DAY = 86_400
VISITOR_ID_HEX_CHARS = 16
# After a failed salt read the container stops asking for a while, so an outage costs each hit
# one skipped lookup rather than one more timeout.
SALT_RETRY_SECONDS = 30.0


class Salt(NamedTuple):
    value: bytes
    # Epoch seconds, stored as the item's `ttl`: the end of the UTC day the salt was made for.
    expires_at: int


class SaltStore(Protocol):
    def get_salt(self) -> Salt | None:
        """The stored salt, live or expired, or None."""
        ...

    def create_salt(self, salt: Salt, now: int) -> Salt | None:
        """Store `salt` unless a live salt (expiring after `now`) is there already; return the
        salt stored afterwards, whichever that is."""
        ...


class SaltUnavailableError(Exception):
    """The table holds no live salt even after this container tried to create one."""


def visitor_id(salt: bytes, visitor_key: bytes) -> str:
    return hmac.new(salt, visitor_key, hashlib.sha256).hexdigest()[:VISITOR_ID_HEX_CHARS]


def end_of_utc_day(epoch_seconds: float) -> int:
    return (int(epoch_seconds) // SECONDS_PER_DAY + 1) * SECONDS_PER_DAY


class SaltKeeper:
    """The current day's salt for this container: one read per container per day."""

    def __init__(
        self,
        store: SaltStore,
        on_failure: Callable[[Exception], None],
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._on_failure = on_failure
        self._monotonic = monotonic
        self._clock = clock
        self._salt = b""
        self._expires_at = 0
        self._retry_after = 0.0
        self._failure_reported = False

    def current(self) -> bytes | None:
        """Today's salt, or None while the table cannot give one."""
        now = self._clock()
        if now < self._expires_at:
            return self._salt
        if self._monotonic() < self._retry_after:
            return None
        try:
            salt = self._live_salt(now)
        except Exception as error:
            self._retry_after = self._monotonic() + SALT_RETRY_SECONDS
            if not self._failure_reported:
                self._failure_reported = True
                self._on_failure(error)
            return None
        self._salt, self._expires_at = salt
        return salt.value

    def _live_salt(self, now: float) -> Salt:
        salt = self._store.get_salt()
        if salt is None or salt.expires_at <= now:
            # Missing, or expired and not yet deleted by TTL (which can lag by days): either way
            # a new one replaces it, unless another container has just done so.
            fresh = Salt(secrets.token_bytes(SALT_BYTES), end_of_utc_day(now))
            salt = self._store.create_salt(fresh, int(now))
            if salt is None or salt.expires_at <= now:
                raise SaltUnavailableError("the salts table holds no live salt")
        return salt
