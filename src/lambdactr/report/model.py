"""The report as data: what every renderer draws, and what the JSON schema mirrors."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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
