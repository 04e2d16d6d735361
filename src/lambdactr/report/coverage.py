"""Which days an export holds, and which days of a report's range it may lack."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..export_layout import BACKFILL_FILE_PREFIX, MANIFEST_SUMMARY, day_of_key
from .query import ReportQuery, days_between


@dataclass(frozen=True, slots=True)
class Coverage:
    """The days whose incremental export finished, and the newest day holding a full export
    (the backfill, or `export --to-dir`'s): it holds every hit stored before it ran."""

    incremental: frozenset[str]
    full: str | None

    @property
    def last_day(self) -> str | None:
        return max(self.incremental | {self.full} if self.full else self.incremental, default=None)

    def missing(self, query: ReportQuery) -> list[str]:
        """The days of the query whose hits may be missing: after the full export (or, without
        one, the first incremental export), no later than the last export, and without a
        finished export of their own. Days after the last export are not exported yet."""
        last = self.last_day
        if last is None:
            return []
        first = self.full or min(self.incremental)
        return [
            day
            for day in days_between(query.since, query.until)
            if first <= day <= last and day not in self.incremental and day != self.full
        ]


def coverage_of(keys: Iterable[str], is_full_export: Callable[[str], bool]) -> Coverage:
    """The coverage of an export's keys (S3 keys or local paths): a day is exported when its
    summary manifest is there (DynamoDB writes it when the export completes); `is_full_export`
    tells a full export's manifest from an incremental one's, and the backfill's data files
    (filed by `export --full`, its manifests left in the staging prefix) mark a full export."""
    incremental: set[str] = set()
    full: set[str] = set()
    for key in keys:
        day = day_of_key(key)
        if day is None:
            continue
        if key.endswith(f"/{MANIFEST_SUMMARY}"):
            (full if is_full_export(key) else incremental).add(day)
        elif f"/data/{BACKFILL_FILE_PREFIX}" in key:
            full.add(day)
    return Coverage(frozenset(incremental), max(full, default=None))
