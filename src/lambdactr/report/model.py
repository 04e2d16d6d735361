"""The report as data: what every renderer draws, and what the JSON schema mirrors."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..function.sanitize import strip_unprintable

# The name of a row whose value the hits did not carry (no country, no language, ...).
UNKNOWN = "(unknown)"


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    pageviews: int
    # Distinct (site, day, vid) within the row: a daily unique visitor, summed over days.
    visitors: int


@dataclass(frozen=True, slots=True)
class DayRow:
    day: str
    pageviews: int
    visitors: int


@dataclass(frozen=True, slots=True)
class PageRow:
    site: str
    path: str
    pageviews: int
    visitors: int


@dataclass(frozen=True, slots=True)
class CountryRow:
    # ISO 3166-1 alpha-2, or None when the hit had no country.
    code: str | None
    name: str
    pageviews: int
    visitors: int


@dataclass(frozen=True, slots=True)
class Report:
    site: str | None
    since: str
    until: str
    pageviews: int
    visitors: int
    days: list[DayRow]
    pages: list[PageRow]
    referrers: list[Row]
    campaigns: list[Row]
    browsers: list[Row]
    os: list[Row]
    devices: list[Row]
    countries: list[CountryRow]
    languages: list[Row]
    kinds: list[Row]
    # Hits classified as bots or speculative (and unreadable ones), by reason. They are left out
    # of every other number unless the report was asked to include bots.
    filtered: dict[str, int]
    include_bots: bool = False
    path_prefix: str | None = None
    # Things the site owner should act on, in plain words (not part of the JSON schema).
    warnings: list[str] = field(default_factory=list)
    # The sites with counted hits, so renderers know whether a path needs its host beside it.
    sites: list[str] = field(default_factory=list)
    # Where the numbers came from, for the table's footer (not part of the JSON schema): how
    # fresh an export is, what a query scanned and cost.
    footer: list[str] = field(default_factory=list)

    @property
    def many_sites(self) -> bool:
        return len(self.sites) > 1


def top_rows(report: Report, top: int | None) -> Report:
    """The report with each breakdown cut to its first `top` rows (the days are always whole)."""
    if top is None:
        return report
    return replace(
        report,
        pages=report.pages[:top],
        referrers=report.referrers[:top],
        campaigns=report.campaigns[:top],
        browsers=report.browsers[:top],
        os=report.os[:top],
        devices=report.devices[:top],
        countries=report.countries[:top],
        languages=report.languages[:top],
        kinds=report.kinds[:top],
    )


# The reason a newcomer meets first: a smoke test in a headless browser counts for nothing.
_REASON_HINTS = {
    "headless": "headless browsers, such as a test run",
    "speculative": "prefetches and prerenders",
}


def left_out_line(report: Report) -> str | None:
    """What the totals leave out, in one line beside them (None when nothing was)."""
    total = sum(report.filtered.values())
    if not total:
        return None
    hits = "hit" if total == 1 else "hits"
    if report.include_bots:
        return f"{total:,} bot or speculative {hits} counted in (--include-bots; see below)"
    line = f"{total:,} {hits} left out as bots or prefetches (see below)"
    reason, count = max(report.filtered.items(), key=lambda entry: (entry[1], entry[0]))
    if count * 2 > total:
        named = _REASON_HINTS.get(reason, reason)
        line += f", {'all' if count == total else f'{count:,}'} of them {named}"
    return line + "; --include-bots counts them in"


def printable(report: Report) -> Report:
    """The report with every text stripped of control and format characters.

    Stored items need not come from today's handler (replayed, older versions, anyone with
    access to the table), so every renderer draws this, never the raw text: no escape sequence
    reaches a terminal, no bidi control reorders a name, no line separator breaks a row.
    """
    text = strip_unprintable
    return replace(
        report,
        site=None if report.site is None else text(report.site),
        since=text(report.since),
        until=text(report.until),
        days=[replace(row, day=text(row.day)) for row in report.days],
        pages=[replace(row, site=text(row.site), path=text(row.path)) for row in report.pages],
        referrers=_printable_rows(report.referrers),
        campaigns=_printable_rows(report.campaigns),
        browsers=_printable_rows(report.browsers),
        os=_printable_rows(report.os),
        devices=_printable_rows(report.devices),
        countries=[
            replace(row, code=None if row.code is None else text(row.code), name=text(row.name))
            for row in report.countries
        ],
        languages=_printable_rows(report.languages),
        kinds=_printable_rows(report.kinds),
        filtered={text(reason): hits for reason, hits in report.filtered.items()},
        path_prefix=None if report.path_prefix is None else text(report.path_prefix),
        warnings=[text(warning) for warning in report.warnings],
        sites=[text(site) for site in report.sites],
    )


def _printable_rows(rows: list[Row]) -> list[Row]:
    return [replace(row, name=strip_unprintable(row.name)) for row in rows]
