"""Every output format, checked on what it says."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest
from rich.console import Console

from lambdactr.report.aggregate import aggregate
from lambdactr.report.model import Report, top_rows
from lambdactr.report.render_csv import render_csv
from lambdactr.report.render_html import render_html
from lambdactr.report.render_json import render_json
from lambdactr.report.render_table import render_table
from tests.support.hits import GOOGLEBOT, hit, query
from tests.support.report import assert_plotly_js_inlined_once, total_shown

HOSTILE_CAMPAIGN = "<script>alert(1)</script>"
JSON_KEYS = [
    "site",
    "since",
    "until",
    "pageviews",
    "visitors",
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
    "filtered",
]


@pytest.fixture
def report() -> Report:
    items = [
        hit(vid="a", path="/", day="2026-11-01", ref="https://news.example.net/item/7"),
        hit(vid="a", path="/posts/hello/", day="2026-11-01", utm_campaign="launch"),
        hit(vid="b", path="/posts/hello/", day="2026-11-02", cc="FR", lang="fr-FR", kind="gif"),
        hit(vid="c", path="/", day="2026-11-02", cc=None, utm_campaign="=HYPERLINK(1)"),
        hit(vid="d", path="/x/", day="2026-11-02", utm_campaign=HOSTILE_CAMPAIGN),
        hit(vid="e", path="/", day="2026-11-02", ua=GOOGLEBOT, lang=None, h=None),
        hit(vid="f", path="/", day="2026-11-02", spec=True),
    ]
    return aggregate(items, query(since="2026-11-01", until="2026-11-03"))


def test_json_has_the_documented_keys_and_values(report: Report) -> None:
    data = json.loads(render_json(report))

    assert list(data) == JSON_KEYS
    assert data["site"] is None
    assert (data["since"], data["until"]) == ("2026-11-01", "2026-11-03")
    assert (data["pageviews"], data["visitors"]) == (5, 4)
    assert data["days"] == [
        {"day": "2026-11-01", "pageviews": 2, "visitors": 1},
        {"day": "2026-11-02", "pageviews": 3, "visitors": 3},
        {"day": "2026-11-03", "pageviews": 0, "visitors": 0},
    ]
    assert data["pages"][0] == {
        "site": "blog.example.org",
        "path": "/",
        "pageviews": 2,
        "visitors": 2,
    }
    assert data["referrers"] == [{"name": "news.example.net", "pageviews": 1, "visitors": 1}]
    assert {"campaign": "launch", "pageviews": 1, "visitors": 1} in data["campaigns"]
    assert data["browsers"] == [{"name": "Chrome", "pageviews": 5, "visitors": 4}]
    assert data["countries"] == [
        {"code": "DE", "name": "Germany", "pageviews": 3, "visitors": 2},
        {"code": None, "name": "(unknown)", "pageviews": 1, "visitors": 1},
        {"code": "FR", "name": "France", "pageviews": 1, "visitors": 1},
    ]
    assert data["kinds"] == [
        {"name": "css", "pageviews": 4, "visitors": 3},
        {"name": "gif", "pageviews": 1, "visitors": 1},
    ]
    assert data["filtered"] == {"crawler": 1, "speculative": 1}


def test_csv_is_one_long_table(report: Report) -> None:
    text = render_csv(report)
    table = list(csv.reader(io.StringIO(text)))

    assert table[0] == ["breakdown", "name", "pageviews", "visitors"]
    assert table[1] == ["totals", "all", "5", "4"]
    assert table[2:5] == [
        ["days", "2026-11-01", "2", "1"],
        ["days", "2026-11-02", "3", "3"],
        ["days", "2026-11-03", "0", "0"],
    ]
    assert ["pages", "/posts/hello/", "2", "2"] in table
    assert ["referrers", "news.example.net", "1", "1"] in table
    assert ["countries", "Germany (DE)", "3", "2"] in table
    assert ["countries", "(unknown)", "1", "1"] in table
    assert ["kinds", "gif", "1", "1"] in table
    assert ["filtered", "crawler", "1", ""] in table
    # A spreadsheet would run this as a formula; the apostrophe keeps it text.
    assert ["campaigns", "'=HYPERLINK(1)", "1", "1"] in table
    assert {row[0] for row in table[1:]} == {
        "totals",
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
        "filtered",
    }
    assert all(len(row) == 4 for row in table)


def test_csv_names_pages_with_their_site_when_there_are_several() -> None:
    report = aggregate(
        [hit(site="a.example.org", path="/"), hit(site="b.example.org", path="/")], query()
    )
    table = list(csv.reader(io.StringIO(render_csv(report))))
    assert [row[1] for row in table if row[0] == "pages"] == ["a.example.org/", "b.example.org/"]


def test_table_shows_totals_days_breakdowns_and_filtered(report: Report) -> None:
    console = Console(record=True, width=160, color_system=None)
    render_table(report, console)
    text = console.export_text()

    assert "Pageviews 5" in text
    assert "Visitors 4" in text
    assert "2026-11-02" in text
    assert "█" in text
    assert "/posts/hello/" in text
    assert "news.example.net" in text
    assert HOSTILE_CAMPAIGN in text
    assert "Germany" in text
    assert "France" in text
    assert "Filtered out" in text
    assert "crawler" in text
    assert "speculative" in text


def test_table_prints_names_as_text_not_markup() -> None:
    report = aggregate([hit(utm_campaign="[bold red]boo[/]")], query())
    console = Console(record=True, width=160, color_system=None)
    render_table(report, console)
    assert "[bold red]boo[/]" in console.export_text()


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []
        self.scripts = 0
        self.metas: list[dict[str, str | None]] = []
        self.tables = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action") and value:
                self.external.append(value)
        self.scripts += tag == "script"
        self.tables += tag == "table"
        if tag == "meta":
            self.metas.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_one_self_contained_page(report: Report) -> None:
    html = render_html(report)
    page = _Page()
    page.feed(html)

    assert page.external == []
    assert "cdn.plot.ly/plotly" not in html
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.metas
    # plotly.js once, then one small script per chart and the one that fits charts to boxes.
    assert_plotly_js_inlined_once(html)
    assert html.count("Plotly.newPlot(") == 7
    assert (total_shown(html, "pageviews"), total_shown(html, "visitors")) == ("5", "4")
    assert page.tables >= 10
    text = "".join(page.text)
    assert "/posts/hello/" in text
    assert "Germany" in text
    assert "news.example.net" in text


def test_html_escapes_names_from_requests(report: Report) -> None:
    html = render_html(report)
    assert HOSTILE_CAMPAIGN not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_top_rows_cuts_breakdowns_but_never_days(report: Report) -> None:
    cut = top_rows(report, 1)
    assert len(cut.pages) == 1
    assert len(cut.countries) == 1
    assert len(cut.campaigns) == 1
    assert cut.days == report.days
    assert cut.pageviews == report.pageviews


def test_an_empty_report_renders_in_every_format() -> None:
    empty = aggregate([], query(since="2026-11-01", until="2026-11-02"))

    data = json.loads(render_json(empty))
    assert (data["pageviews"], data["visitors"], data["pages"], data["filtered"]) == (0, 0, [], {})
    assert len(data["days"]) == 2

    table = list(csv.reader(io.StringIO(render_csv(empty))))
    assert table[1:] == [
        ["totals", "all", "0", "0"],
        ["days", "2026-11-01", "0", "0"],
        ["days", "2026-11-02", "0", "0"],
    ]

    console = Console(record=True, width=160, color_system=None)
    render_table(empty, console)
    assert "Pageviews 0" in console.export_text()

    html = render_html(empty)
    # Every day has its slot on the chart; each empty breakdown says so in a line, no chart.
    assert html.count("Plotly.newPlot(") == 1
    assert "<section id='pages'><h2>Pages</h2><p class='none'>none in this range</p>" in html
    assert html.count("none in this range") == 10
    assert_plotly_js_inlined_once(html)


def test_warnings_are_shown_in_the_table_and_the_page() -> None:
    warned = aggregate([hit(path="/", src="referer", vid=v) for v in "ab"], query())
    assert len(warned.warnings) == 1

    console = Console(record=True, width=300, color_system=None)
    render_table(warned, console)
    assert "warning: blog.example.org: 100% of pageviews" in console.export_text()
    assert "<p class='warning'>blog.example.org: 100% of pageviews" in render_html(warned)


def test_every_format_shows_what_was_left_out_next_to_the_totals() -> None:
    headless = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/142.0.0.0 Safari/537.36"
    )
    report = aggregate(
        [hit(vid="a"), *(hit(ua=headless, vid=v) for v in "bc"), hit(ua=GOOGLEBOT, vid="d")],
        query(),
    )
    line = "3 hits left out as bots or prefetches (see below), 2 of them headless browsers"

    console = Console(record=True, width=200, color_system=None)
    render_table(report, console)
    text = console.export_text()
    # In the heading, beside the totals, not only in the section at the bottom.
    assert text.index(line) < text.index("Days")
    assert text.index("Pageviews 1") < text.index(line)

    html = render_html(report)
    assert html.index("id='visitors'") < html.index(line) < html.index("<section id='days'>")

    assert json.loads(render_json(report))["filtered"] == {"headless": 2, "crawler": 1}
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert ["filtered", "headless", "2", ""] in rows
    assert ["filtered", "crawler", "1", ""] in rows


def test_nothing_left_out_adds_no_line() -> None:
    report = aggregate([hit(vid="a")], query())
    assert "left out as bots" not in render_html(report)
