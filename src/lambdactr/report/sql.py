"""The report in SQL, written once in the dialect Athena runs (Trino), and run by DuckDB too.

The engines read DynamoDB's export files: incremental records (`Metadata`, `Keys`, `NewImage`;
a delete has no `NewImage`) and full-export lines (`Item`). Three statements make a report:

1. `hits_sql`: the live items, one per key, with the columns the report reads and the query's
   filters applied. A key may appear more than once (a backfill taken while the daily exports
   ran, a retried export): its newest record wins, a full export's line counting as older than
   any incremental record, and a delete winning a tie. Hits are written once and only deleted
   (by their TTL), so "newest" and "any" agree except that a delete anywhere removes the hit.
2. `lookup_sql`: the distinct signatures and referrers among those hits, which Python then
   classifies with the very code the `scan` engine uses (SQL cannot run ua-parser).
3. `report_sql`: the hits joined with those classifications, counted by every breakdown in one
   pass (GROUPING SETS), so Athena scans the data once per statement.

Written to mean the same in both dialects: no integer division, no approx_distinct, no
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


def hits_sql(records: str, query: ReportQuery) -> str:
    """One row per live hit in `records` that the query's site, path and days let through.

    Hits with no day at all (neither `day` nor a readable `ts`) come through with `day` NULL:
    the report lists them as filtered, as the scan engine does.
    """
    reserved = " AND ".join(
        f"NOT starts_with(pk, {quote(prefix)})" for prefix in RESERVED_KEY_PREFIXES
    )
    fetch = " OR ".join(
        f"element_at(COALESCE(newimage.h.m, item.h.m), {quote(name)}).s IS NOT NULL"
        for name in FETCH_METADATA_HEADERS
    )
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
    # An incremental record's NewImage, or else a full export's Item: the same attribute.
    columns = ",\n    ".join(
        f"COALESCE(newimage.{attribute}.{kind}, item.{attribute}.{kind}) AS {name}"
        for name, attribute, kind in IMAGE_COLUMNS
    )
    # The columns are taken out of the image before the window: ranking flat rows is several
    # times cheaper than ranking the whole nested image along with them.
    return f"""
WITH records AS (
  SELECT
    COALESCE("keys".pk.s, item.pk.s) AS pk,
    COALESCE(TRY_CAST(metadata.writetimestampmicros.n AS BIGINT), 0) AS written,
    CASE WHEN newimage IS NULL AND item IS NULL THEN 0 ELSE 1 END AS present,
    {columns},
    CASE WHEN {fetch} THEN '{YES}' ELSE '{NO}' END AS has_fetch
  FROM {records}
),
newest AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY pk ORDER BY written DESC, present) AS recency
  FROM records
  WHERE pk IS NOT NULL
),
hits AS (
  SELECT
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
  FROM newest
  WHERE recency = 1 AND present = 1 AND {reserved}
)
SELECT
  site, path, day, src, ref, campaign, cc, lang, kind, ua, has_language, has_fetch, spec,
  CASE WHEN vid IS NOT NULL THEN concat(site, chr({KEY_SEPARATOR}), day, chr({KEY_SEPARATOR}), vid)
  END AS visitor
FROM hits
WHERE {" AND ".join(filters)}
"""


def lookup_sql(hits: str) -> str:
    """The distinct signatures (ua, has_language, has_fetch) and referrers among `hits`.

    `is_signature` is 1 on a signature's row and 0 on a referrer's (GROUPING of `ref`).
    """
    return f"""
SELECT GROUPING(ref) AS is_signature, ua, has_language, has_fetch, ref
FROM {hits} AS scoped
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
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "total": (),
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


def grouping_id(columns: tuple[str, ...]) -> int:
    """What GROUPING(<GROUPED>) returns for a set: a bit per column left out, the first highest."""
    width = len(GROUPED)
    return sum(1 << (width - 1 - n) for n, name in enumerate(GROUPED) if name not in columns)


def report_sql(hits: str, signatures: str, referrers: str, query: ReportQuery) -> str:
    """Every breakdown's pageviews and exact visitors, one row per (breakdown, name).

    Why the visitors are exact: each hit carries its visitor key (site, day, vid) and, after the
    join, its class (browser, OS, device, bot reason). COUNT(DISTINCT visitor) then runs within
    each class's row over the joined hits, so a visitor seen under two signatures that fall into
    the same class (a prerender and then the view; one request with Accept-Language and one
    without) is one visitor of that class. Adding up distinct counts per raw signature would
    count that person twice; counting after the join never does, and it matches the scan
    engine's definition: the distinct (row, visitor) pairs among the counted hits.
    """
    columns = ", ".join(GROUPED)
    sets = ", ".join("(" + ", ".join(columns_) + ")" for columns_ in BREAKDOWNS.values())
    counted = "counted"
    return f"""
WITH classified AS (
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
  FROM {hits} AS h
  JOIN {signatures} AS s
    ON s.ua = h.ua AND s.has_language = h.has_language AND s.has_fetch = h.has_fetch
  LEFT JOIN {referrers} AS r ON r.ref = h.ref
),
judged AS (
  SELECT
    *,
    day IS NOT NULL AND {"true" if query.include_bots else "reason IS NULL"} AS {counted}
  FROM classified
)
SELECT
  GROUPING({columns}) AS breakdown,
  {columns},
  count_if({counted}) AS pageviews,
  count(DISTINCT CASE WHEN {counted} THEN visitor END) AS visitors,
  count(*) AS hits,
  count_if({counted} AND visitor IS NULL) AS anonymous
FROM judged
GROUP BY GROUPING SETS ({sets})
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


_BREAKDOWN_OF_ID = {grouping_id(columns): name for name, columns in BREAKDOWNS.items()}


def result_row(row: tuple[Any, ...]) -> ResultRow:
    """A row of `report_sql`'s result, in its column order."""
    breakdown = _BREAKDOWN_OF_ID[int(row[0])]
    values = dict(zip(GROUPED, row[1 : 1 + len(GROUPED)], strict=True))
    # Over no rows at all, DuckDB's count_if is NULL where Trino's is 0.
    counts = [int(value or 0) for value in row[1 + len(GROUPED) :]]
    return ResultRow(breakdown, {name: values[name] for name in BREAKDOWNS[breakdown]}, *counts)


def to_duckdb(sql: str) -> str:
    """The statement in DuckDB's dialect, as sqlglot reads Trino's."""
    return str(sqlglot.transpile(sql, read="trino", write="duckdb")[0])
