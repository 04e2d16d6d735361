"""The UTC day of a hit, as the handler stores it and the report reads it."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_day(time_ms: int) -> str:
    """`YYYY-MM-DD` of the UTC day that holds `time_ms` (epoch milliseconds)."""
    return datetime.fromtimestamp(time_ms / 1000, UTC).strftime("%Y-%m-%d")
