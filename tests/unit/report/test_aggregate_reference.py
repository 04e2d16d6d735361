"""The fast aggregation agrees with a plain, obviously right one on any mix of hits."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lambdactr.function.hosts import host_matches
from lambdactr.function.item import PlainItem
from lambdactr.report.aggregate import NO_DAY, aggregate, referrer_host
from lambdactr.report.classify import SPECULATIVE, Classifier, Client
from lambdactr.report.model import UNKNOWN, Report
from lambdactr.report.query import ReportQuery
from tests.support.hits import CHROME, FETCH, FIREFOX, GOOGLEBOT, IPHONE, hit, query

Counted = tuple[PlainItem, str, str, str, Client]


def reference(items: list[PlainItem], report_query: ReportQuery) -> dict[str, Any]:
    classifier = Classifier()
    counted: list[Counted] = []
    filtered: Counter[str] = Counter()
    for item in items:
        site = str(item.get("site") or UNKNOWN)
        path = str(item.get("path") or UNKNOWN)
        if report_query.site is not None and (
            site == UNKNOWN or not host_matches(report_query.site, site)
        ):
            continue
        if report_query.path_prefix is not None and not path.startswith(report_query.path_prefix):
            continue
        day = item.get("day")
        if day is None and "ts" in item:
            day = datetime.fromtimestamp(int(item["ts"]) / 1000, UTC).date().isoformat()
        if day is None:
            filtered[NO_DAY] += 1
            continue
        if not report_query.since_day <= str(day) <= report_query.until_day:
            continue
        client = classifier.classify(item.get("ua"), bool(item.get("lang")), item.get("h"))
        reason = SPECULATIVE if item.get("spec") else client.bot_reason
        if reason:
            filtered[reason] += 1
            if not report_query.include_bots:
                continue
        counted.append((item, site, path, str(day), client))

    def breakdown(name_of: Callable[[Counted], Hashable]) -> dict[Hashable, tuple[int, int]]:
        views: Counter[Hashable] = Counter()
        visitors: defaultdict[Hashable, set[tuple[str, str, str]]] = defaultdict(set)
        for hit_ in counted:
            name = name_of(hit_)
            if name is None:
                continue
            views[name] += 1
            item, site, _, day, _ = hit_
            if item.get("vid"):
                visitors[name].add((site, day, str(item["vid"])))
        return {name: (views[name], len(visitors[name])) for name in views}

    def optional(field: str) -> Callable[[Counted], Hashable]:
        return lambda hit_: str(hit_[0].get(field) or UNKNOWN)

    totals = breakdown(lambda hit_: "all").get("all", (0, 0))
    return {
        "totals": totals,
        "days": breakdown(lambda hit_: hit_[3]),
        "pages": breakdown(lambda hit_: (hit_[1], hit_[2])),
        "referrers": breakdown(
            lambda hit_: referrer_host(str(hit_[0]["ref"])) if hit_[0].get("ref") else None
        ),
        "campaigns": breakdown(
            lambda hit_: str(hit_[0]["utm_campaign"]) if hit_[0].get("utm_campaign") else None
        ),
        "browsers": breakdown(lambda hit_: hit_[4].browser),
        "os": breakdown(lambda hit_: hit_[4].os),
        "devices": breakdown(lambda hit_: hit_[4].device),
        "countries": breakdown(optional("cc")),
        "languages": breakdown(optional("lang")),
        "kinds": breakdown(optional("kind")),
        "filtered": dict(filtered),
    }


def observed(report: Report) -> dict[str, Any]:
    def table(rows: list[Any]) -> dict[Hashable, tuple[int, int]]:
        return {row.name: (row.pageviews, row.visitors) for row in rows}

    return {
        "totals": (report.pageviews, report.visitors),
        "days": {row.day: (row.pageviews, row.visitors) for row in report.days if row.pageviews},
        "pages": {(row.site, row.path): (row.pageviews, row.visitors) for row in report.pages},
        "referrers": table(report.referrers),
        "campaigns": table(report.campaigns),
        "browsers": table(report.browsers),
        "os": table(report.os),
        "devices": table(report.devices),
        "countries": {
            row.code or UNKNOWN: (row.pageviews, row.visitors) for row in report.countries
        },
        "languages": table(report.languages),
        "kinds": table(report.kinds),
        "filtered": report.filtered,
    }


def maybe(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from([*values, None])


hits = st.builds(
    hit,
    day=maybe("2026-11-19", "2026-11-20", "2026-11-21"),
    site=maybe("blog.example.org", "docs.example.org", "example.org"),
    path=maybe("/", "/posts/a/", "/posts/b/", "/about/"),
    vid=maybe("a", "b", "c"),
    ua=maybe(CHROME, FIREFOX, IPHONE, GOOGLEBOT, "curl/8.5.0"),
    lang=maybe("en-US", "de"),
    h=maybe(FETCH),
    cc=maybe("DE", "FR"),
    kind=maybe("css", "gif"),
    src=maybe("p", "referer"),
    ref=maybe("https://news.example.net/1", "https://news.example.net/2", "https://x.example/"),
    utm_campaign=maybe("launch", "spring"),
    spec=maybe(True),
)
queries = st.builds(
    query,
    since=st.sampled_from(["2026-11-19", "2026-11-20"]),
    until=st.sampled_from(["2026-11-20", "2026-11-21"]),
    site=maybe("blog.example.org", "*.example.org"),
    path_prefix=maybe("/posts/"),
    include_bots=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(hits, max_size=40), report_query=queries)
def test_aggregation_matches_the_plain_reference(
    items: list[PlainItem], report_query: ReportQuery
) -> None:
    assert observed(aggregate(items, report_query)) == reference(items, report_query)
