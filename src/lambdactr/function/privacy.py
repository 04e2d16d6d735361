"""Unique visitors without identifying anyone: a keyed hash under a salt that lives two days.

The salt for a UTC day is created once, by whichever container asks first, and kept in the
table under `salt#YYYY-MM-DD` with a TTL. Once it expires, a `vid` can no longer be linked
back to an address, not even by whoever runs the counter.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from datetime import date
from typing import Protocol

SALT_BYTES = 32
SALT_LIFETIME_SECONDS = 2 * 86_400
VISITOR_ID_HEX_CHARS = 16
# After a failed salt read the container stops asking for a while, so an outage costs each hit
# one skipped lookup rather than one more timeout.
SALT_RETRY_SECONDS = 30.0


class SaltStore(Protocol):
    def get_salt(self, day: str) -> bytes | None: ...

    def create_salt(self, day: str, salt: bytes, expires_at: int) -> bytes:
        """Store `salt` unless the day has one already; return the day's salt either way."""
        ...


def visitor_id(salt: bytes, visitor_key: bytes) -> str:
    return hmac.new(salt, visitor_key, hashlib.sha256).hexdigest()[:VISITOR_ID_HEX_CHARS]


def salt_expiry(day: str) -> int:
    """Epoch seconds two days after the day began: a day's hits plus a day of grace."""
    start = date.fromisoformat(day).toordinal() - date(1970, 1, 1).toordinal()
    return start * 86_400 + SALT_LIFETIME_SECONDS


class SaltKeeper:
    """Today's salt for this container: one read per container per day."""

    def __init__(
        self,
        store: SaltStore,
        on_failure: Callable[[Exception], None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._on_failure = on_failure
        self._monotonic = monotonic
        self._day = ""
        self._salt = b""
        self._retry_after = 0.0
        self._failure_reported = False

    def salt_for(self, day: str) -> bytes | None:
        """The day's salt, or None while the table cannot give one."""
        if day == self._day:
            return self._salt
        if self._monotonic() < self._retry_after:
            return None
        try:
            salt = self._store.get_salt(day)
            if salt is None:
                salt = self._store.create_salt(
                    day, secrets.token_bytes(SALT_BYTES), salt_expiry(day)
                )
        except Exception as error:
            self._retry_after = self._monotonic() + SALT_RETRY_SECONDS
            if not self._failure_reported:
                self._failure_reported = True
                self._on_failure(error)
            return None
        self._day, self._salt = day, salt
        return salt
