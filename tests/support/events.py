"""The sample API Gateway events in events/, and request headers that must never be stored."""

from __future__ import annotations

import json
from typing import Any

from tests.support.paths import EVENTS_DIR

# One value for each header in `lambdactr.function.hit.NEVER_STORED_HEADERS`: none of these
# strings may reach the table or a log line.
FORBIDDEN_HEADERS = {
    "cookie": "session=s3cr3t-cookie",
    "authorization": "Basic c2VjcmV0OnBhc3N3b3Jk",
    "if-none-match": '"e7a1c0ffee"',
    "host": "private-host.internal",
    "x-forwarded-for": "198.51.100.77, 81.2.69.161",
    "forwarded": "for=198.51.100.78;proto=https",
    "x-real-ip": "198.51.100.79",
    "true-client-ip": "198.51.100.80",
    "cf-connecting-ip": "198.51.100.81",
}


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of events/<name>.json, free to change."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return event
