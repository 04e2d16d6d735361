"""The report in SQL, written once in the dialect Athena runs (Trino), and run by DuckDB too.

The engines read DynamoDB's export files: incremental records (`Metadata`, `Keys`, `NewImage`;
a delete has no `NewImage`) and full-export lines (`Item`). A report is built in three steps:

1. `records_sql`: every record as one flat row, with the columns the report reads already in
   the form it counts them in. Athena runs it inline; DuckDB runs it once per export file and
   keeps the rows as Parquet, since export files never change.
2. `lookup_sql`: the distinct signatures and referrers among the records in the query's range,
   which Python then classifies with the very code the `scan` engine uses (SQL cannot run
   ua-parser).
3. `report_sql`: the live hits (`_hits_ctes`: one per key, the newest record winning, a delete
   winning a tie), joined with those classifications and counted by every breakdown.

Athena bills the bytes each statement scans, and Trino computes a WITH query again wherever it
is named: so each statement names each of its WITH queries once (`report_sql` reads the export
four times, all in `_hits_ctes`; `athena_engine.export_reads` counts). Written to mean the
same in both dialects: no integer division, no approx_distinct, no
url_extract_*, no date formats; `element_at` on maps (NULL for a missing key in both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot

from ..function.hosts import WILDCARD_PREFIX
from ..function.item import COUNTER_KEY_PREFIX, SALT_KEY_PREFIX
from .aggregate import NO_DAY, ORIGIN_ONLY_SOURCE
from .classify import FETCH_METADATA_HEADERS, SPECULATIVE
from .model import UNKNOWN
from .query import ReportQuery
from .scan import FIELD_TYPES

# The attributes the report reads, by their DynamoDB JSON type: the scan engine's own list.
_DESCRIPTORS: dict[type, str] = {str: "S", int: "N", bool: "BOOL", dict: "M"}
IMAGE_FIELDS: dict[str, str] = {name: _DESCRIPTORS[kind] for name, kind in FIELD_TYPES.items()}

# Keys that are not hits: the daily salt items (older tables keep them beside the hits).
RESERVED_KEY_PREFIXES = (SALT_KEY_PREFIX, COUNTER_KEY_PREFIX)
# Joins the parts of a visitor key. Stored strings never hold control characters: the handler's
# sanitizer strips them.
KEY_SEPARATOR = 31
YES, NO = "1", "0"

# The lookups that Python fills in, as the engines hold them: every column a string.
SIGNATURE_COLUMNS = ("ua", "has_language", "has_fetch", "browser", "os", "device", "bot_reason")
REFERRER_COLUMNS = ("ref", "host")


def quote(value: str) -> str:
    """A SQL string literal, the same in Trino and DuckDB (neither reads backslash escapes)."""
    return "'" + value.replace("'", "''") + "'"


def _like_suffix(suffix: str) -> str:
    escaped = suffix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"LIKE {quote('%' + escaped)} ESCAPE '\\'"


# (column, item attribute, DynamoDB JSON type) for each attribute the report reads.
IMAGE_COLUMNS = (
    ("site", "site", "s"),
    ("path", "path", "s"),
    ("day", "day", "s"),
    ("ts", "ts", "n"),
    ("src", "src", "s"),
    ("ref", "ref", "s"),
    ("campaign", "utm_campaign", "s"),
    ("cc", "cc", "s"),
    ("lang", "lang", "s"),
    ("kind", "kind", "s"),
    ("ua", "ua", "s"),
    ("vid", "vid", "s"),
    ("spec", "spec", "bool"),
)
# The columns of `records_sql`, in order: a record's key, age and presence, then its hit.
HIT_COLUMNS = (
    "site",
    "path",
    "day",
    "src",
    "ref",
    "campaign",
    "cc",
    "lang",
    "kind",
    "ua",
    "has_language",
    "has_fetch",
    "spec",
    "vid",
)
RECORD_COLUMNS = ("pk", "written", "present", *HIT_COLUMNS)


def records_sql(source: str) -> str:
    """One flat row per hit record in `source` (a delete's columns say nothing: `present` is 0).

    An incremental record's NewImage, or else a full export's Item: the same attribute. Each
    column is already as the report counts it (empty strings as missing, the day from `ts` for
    hits stored without one), so the work is done once per record, not once per report.
    """
    image = ",\n    ".join(
        f"COALESCE(newimage.{attribute}.{kind}, item.{attribute}.{kind}) AS {name}"
        for name, attribute, kind in IMAGE_COLUMNS
    )
    fetch = " OR ".join(
        f"element_at(COALESCE(newimage.h.m, item.h.m), {quote(name)}).s IS NOT NULL"
        for name in FETCH_METADATA_HEADERS
    )
    reserved = " AND ".join(
        f"NOT starts_with(pk, {quote(prefix)})" for prefix in RESERVED_KEY_PREFIXES
    )
    # A derived table, not WITH: the statements use this one as a subquery.
    return f"""
SELECT
  pk,
  written,
  present,
  COALESCE(NULLIF(site, ''), {quote(UNKNOWN)}) AS site,
  COALESCE(NULLIF(path, ''), {quote(UNKNOWN)}) AS path,
  COALESCE(
    day,
    CAST(CAST(from_unixtime(TRY_CAST(ts AS BIGINT) / 1e3) AS DATE) AS VARCHAR)
  ) AS day,
  src,
  NULLIF(ref, '') AS ref,
  NULLIF(campaign, '') AS campaign,
  NULLIF(cc, '') AS cc,
  COALESCE(NULLIF(lang, ''), {quote(UNKNOWN)}) AS lang,
  COALESCE(NULLIF(kind, ''), {quote(UNKNOWN)}) AS kind,
  COALESCE(ua, '') AS ua,
  CASE WHEN lang <> '' THEN '{YES}' ELSE '{NO}' END AS has_language,
  has_fetch,
  COALESCE(spec, false) AS spec,
  NULLIF(vid, '') AS vid
FROM (
  SELECT
    COALESCE("keys".pk.s, item.pk.s) AS pk,
    COALESCE(TRY_CAST(metadata.writetimestampmicros.n AS BIGINT), 0) AS written,
    CASE WHEN newimage IS NULL AND item IS NULL THEN 0 ELSE 1 END AS present,
    {image},
    CASE WHEN {fetch} THEN '{YES}' ELSE '{NO}' END AS has_fetch
  FROM {source}
) AS images
WHERE pk IS NOT NULL AND {reserved}
"""


def _in_query(query: ReportQuery) -> str:
    """The query's site, path and days, as a condition on the columns of `records_sql`.

    Hits with no day at all (neither `day` nor a readable `ts`) pass: the report lists them as
    filtered, as the scan engine does.
    """
    days = f"day BETWEEN {quote(query.since_day)} AND {quote(query.until_day)}"
    filters = [f"(day IS NULL OR {days})"]
    if query.site is not None:
        filters.append(f"site <> {quote(UNKNOWN)}")
        if query.site.startswith(WILDCARD_PREFIX):
            filters.append(f"site {_like_suffix(query.site[1:])}")
        else:
            filters.append(f"site = {quote(query.site)}")
    if query.path_prefix is not None:
        filters.append(f"starts_with(path, {quote(query.path_prefix)})")
    return " AND ".join(filters)


def _hits_ctes(records: str, query: ReportQuery) -> str:
    """`latest` (each key's newest record) and `hits` (the live ones the query lets through).

    A key may appear more than once: a backfill taken while the daily exports ran, a retried
    export, and a delete when the hit's TTL ran out. Its newest record says whether it lives (a
    full export's line counts as older than any incremental record, and a delete wins a tie).
    Few keys repeat, so only their records are ranked: ranking every record would sort them all
    (most of a report's time); finding the repeated keys is one grouping on the key alone.
    Trino reads the records four times for these (`repeated` is named twice), each a scan
    Athena bills.
    """
    record = ", ".join(("present", *HIT_COLUMNS))
    separator = f"chr({KEY_SEPARATOR})"
    return f"""repeated AS (
  SELECT pk FROM {records} GROUP BY pk HAVING count(*) > 1
),
latest AS (
  SELECT {record} FROM {records} WHERE pk NOT IN (SELECT pk FROM repeated)
  UNION ALL
  SELECT {record}
  FROM (
    SELECT
      *,
      ROW_NUMBER() OVER (PARTITION BY pk ORDER BY written DESC, present) AS recency
    FROM {records}
    WHERE pk IN (SELECT pk FROM repeated)
  ) AS ranked
  WHERE recency = 1
),
hits AS (
  SELECT
    {", ".join(HIT_COLUMNS[:-1])},
    CASE WHEN vid IS NOT NULL THEN concat(site, {separator}, day, {separator}, vid) END AS visitor
  FROM latest
  WHERE present = 1 AND {_in_query(query)}
)"""


def lookup_sql(records: str, query: ReportQuery) -> str:
    """The distinct signatures (ua, has_language, has_fetch) and referrers in the query's range.

    `is_signature` is 1 on a signature's row and 0 on a referrer's (GROUPING of `ref`). Read
    from the records as they are, before each key's newest record is picked: a deleted hit's
    signature only adds a row that nothing joins.
    """
    return f"""
SELECT GROUPING(ref) AS is_signature, ua, has_language, has_fetch, ref
FROM {records}
WHERE present = 1 AND {_in_query(query)}
GROUP BY GROUPING SETS ((ua, has_language, has_fetch), (ref))
"""


# The breakdowns of one report pass, each a grouping set of the columns in GROUPED (in order).
GROUPED = (
    "day",
    "site",
    "path",
    "referrer",
    "campaign",
    "browser",
    "os",
    "device",
    "cc",
    "lang",
    "kind",
    "reason",
    "referer_root",
)
# No breakdown for the totals: every hit is in one row of the days (those without a day in a
# row of their own, as NULL), and so is every visitor, whose key holds the day. The totals are
# the days' sums, and one grouping fewer is a tenth less work.
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "days": ("day",),
    "sites": ("site",),
    "pages": ("site", "path"),
    "referrers": ("referrer",),
    "campaigns": ("campaign",),
    "browsers": ("browser",),
    "os": ("os",),
    "devices": ("device",),
    "countries": ("cc",),
    "languages": ("lang",),
    "kinds": ("kind",),
    "filtered": ("reason",),
    # Pageviews whose path came from the Referer, by site, browser and whether it read as "/":
    # what the origin-only warnings tell Firefox's cross-site origin from a missing policy by.
    "referer_paths": ("site", "browser", "referer_root"),
}
AGGREGATES = ("pageviews", "visitors", "hits", "anonymous")


# The breakdowns whose rows show visitors. The others are read for their pageviews or hits
# alone (the sites list, the filtered hits, the origin-only warnings): their visitors are never
# counted, since each distinct count is most of a report's work.
VISITOR_BREAKDOWNS = (
    "days",
    "pages",
    "referrers",
    "campaigns",
    "browsers",
    "os",
    "devices",
    "countries",
    "languages",
    "kinds",
)
# The visitor key of a counted hit (NULL for the others), grouped on beside each breakdown's
# columns to count its visitors.
COUNTED_VISITOR = "counted_visitor"


def grouping_id(columns: tuple[str, ...]) -> int:
    """What GROUPING(<GROUPED>, counted_visitor) returns for a set: a bit per column left out,
    the first highest."""
    names = (*GROUPED, COUNTED_VISITOR)
    return sum(1 << (len(names) - 1 - n) for n, name in enumerate(names) if name not in columns)


def _grouping_sets() -> list[tuple[str, ...]]:
    return [
        (*columns, COUNTED_VISITOR) if name in VISITOR_BREAKDOWNS else columns
        for name, columns in BREAKDOWNS.items()
    ]


def report_sql(records: str, signatures: str, referrers: str, query: ReportQuery) -> str:
    """Every breakdown's pageviews, hits and exact visitors, one row per (breakdown, name).

    Why the visitors are exact: each hit carries its visitor key (site, day, vid) and, after the
    join, its class (browser, OS, device, bot reason). A breakdown row's visitors are the
    distinct visitor keys among its counted hits, counted after the join, so a visitor seen
    under two signatures that fall into the same class (a prerender and then the view; one
    request with Accept-Language and one without) is one visitor of that class. Adding up
    distinct counts per raw signature would count that person twice; counting after the join
    never does, and it matches the scan engine's definition.

    How: one GROUP BY GROUPING SETS groups each breakdown's columns together with the counted
    visitor key, so each of its groups is one (row, visitor) pair, plus one group of the row's
    other hits (key NULL). The outer query adds a row's groups up: its counts are their sums,
    and its visitors the number of groups with a key. Each statement reads `judged` once:
    Trino computes a WITH query again wherever it is named, and every reading of it would be a
    reading of the export.
    """
    columns = ", ".join(GROUPED)
    sets = ", ".join("(" + ", ".join(columns_) + ")" for columns_ in _grouping_sets())
    counted = "counted"
    return f"""
WITH {_hits_ctes(records, query)},
classified AS (
  SELECT
    h.day, h.site, h.path, h.src, h.campaign, h.cc, h.lang, h.kind, h.visitor,
    CASE WHEN h.src = {quote(ORIGIN_ONLY_SOURCE)} THEN h.path = '/' END AS referer_root,
    r.host AS referrer,
    s.browser, s.os, s.device,
    CASE
      WHEN h.day IS NULL THEN {quote(NO_DAY)}
      WHEN h.spec THEN {quote(SPECULATIVE)}
      ELSE NULLIF(s.bot_reason, '')
    END AS reason
  FROM hits AS h
  JOIN {signatures} AS s
    ON s.ua = h.ua AND s.has_language = h.has_language AND s.has_fetch = h.has_fetch
  LEFT JOIN {referrers} AS r ON r.ref = h.ref
),
judged AS (
  SELECT
    *,
    day IS NOT NULL AND {"true" if query.include_bots else "reason IS NULL"} AS {counted}
  FROM classified
),
pairs AS (
  SELECT
    GROUPING({columns}, {COUNTED_VISITOR}) AS breakdown,
    {columns},
    {COUNTED_VISITOR},
    count_if({counted}) AS pageviews,
    count(*) AS hits,
    count_if({counted} AND visitor IS NULL) AS anonymous
  FROM (SELECT *, CASE WHEN {counted} THEN visitor END AS {COUNTED_VISITOR} FROM judged) AS keyed
  GROUP BY GROUPING SETS ({sets})
)
SELECT
  breakdown,
  {columns},
  sum(pageviews) AS pageviews,
  sum(hits) AS hits,
  sum(anonymous) AS anonymous,
  count({COUNTED_VISITOR}) AS visitors
FROM pairs
GROUP BY breakdown, {columns}
"""


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One row of `report_sql`: a breakdown's name (its grouped columns) and its counts."""

    breakdown: str
    values: dict[str, Any]
    pageviews: int
    visitors: int
    hits: int
    anonymous: int


_BREAKDOWN_OF_ID = {
    grouping_id(columns): name for name, columns in zip(BREAKDOWNS, _grouping_sets(), strict=True)
}


def result_row(row: tuple[Any, ...]) -> ResultRow:
    """A row of `report_sql`'s result, in its column order."""
    breakdown = _BREAKDOWN_OF_ID[int(row[0])]
    values = dict(zip(GROUPED, row[1 : 1 + len(GROUPED)], strict=True))
    # Over no rows at all, DuckDB's count_if is NULL where Trino's is 0.
    pageviews, hits, anonymous, visitors = (int(value or 0) for value in row[1 + len(GROUPED) :])
    return ResultRow(
        breakdown,
        {name: values[name] for name in BREAKDOWNS[breakdown]},
        pageviews,
        visitors,
        hits,
        anonymous,
    )


def to_duckdb(sql: str) -> str:
    """The statement in DuckDB's dialect, as sqlglot reads Trino's."""
    return str(sqlglot.transpile(sql, read="trino", write="duckdb")[0])
