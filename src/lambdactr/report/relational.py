"""The SQL engines' report: the statements of `sql`, Python's classification, the `Report`.

An engine (DuckDB over a local copy of the export, Athena over the bucket) only runs Trino SQL
and holds two small lookups; everything it returns is turned into the same `Report` the scan
engine builds, sorted and cut the same way, so the two give the same JSON.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any, Protocol

from .aggregate import (  # the scan engine's own helpers: one definition of each rule
    _sorted_rows,
    _warnings,
    referrer_host,
)
from .classify import FIREFOX_FAMILIES, Classifier
from .countries import country_name
from .model import UNKNOWN, CountryRow, DayRow, PageRow, Report, Row
from .query import ReportQuery, days_between
from .sql import YES, ResultRow, lookup_sql, report_sql, result_row


class SqlEngine(Protocol):
    """What the report needs of an engine; every statement it is given is in Trino's dialect."""

    @property
    def records(self) -> str:
        """How statements name the export's records, as rows of `records_sql`."""

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Run `sql` and return its rows."""

    def lookups(
        self, signatures: list[tuple[str, ...]], referrers: list[tuple[str, ...]]
    ) -> tuple[str, str]:
        """Hold the two classifications; return how to name them (signatures, referrers)."""


def sql_report(engine: SqlEngine, query: ReportQuery) -> Report:
    """The report of the export's records, counted by `engine`."""
    signatures, referrers = classify_lookups(engine.rows(lookup_sql(engine.records, query)))
    signature_relation, referrer_relation = engine.lookups(signatures, referrers)
    rows = engine.rows(report_sql(engine.records, signature_relation, referrer_relation, query))
    return build_report(map(result_row, rows), query)


def classify_lookups(
    rows: Iterable[tuple[Any, ...]],
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Each distinct signature's class and each referrer's host, as the scan engine finds them."""
    classifier = Classifier()
    signatures: list[tuple[str, ...]] = []
    referrers: list[tuple[str, ...]] = []
    for is_signature, ua, has_language, has_fetch, ref in rows:
        if int(is_signature):
            client = classifier.classify_signature(
                ua or None, has_language == YES, has_fetch == YES
            )
            signatures.append(
                (
                    ua,
                    has_language,
                    has_fetch,
                    client.browser,
                    client.os,
                    client.device,
                    client.bot_reason or "",
                )
            )
        elif ref is not None:
            referrers.append((ref, referrer_host(ref)))
    return signatures, referrers


def build_report(rows: Iterable[ResultRow], query: ReportQuery) -> Report:
    by_breakdown: defaultdict[str, list[ResultRow]] = defaultdict(list)
    for row in rows:
        by_breakdown[row.breakdown].append(row)
    totals = by_breakdown["days"]  # every hit and visitor is in exactly one (see BREAKDOWNS)
    pageviews = sum(row.pageviews for row in totals)
    visitors = sum(row.visitors for row in totals)
    anonymous = sum(row.anonymous for row in totals)

    def counted(breakdown: str) -> list[ResultRow]:
        # A name that only bots or speculative hits carried has no row, as in the scan engine.
        return [row for row in by_breakdown[breakdown] if row.pageviews]

    def named_rows(breakdown: str, column: str) -> list[Row]:
        return _sorted_rows(
            Row(str(row.values[column]), row.pageviews, row.visitors)
            for row in counted(breakdown)
            if row.values[column] is not None
        )

    days = {row.values["day"]: row for row in counted("days")}
    day_rows = [
        DayRow(day, days[day].pageviews, days[day].visitors) if day in days else DayRow(day, 0, 0)
        for day in days_between(query.since, query.until)
    ]
    pages = sorted(
        (
            PageRow(row.values["site"], row.values["path"], row.pageviews, row.visitors)
            for row in counted("pages")
        ),
        key=lambda row: (-row.pageviews, -row.visitors, row.site, row.path),
    )
    countries = sorted(
        (
            CountryRow(
                code := row.values["cc"],
                country_name(code) if code else UNKNOWN,
                row.pageviews,
                row.visitors,
            )
            for row in counted("countries")
        ),
        key=lambda row: (-row.pageviews, -row.visitors, row.name),
    )
    filtered = Counter(
        {
            row.values["reason"]: row.hits
            for row in by_breakdown["filtered"]
            if row.values["reason"] is not None
        }
    )
    site_views = Counter({row.values["site"]: row.pageviews for row in counted("sites")})
    referer_paths: Counter[tuple[str, bool, bool]] = Counter()
    for row in counted("referer_paths"):
        if row.values["referer_root"] is not None:
            firefox = row.values["browser"] in FIREFOX_FAMILIES
            referer_paths[row.values["site"], firefox, bool(row.values["referer_root"])] += (
                row.pageviews
            )
    return Report(
        site=query.site,
        since=query.since_day,
        until=query.until_day,
        pageviews=pageviews,
        visitors=visitors,
        days=day_rows,
        pages=pages,
        referrers=named_rows("referrers", "referrer"),
        campaigns=named_rows("campaigns", "campaign"),
        browsers=named_rows("browsers", "browser"),
        os=named_rows("os", "os"),
        devices=named_rows("devices", "device"),
        countries=countries,
        languages=named_rows("languages", "lang"),
        kinds=named_rows("kinds", "kind"),
        filtered=dict(sorted(filtered.items(), key=lambda entry: (-entry[1], entry[0]))),
        include_bots=query.include_bots,
        path_prefix=query.path_prefix,
        warnings=_warnings(site_views, referer_paths, anonymous),
        sites=sorted(site_views),
    )
