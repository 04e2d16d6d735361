"""`lambdactr replay --since`: how far back CloudWatch Logs is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lambdactr.replay import ReplayError, parse_since

NOW = datetime(2026, 11, 29, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1d", NOW - timedelta(days=1)),
        ("12h", NOW - timedelta(hours=12)),
        ("90m", NOW - timedelta(minutes=90)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T08:00:00+01:00", datetime(2026, 11, 20, 7, tzinfo=UTC)),
    ],
)
def test_since_takes_a_span_or_a_date(raw: str, expected: datetime) -> None:
    assert parse_since(raw, NOW) == expected


@pytest.mark.parametrize("raw", ["yesterday", "1w", "-1d", ""])
def test_since_refuses_what_it_cannot_read(raw: str) -> None:
    with pytest.raises(ReplayError, match="--since"):
        parse_since(raw, NOW)
