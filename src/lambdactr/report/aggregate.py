"""From plain items to a `Report`: pure counting, no I/O.

A visitor is a distinct (site, day, vid): the `vid` rotates with the daily salt and is keyed on
the site, so one person is one visitor per site per UTC day, and a range's total is the sum of
its daily uniques. Every breakdown counts the same thing within its row. Hits without a `vid`
count as pageviews only.

The loop is written for speed (300,000 items/s and more on one core): each hit costs a handful
of dict operations, and everything that is the same for all of a visitor's hits on a day
(client, country, language, beacon kind) is tallied once per distinct combination and only
then spread over the breakdowns.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ..function.days import utc_day
from .classify import SPECULATIVE, Classifier, Client, is_firefox_family
from .countries import country_name
from .model import UNKNOWN, CountryRow, DayRow, PageRow, Report, Row
from .query import ReportQuery, days_between

# A hit without `day` or a readable `ts` cannot be placed in any range; it is never counted.
NO_DAY = "no-day"
ORIGIN_ONLY_SOURCE = "referer"

_Key = TypeVar("_Key", bound=Hashable)
# (client, cc, lang, kind): what a visitor's hits on a day have in common besides the visitor.
_Combo = tuple[Client, Any, Any, Any]
# (client, cc, lang, kind, site, day, vid)
_Visit = tuple[Client, Any, Any, Any, str, str, str]
# (name, site, day, vid) for referrers and campaigns; (site, path, day, vid) for pages.
_Seen = tuple[str, str, str, str]

_combo_of = itemgetter(0, 1, 2, 3)
_site_day_of = itemgetter(4, 5)
_visitor_of = itemgetter(4, 5, 6)
_day_of_visitor = itemgetter(1)
_page_of = itemgetter(0, 1)
_name_of = itemgetter(0)


@dataclass
class _Anonymous:
    """Pageviews of hits without a `vid`: rare, so counted apart from the fast path."""

    visits: Counter[tuple[Client, Any, Any, Any, str, str]] = field(default_factory=Counter)
    pages: Counter[tuple[str, str]] = field(default_factory=Counter)
    referrers: Counter[str] = field(default_factory=Counter)
    campaigns: Counter[str] = field(default_factory=Counter)


def aggregate(
    items: Iterable[Mapping[str, Any]],
    query: ReportQuery,
    classifier: Classifier | None = None,
) -> Report:
    """Count `items` (plain items whose fields have the contract's types; any may be missing)."""
    # The loop makes a few tuples per hit that all live until the end; the cycle collector
    # would walk them again and again (a fifth of the time) and can free none of them.
    with _cycle_collector_paused():
        return _aggregate(items, query, classifier)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _aggregate(
    items: Iterable[Mapping[str, Any]],
    query: ReportQuery,
    classifier: Classifier | None,
) -> Report:
    classifier = classifier or Classifier()
    classify = classifier.classify
    # Hits that carried a language are classified by user agent alone: one dict lookup.
    known_clients = classifier.with_language
    since, until = query.since_day, query.until_day
    site_pattern = query.site
    site_allowed: dict[str, bool] = {}
    prefix = query.path_prefix
    include_bots = query.include_bots

    filtered: Counter[str] = Counter()
    # Each of these maps a key to its pageviews. A visitor's hits on a day share the client,
    # country, language and kind, so `visits` holds about one key per visitor-day, and each
    # key of the others is one visitor of its page, referrer or campaign.
    visits: dict[_Visit, int] = {}
    page_hits: dict[_Seen, int] = {}
    referrer_hits: dict[_Seen, int] = {}
    campaign_hits: dict[_Seen, int] = {}
    anonymous = _Anonymous()
    # Pageviews whose path came from the Referer, by (site, Firefox?, path is "/"): the origin-only
    # warnings tell Firefox's cross-site origin from a missing referrer policy with these.
    referer_paths: Counter[tuple[str, bool, bool]] = Counter()
    referrer_hosts: dict[str, str] = {}

    for item in items:
        get = item.get
        day = get("day")
        site = get("site") or UNKNOWN
        path = get("path") or UNKNOWN
        if site_pattern is not None:
            allowed = site_allowed.get(site)
            if allowed is None:
                allowed = site_allowed[site] = site != UNKNOWN and query.site_matches(site)
            if not allowed:
                continue
        if prefix is not None and not path.startswith(prefix):
            continue
        if day is None:
            day = _day_from_ts(get("ts"))
            if day is None:
                filtered[NO_DAY] += 1
                continue
        if day < since or day > until:
            continue

        lang = get("lang")
        client = known_clients.get(get("ua")) if lang else None
        if client is None:
            client = classify(get("ua"), bool(lang), get("h"))
        reason = SPECULATIVE if get("spec") else client.bot_reason
        if reason is not None:
            filtered[reason] += 1
            if not include_bots:
                continue

        if get("src") == ORIGIN_ONLY_SOURCE:
            referer_paths[site, is_firefox_family(client), path == "/"] += 1
        ref = get("ref")
        host = None
        if ref:
            host = referrer_hosts.get(ref)
            if host is None:
                host = referrer_hosts[ref] = referrer_host(ref)
        campaign = get("utm_campaign")
        vid = get("vid")
        if not vid:
            anonymous.visits[client, get("cc"), lang, get("kind"), site, day] += 1
            anonymous.pages[site, path] += 1
            if host:
                anonymous.referrers[host] += 1
            if campaign:
                anonymous.campaigns[campaign] += 1
            continue

        visit = (client, get("cc"), lang, get("kind"), site, day, vid)
        visits[visit] = visits.get(visit, 0) + 1
        page = (site, path, day, vid)
        page_hits[page] = page_hits.get(page, 0) + 1
        if host:
            _count(referrer_hits, (host, site, day, vid))
        if campaign:
            _count(campaign_hits, (campaign, site, day, vid))

    return _build_report(
        query, visits, page_hits, referrer_hits, campaign_hits, anonymous, referer_paths, filtered
    )


def _count(counts: dict[_Key, int], key: _Key) -> None:
    counts[key] = counts.get(key, 0) + 1


def _day_from_ts(ts: object) -> str | None:
    if not isinstance(ts, int) or isinstance(ts, bool):
        return None
    try:
        return utc_day(ts)
    except (OverflowError, OSError, ValueError):
        return None


def _build_report(
    query: ReportQuery,
    visits: dict[_Visit, int],
    page_hits: dict[_Seen, int],
    referrer_hits: dict[_Seen, int],
    campaign_hits: dict[_Seen, int],
    anonymous: _Anonymous,
    referer_paths: Counter[tuple[str, bool, bool]],
    filtered: Counter[str],
) -> Report:
    anonymous_combos: Counter[_Combo] = Counter()
    anonymous_site_days: Counter[tuple[str, str]] = Counter()
    for (client, cc, lang, kind, site, day), views in anonymous.visits.items():
        anonymous_combos[client, cc, lang, kind] += views
        anonymous_site_days[site, day] += views
    combo_views, combo_visitors = _views_and_visitors(visits, _combo_of, anonymous_combos)
    site_day_views, _ = _views_and_visitors(visits, _site_day_of, anonymous_site_days)
    # A visitor almost always has one visit key, so the keys of a combination are its visitors.
    # The rare visitor with more (a site that uses both beacons, say) is counted apart.
    visits_per_visitor = Counter(map(_visitor_of, visits))
    shared: list[_Visit] = []
    if len(visits_per_visitor) < len(visits):
        shared = [visit for visit in visits if visits_per_visitor[visit[4:]] > 1]
        combo_visitors.subtract(map(_combo_of, shared))

    dimensions = _spread_over_dimensions(combo_views, combo_visitors, shared)
    day_views: Counter[str] = Counter()
    site_views: Counter[str] = Counter()
    for (site, day), views in site_day_views.items():
        day_views[day] += views
        site_views[site] += views
    day_visitors = Counter(map(_day_of_visitor, visits_per_visitor))
    days = [
        DayRow(day, day_views[day], day_visitors[day])
        for day in days_between(query.since, query.until)
    ]

    page_views, page_visitors = _views_and_visitors(page_hits, _page_of, anonymous.pages)
    pages = sorted(
        (
            PageRow(site, path, views, page_visitors[site, path])
            for (site, path), views in page_views.items()
        ),
        key=lambda row: (-row.pageviews, -row.visitors, row.site, row.path),
    )
    browsers, systems, devices, countries, languages, kinds = dimensions
    country_rows = sorted(
        (
            CountryRow(code, country_name(code) if code else UNKNOWN, views, countries[1][code])
            for code, views in countries[0].items()
        ),
        key=lambda row: (-row.pageviews, -row.visitors, row.name),
    )
    without_vid = sum(anonymous.visits.values())
    return Report(
        site=query.site,
        since=query.since_day,
        until=query.until_day,
        pageviews=sum(site_views.values()),
        visitors=len(visits_per_visitor),
        days=days,
        pages=pages,
        referrers=_rows(*_views_and_visitors(referrer_hits, _name_of, anonymous.referrers)),
        campaigns=_rows(*_views_and_visitors(campaign_hits, _name_of, anonymous.campaigns)),
        browsers=_rows(*browsers),
        os=_rows(*systems),
        devices=_rows(*devices),
        countries=country_rows,
        languages=_rows(*languages),
        kinds=_rows(*kinds),
        filtered=dict(sorted(filtered.items(), key=lambda entry: (-entry[1], entry[0]))),
        include_bots=query.include_bots,
        path_prefix=query.path_prefix,
        warnings=_warnings(site_views, referer_paths, without_vid),
        sites=sorted(site_views),
    )


_Tally = tuple[Counter[Any], Counter[Any]]


def _spread_over_dimensions(
    combo_views: Counter[_Combo], combo_visitors: Counter[_Combo], shared: list[_Visit]
) -> list[_Tally]:
    """(pageviews, visitors) per browser, OS, device, country, language and kind."""
    tallies: list[_Tally] = [(Counter(), Counter()) for _ in range(6)]
    for combo, views in combo_views.items():
        visitors = combo_visitors[combo]
        for (views_by_name, visitors_by_name), name in zip(tallies, _names(combo), strict=True):
            views_by_name[name] += views
            visitors_by_name[name] += visitors
    # A visitor with more than one visit key (a site with both beacons, say) counts once per
    # row: only the distinct (row, visitor) pairs are added.
    distinct: list[set[tuple[Any, tuple[str, str, str]]]] = [set() for _ in range(6)]
    for visit in shared:
        visitor = visit[4:]
        for seen, name in zip(distinct, _names(visit[:4]), strict=True):
            seen.add((name, visitor))
    for (_, visitors_by_name), seen in zip(tallies, distinct, strict=True):
        visitors_by_name.update(name for name, _ in seen)
    return tallies


def _names(combo: tuple[Client, Any, Any, Any]) -> tuple[str, str, str, str | None, str, str]:
    client, cc, lang, kind = combo
    return (client.browser, client.os, client.device, cc or None, lang or UNKNOWN, kind or UNKNOWN)


def _views_and_visitors(
    hits: dict[_Key, int], name_of: Callable[[_Key], Any], anonymous_views: Counter[Any]
) -> _Tally:
    """(pageviews, visitors) per name from (…, day, vid) keys, each key one visitor of its row."""
    visitors: Counter[Any] = Counter(map(name_of, hits))
    views = visitors.copy()
    for key, count in hits.items():
        if count > 1:
            views[name_of(key)] += count - 1
    views.update(anonymous_views)
    return views, visitors


def _rows(views: Counter[Any], visitors: Counter[Any]) -> list[Row]:
    return _sorted_rows(Row(name, count, visitors[name]) for name, count in views.items())


def _sorted_rows(rows: Iterable[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: (-row.pageviews, -row.visitors, row.name))


def referrer_host(ref: str) -> str:
    """The host of a stored referrer (`https://host/path`), which is how referrers are grouped."""
    try:
        host = urlsplit(ref).hostname
    except ValueError:
        host = None
    return host or ref


@dataclass
class _RefererPaths:
    """One site's pageviews whose path came from the Referer: read as "/", or deeper."""

    firefox_root: int = 0
    firefox_deep: int = 0
    other_root: int = 0
    other_deep: int = 0


def _referer_paths_by_site(
    referer_paths: Counter[tuple[str, bool, bool]],
) -> dict[str, _RefererPaths]:
    by_site: dict[str, _RefererPaths] = {}
    for (site, firefox, root), views in referer_paths.items():
        paths = by_site.setdefault(site, _RefererPaths())
        if firefox:
            if root:
                paths.firefox_root += views
            else:
                paths.firefox_deep += views
        elif root:
            paths.other_root += views
        else:
            paths.other_deep += views
    return by_site


def _warnings(
    site_views: Counter[str],
    referer_paths: Counter[tuple[str, bool, bool]],
    without_vid: int,
) -> list[str]:
    warnings = []
    for site, paths in sorted(_referer_paths_by_site(referer_paths).items()):
        firefox = paths.firefox_root + paths.firefox_deep
        others = paths.other_root + paths.other_deep
        root = paths.firefox_root + paths.other_root
        if paths.firefox_root * 2 > firefox and paths.other_deep * 2 >= others > 0:
            # Other browsers carry the page's path, so the tags have the referrer policy:
            # Firefox alone trims the Referer of a cross-site beacon to the origin.
            warnings.append(
                f'{site}: {paths.firefox_root:,} of {firefox:,} Firefox pageviews were read as "/"'
                " while other browsers' carry the page's path: Firefox sends only the origin to"
                " a beacon on another site. Pass the path with ?p= (`lambdactr snippet URL --for"
                " hugo`, or jekyll, eleventy, zola, astro), or serve the beacon from a subdomain"
                " of the site, which is same-site."
            )
        elif root * 2 > site_views[site] and paths.other_root * 2 > others:
            share = round(100 * root / site_views[site])
            warnings.append(
                f'{site}: {share}% of pageviews were read as "/" from the Referer, in every'
                ' browser: the tag lacks referrerpolicy="no-referrer-when-downgrade" (print it'
                " with `lambdactr snippet`), or the site has a single page. ?p= names each page"
                " in every browser (`lambdactr snippet URL --for hugo`, or jekyll, eleventy,"
                " zola, astro)."
            )
    if without_vid:
        warnings.append(
            f"{without_vid} pageviews have no visitor id (the daily salt could not be read): "
            "they count as pageviews, not visitors."
        )
    return warnings
