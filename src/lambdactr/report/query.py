"""What a report covers: the site, the UTC days, the path prefix, and whether bots count."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from ..function.hosts import host_matches, is_host_pattern, normalize_host

DEFAULT_SINCE = "30d"
_RELATIVE_DAYS = re.compile(r"(\d{1,5})d")


class QueryError(ValueError):
    """A filter the report cannot use, worded for the person who typed it."""


@dataclass(frozen=True, slots=True)
class ReportQuery:
    since: date
    until: date
    # An exact host, or "*.example.com" for every subdomain of example.com (not example.com
    # itself, as with ALLOWED_HOSTS). None reports every site.
    site: str | None = None
    path_prefix: str | None = None
    include_bots: bool = False

    def __post_init__(self) -> None:
        if self.since > self.until:
            raise QueryError(f"--since {self.since} is after --until {self.until}")

    @property
    def since_day(self) -> str:
        return self.since.isoformat()

    @property
    def until_day(self) -> str:
        return self.until.isoformat()

    def site_matches(self, site: str) -> bool:
        return self.site is None or host_matches(self.site, site)


def days_between(since: date, until: date) -> list[str]:
    """Every UTC day from `since` to `until`, both included, as `YYYY-MM-DD`."""
    return [(since + timedelta(days=n)).isoformat() for n in range((until - since).days + 1)]


def normalize_site_pattern(raw: str) -> str:
    pattern = normalize_host(raw)
    if not is_host_pattern(pattern):
        raise QueryError(f"--site takes a host or *.domain, not {raw!r}")
    return pattern


def parse_day(raw: str, today: date) -> date:
    """An ISO date (2026-11-01), or `Nd`: the first of the last N UTC days, today included."""
    text = raw.strip().lower()
    relative = _RELATIVE_DAYS.fullmatch(text)
    if relative:
        days = int(relative.group(1))
        if days < 1:
            raise QueryError(f"{raw!r}: a relative range is at least 1d")
        return today - timedelta(days=days - 1)
    if text == "today":
        return today
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{raw!r} is neither an ISO date (2026-11-01) nor a range (7d)") from None
