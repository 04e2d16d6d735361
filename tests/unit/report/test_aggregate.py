"""Counting: exact answers on small tables whose right answer is known in advance."""

from __future__ import annotations

from lambdactr.report.aggregate import NO_DAY, aggregate
from lambdactr.report.model import UNKNOWN, CountryRow, DayRow, PageRow, Report, Row
from tests.support.hits import CHROME, FIREFOX, GOOGLEBOT, HEADLESS, IPHONE, hit, query


def rows(report_rows: list[Row]) -> dict[str, tuple[int, int]]:
    return {row.name: (row.pageviews, row.visitors) for row in report_rows}


def pages(report: Report) -> dict[tuple[str, str], tuple[int, int]]:
    return {(page.site, page.path): (page.pageviews, page.visitors) for page in report.pages}


def test_a_visitor_is_a_vid_per_site_per_utc_day() -> None:
    items = [
        # vid "a" reads three pages on the 20th and comes back on the 21st.
        hit(day="2026-11-20", path="/", vid="a"),
        hit(day="2026-11-20", path="/x", vid="a"),
        hit(day="2026-11-20", path="/x", vid="a"),
        hit(day="2026-11-21", path="/x", vid="a"),
        hit(day="2026-11-20", path="/", vid="b"),
        # The same vid string on another site is another visitor.
        hit(day="2026-11-20", path="/", vid="a", site="docs.example.org"),
    ]
    report = aggregate(items, query(since="2026-11-19", until="2026-11-22"))

    assert (report.pageviews, report.visitors) == (6, 4)
    assert report.days == [
        DayRow("2026-11-19", 0, 0),
        DayRow("2026-11-20", 5, 3),
        DayRow("2026-11-21", 1, 1),
        DayRow("2026-11-22", 0, 0),
    ]
    assert report.pages == [
        PageRow("blog.example.org", "/x", 3, 2),
        PageRow("blog.example.org", "/", 2, 2),
        PageRow("docs.example.org", "/", 1, 1),
    ]
    assert rows(report.browsers) == {"Chrome": (6, 4)}
    assert report.sites == ["blog.example.org", "docs.example.org"]
    assert report.many_sites


def test_every_breakdown_counts_a_visitor_once_per_row() -> None:
    # One visitor whose site uses both beacons: two kinds, one browser, one country.
    items = [
        hit(vid="a", kind="css", path="/"),
        hit(vid="a", kind="gif", path="/"),
        hit(vid="a", kind="css", path="/next/"),
        hit(vid="b", kind="css", path="/", ua=FIREFOX, cc="FR", lang="fr-FR"),
    ]
    report = aggregate(items, query())

    assert (report.pageviews, report.visitors) == (4, 2)
    assert rows(report.kinds) == {"css": (3, 2), "gif": (1, 1)}
    assert rows(report.browsers) == {"Chrome": (3, 1), "Firefox": (1, 1)}
    assert rows(report.os) == {"Linux": (3, 1), "Windows": (1, 1)}
    assert rows(report.devices) == {"desktop": (4, 2)}
    assert rows(report.languages) == {"en-US": (3, 1), "fr-FR": (1, 1)}
    assert report.countries == [
        CountryRow("DE", "Germany", 3, 1),
        CountryRow("FR", "France", 1, 1),
    ]
    assert pages(report) == {
        ("blog.example.org", "/"): (3, 2),
        ("blog.example.org", "/next/"): (1, 1),
    }


def test_hits_without_a_vid_are_pageviews_not_visitors() -> None:
    items = [
        hit(vid="a", path="/"),
        hit(vid=None, novid=True, path="/"),
        hit(vid=None, novid=True, path="/other/", ref="https://news.example.net/item"),
    ]
    report = aggregate(items, query())

    assert (report.pageviews, report.visitors) == (3, 1)
    assert pages(report) == {
        ("blog.example.org", "/"): (2, 1),
        ("blog.example.org", "/other/"): (1, 0),
    }
    assert rows(report.referrers) == {"news.example.net": (1, 0)}
    assert rows(report.browsers) == {"Chrome": (3, 1)}
    assert [day for day in report.days if day.pageviews] == [DayRow("2026-11-20", 3, 1)]
    assert any("2 pageviews have no visitor id" in warning for warning in report.warnings)


def test_bots_and_speculative_hits_are_filtered_with_a_reason_each() -> None:
    items = [
        hit(vid="person"),
        hit(vid="person", spec=True, h={"sec-purpose": "prefetch"}),
        hit(vid="g", ua=GOOGLEBOT, lang=None, h=None),
        hit(vid="g", ua=GOOGLEBOT, lang=None, h=None),
        hit(vid="c", ua="curl/8.5.0", lang=None, h=None),
        hit(vid="n", ua=None, lang=None, h=None),
        hit(vid="hc", ua=HEADLESS),
        hit(vid="lib", ua="Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A.240105.004)"),
        # A browser's user agent, but neither Accept-Language nor Sec-Fetch-*: a script.
        hit(vid="fake", ua=CHROME, lang=None, h=None),
        # An older Safari sends no Sec-Fetch-*, but it does send Accept-Language: a person.
        hit(vid="safari", ua=IPHONE, h=None),
        # A browser that sends Sec-Fetch-* without Accept-Language is given the benefit too.
        hit(vid="nolang", ua=FIREFOX, lang=None),
    ]
    report = aggregate(items, query())

    assert report.filtered == {
        "crawler": 2,
        "headless": 1,
        "no-browser-headers": 1,
        "no-user-agent": 1,
        "not-a-browser": 1,
        "short-user-agent": 1,
        "speculative": 1,
    }
    assert (report.pageviews, report.visitors) == (3, 3)
    assert rows(report.browsers) == {"Chrome": (1, 1), "Mobile Safari": (1, 1), "Firefox": (1, 1)}

    with_bots = aggregate(items, query(include_bots=True))
    assert (with_bots.pageviews, with_bots.visitors) == (11, 9)
    assert with_bots.filtered == report.filtered
    assert rows(with_bots.devices) == {"bot": (7, 6), "desktop": (3, 2), "mobile": (1, 1)}


def test_filters_by_site_days_and_path_prefix() -> None:
    items = [
        hit(site="example.org", day="2026-11-01", path="/"),
        hit(site="blog.example.org", day="2026-11-01", path="/posts/a/"),
        hit(site="blog.example.org", day="2026-11-30", path="/posts/b/"),
        hit(site="docs.example.org", day="2026-11-15", path="/guide/"),
        hit(site="other.net", day="2026-11-15", path="/posts/c/"),
        hit(site=None, day="2026-11-15", path="/posts/d/"),
        hit(site="blog.example.org", day="2026-10-31", path="/posts/e/"),
        hit(site="blog.example.org", day="2026-12-01", path="/posts/f/"),
    ]

    def paths(report: Report) -> set[str]:
        return {page.path for page in report.pages}

    everything = aggregate(items, query(since="2026-11-01", until="2026-11-30"))
    assert everything.pageviews == 6
    assert (UNKNOWN, "/posts/d/") in pages(everything)

    exact = aggregate(items, query(site="blog.example.org"))
    assert paths(exact) == {"/posts/a/", "/posts/b/"}

    # A wildcard takes every subdomain, not the domain itself, as ALLOWED_HOSTS does.
    wildcard = aggregate(items, query(site="*.example.org"))
    assert paths(wildcard) == {"/posts/a/", "/posts/b/", "/guide/"}
    assert wildcard.site == "*.example.org"

    one_day = aggregate(items, query(since="2026-11-30", until="2026-11-30"))
    assert paths(one_day) == {"/posts/b/"}
    assert one_day.days == [DayRow("2026-11-30", 1, 1)]

    prefixed = aggregate(items, query(path_prefix="/posts/"))
    assert paths(prefixed) == {"/posts/a/", "/posts/b/", "/posts/c/", "/posts/d/"}
    assert prefixed.path_prefix == "/posts/"


def test_warns_per_site_when_most_paths_came_from_an_origin_only_referer() -> None:
    items = [
        # blog: 3 of 4 pageviews read as "/" from the Referer: the snippet lacks the policy.
        *(hit(site="blog.example.org", path="/", src="referer", vid=v) for v in "abc"),
        hit(site="blog.example.org", path="/posts/x/", src="referer", vid="d"),
        # docs: exactly half is not most, and "/" from p= is the real home page: no warning.
        hit(site="docs.example.org", path="/", src="p", vid="e"),
        hit(site="docs.example.org", path="/", src="referer", vid="f"),
        hit(site="docs.example.org", path="/", src="referer", vid="g"),
        hit(site="docs.example.org", path="/guide/", src="referer", vid="h"),
    ]
    report = aggregate(items, query())

    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("blog.example.org: 75% of pageviews were read as")
    assert "referrerpolicy" in report.warnings[0]
    assert "?p=" in report.warnings[0]

    fixed = aggregate([hit(path="/", src="p", vid=v) for v in "abc"], query())
    assert fixed.warnings == []


def test_firefox_alone_reading_the_root_is_blamed_on_its_cross_site_referer() -> None:
    items = [
        # Chromium honours the tag's referrerpolicy and sends the page; Firefox sends the origin.
        *(hit(path=f"/posts/{v}/", src="referer", vid=v) for v in "abc"),
        *(hit(path="/", src="referer", ua=FIREFOX, vid=v) for v in "def"),
    ]
    [warning] = aggregate(items, query()).warnings

    assert warning.startswith('blog.example.org: 3 of 3 Firefox pageviews were read as "/"')
    assert "Firefox sends only the origin to a beacon on another site" in warning
    assert "--for" in warning
    assert "subdomain" in warning
    assert "referrerpolicy" not in warning


def test_every_browser_reading_the_root_is_blamed_on_the_policy_or_a_single_page() -> None:
    items = [
        *(hit(path="/", src="referer", vid=v) for v in "abc"),
        *(hit(path="/", src="referer", ua=FIREFOX, vid=v) for v in "de"),
    ]
    [warning] = aggregate(items, query()).warnings

    assert 'referrerpolicy="no-referrer-when-downgrade"' in warning
    assert "single page" in warning
    assert "Firefox" not in warning


def test_a_page_that_names_itself_with_p_is_never_warned_about() -> None:
    # serve's demo page: its only page is "/", and its tag says so with ?p=/.
    items = [
        hit(site="127.0.0.1", path="/", src="p", ua=ua, vid=ua[-8:]) for ua in (CHROME, FIREFOX)
    ]
    assert aggregate(items, query()).warnings == []


def test_an_empty_table_gives_an_empty_report_with_every_day() -> None:
    report = aggregate([], query(since="2026-11-01", until="2026-11-03"))

    assert (report.pageviews, report.visitors) == (0, 0)
    assert report.days == [
        DayRow("2026-11-01", 0, 0),
        DayRow("2026-11-02", 0, 0),
        DayRow("2026-11-03", 0, 0),
    ]
    assert report.pages == []
    assert report.referrers == report.campaigns == []
    assert report.browsers == report.os == report.devices == []
    assert report.countries == []
    assert report.languages == []
    assert report.kinds == []
    assert report.filtered == {}
    assert report.warnings == []
    assert report.sites == []


def test_items_missing_optional_fields_are_counted_as_far_as_they_go() -> None:
    without_day = hit(vid="c", day="2026-11-21")
    del without_day["day"]
    items = [
        # A hit with only p= and no Referer has no site.
        hit(site=None, path="/from-p/", vid="a"),
        # An old item: no country, language, kind, source or headers, but a browser's UA
        # and Accept-Language.
        hit(cc=None, kind=None, src=None, h=None, vid="b"),
        # No day: its ts still places it.
        without_day,
        # Neither day nor ts: it cannot be placed in any range.
        {"pk": "0" * 32, "site": "blog.example.org", "path": "/"},
        # No path at all.
        hit(path=None, vid="d"),
    ]
    report = aggregate(items, query())

    assert (report.pageviews, report.visitors) == (4, 4)
    assert report.filtered == {NO_DAY: 1}
    assert pages(report) == {
        (UNKNOWN, "/from-p/"): (1, 1),
        ("blog.example.org", "/posts/hello/"): (2, 2),
        ("blog.example.org", UNKNOWN): (1, 1),
    }
    assert DayRow("2026-11-21", 1, 1) in report.days
    assert rows(report.kinds) == {"css": (3, 3), UNKNOWN: (1, 1)}
    assert CountryRow(None, UNKNOWN, 1, 1) in report.countries


def test_referrers_are_grouped_by_host_and_campaigns_by_name() -> None:
    items = [
        hit(vid="a", ref="https://news.example.net/item/1", utm_campaign="launch"),
        hit(vid="a", ref="https://news.example.net/item/2", utm_campaign="launch"),
        hit(vid="b", ref="https://news.example.net/item/1"),
        hit(vid="c", ref="https://search.example.com/", utm_campaign="=1+1"),
        hit(vid="d"),
    ]
    report = aggregate(items, query())

    assert report.referrers == [
        Row("news.example.net", 3, 2),
        Row("search.example.com", 1, 1),
    ]
    assert report.campaigns == [Row("launch", 2, 1), Row("=1+1", 1, 1)]


def test_rows_are_sorted_by_pageviews_then_visitors_then_name() -> None:
    items = [
        hit(vid="a", path="/b/"),
        hit(vid="b", path="/b/"),
        hit(vid="a", path="/a/"),
        hit(vid="a", path="/a/"),
        hit(vid="c", path="/c/"),
        hit(vid="d", path="/d/"),
    ]
    report = aggregate(items, query())
    assert [page.path for page in report.pages] == ["/b/", "/a/", "/c/", "/d/"]
