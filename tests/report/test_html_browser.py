"""The HTML report in headless Chromium: charts drawn, tables there, offline, phone-sized."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from lambdactr.report.aggregate import aggregate
from lambdactr.report.model import Report, top_rows
from lambdactr.report.query import ReportQuery
from lambdactr.report.render_html import render_html
from tests.support.hits import FIREFOX, GOOGLEBOT, IPHONE, hit

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE_WIDTH = 390
CHARTS = ("days", "pages", "referrers", "browsers", "os", "devices", "countries")

# The report sits in a phone-wide frame: headless Chromium will not make a window that narrow,
# and the frame lets this page measure the report once its scripts have run. It measures again
# until every chart is drawn and fits its box, or the deadline passes (virtual time, well inside
# the budget Chromium is given), then writes what it saw.
HARNESS = """<!doctype html><html><body style="margin:0">
<iframe id="report" src="report.html" style="width:{width}px;height:2400px;border:0"></iframe>
<pre id="result"></pre>
<script>
const frame = document.getElementById("report");
const deadline = Date.now() + {deadline_ms};
function measure() {{
  const page = frame.contentDocument;
  const plots = [...page.querySelectorAll(".js-plotly-plot")];
  return {{
    charts: page.querySelectorAll(".chart").length,
    plots: plots.map((plot) => plot.id),
    drawn: plots.filter((plot) => plot.querySelector("svg.main-svg")).length,
    svgs: page.querySelectorAll("svg.main-svg").length,
    bars: page.querySelectorAll("g.point path").length,
    tables: page.querySelectorAll("table").length,
    pageWidth: page.documentElement.scrollWidth,
    viewportWidth: page.documentElement.clientWidth,
    overflowingCharts: plots.filter((plot) =>
      plot.getBoundingClientRect().width > plot.closest(".chart").clientWidth + 1).length,
    pageviews: page.getElementById("pageviews").textContent,
    dayTicks: [...page.querySelectorAll("#chart-days .xtick text")].map((t) => t.textContent),
    countAxes: plots.filter((plot) => plot.id !== "chart-devices").map((plot) =>
      [...plot.querySelectorAll(plot.id === "chart-days" ? ".ytick text" : ".xtick text")]
        .map((t) => t.textContent)),
    overflowingTables: [...page.querySelectorAll(".table-wrap")]
      .filter((wrap) => wrap.scrollWidth > wrap.clientWidth + 1).length,
    unknownLines: [...page.querySelectorAll("td.name")]
      .filter((cell) => cell.textContent === "(unknown)")
      .map((cell) => {{
        const range = page.createRange();
        range.selectNodeContents(cell);
        return range.getClientRects().length;
      }}),
    emptySections: [...page.querySelectorAll("section")]
      .filter((section) => section.querySelector(".none"))
      .map((section) => section.id),
  }};
}}
frame.addEventListener("load", function poll() {{
  const result = measure();
  // Every chart box holds a drawn plot that fits it, or time is up.
  result.settled = result.drawn === result.charts && result.overflowingCharts === 0;
  if (result.settled || Date.now() > deadline) {{
    document.getElementById("result").textContent = JSON.stringify(result);
  }} else {{
    setTimeout(poll, 50);
  }}
}});
</script></body></html>"""
# Chromium's virtual time: it prints the page once this much has passed with nothing loading.
VIRTUAL_TIME_BUDGET_MS = 15_000
SETTLE_DEADLINE_MS = 10_000


@pytest.fixture(scope="module")
def report_dir() -> Iterator[Path]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make system-deps)")
    items = []
    for n in range(60):
        day = f"2026-11-{1 + n % 20:02d}"
        items.append(
            hit(vid=f"v{n}", day=day, path=f"/posts/{n % 7}/", cc=("DE", "FR", "US")[n % 3])
        )
        items.append(hit(vid=f"v{n}", day=day, path="/", ua=(FIREFOX, IPHONE)[n % 2]))
    items += [
        hit(vid="r", ref="https://news.example.net/item", utm_campaign="<b>launch</b>"),
        hit(vid="g", ua=GOOGLEBOT, lang=None, h=None),
    ]
    query = ReportQuery(since=date(2026, 11, 1), until=date(2026, 11, 20))
    report = top_rows(aggregate(items, query), 20)
    directory = Path(tempfile.mkdtemp(prefix="lambdactr-html-"))
    (directory / "report.html").write_text(render_html(report), encoding="utf-8")
    harness = HARNESS.format(width=PHONE_WIDTH, deadline_ms=SETTLE_DEADLINE_MS)
    (directory / "phone.html").write_text(harness, encoding="utf-8")
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def chromium(page: Path, *flags: str) -> str:
    """Run headless Chromium on `page` with no network at all, and return what it printed."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="lambdactr-chromium-") as profile:
        process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-background-networking",
                f"--user-data-dir={profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--allow-file-access-from-files",
                "--hide-scrollbars",
                f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
                *flags,
                page.as_uri(),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        try:
            out, _ = process.communicate(timeout=180)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return out


def test_charts_and_tables_are_drawn_and_fit_a_phone(report_dir: Path) -> None:
    dom = chromium(report_dir / "phone.html", "--window-size=600,2500", "--dump-dom")
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.DOTALL)
    assert found is not None
    assert found.group(1), "the report never finished loading"
    result = json.loads(found.group(1).replace("&quot;", '"'))
    assert result["settled"], (
        f"charts not drawn and fitted within {SETTLE_DEADLINE_MS} ms: {result}"
    )

    assert result["plots"] == [f"chart-{name}" for name in CHARTS]
    assert result["svgs"] >= len(CHARTS)
    assert result["bars"] > 20
    assert result["tables"] >= 11
    assert result["pageviews"] == "121"
    assert result["viewportWidth"] == PHONE_WIDTH
    assert result["pageWidth"] <= PHONE_WIDTH
    assert result["overflowingCharts"] == 0


def test_screenshots_show_the_report(report_dir: Path) -> None:
    for page, size, name in (
        ("report.html", "1280,2000", "desktop.png"),
        ("phone.html", "600,2400", "phone.png"),
    ):
        shot = report_dir / name
        chromium(report_dir / page, f"--window-size={size}", f"--screenshot={shot}")
        with Image.open(shot) as image:
            pixels = image.convert("RGB")
            colours = pixels.getcolors(maxcolors=1 << 20) or []
            accent = sum(count for count, rgb in colours if rgb == (37, 99, 235))
            width, height = pixels.size
        # Not blank: many colours, and a good many pixels of the charts' bar colour.
        assert len(colours) > 50, name
        assert accent > width * height // 200, name


def _measure(directory: Path, report: Report) -> dict[str, Any]:
    (directory / "report.html").write_text(render_html(report), encoding="utf-8")
    (directory / "phone.html").write_text(
        HARNESS.format(width=PHONE_WIDTH, deadline_ms=SETTLE_DEADLINE_MS), encoding="utf-8"
    )
    dom = chromium(directory / "phone.html", "--window-size=600,2500", "--dump-dom")
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.DOTALL)
    assert found is not None
    assert found.group(1), "the report never finished loading"
    result: dict[str, Any] = json.loads(found.group(1).replace("&quot;", '"'))
    return result


@pytest.mark.parametrize(
    ("days", "labels"),
    [
        (1, ["Nov 1"]),
        (3, ["Nov 1", "Nov 2", "Nov 3"]),
        (
            30,
            [
                "Nov 1",
                "Nov 4",
                "Nov 7",
                "Nov 10",
                "Nov 13",
                "Nov 16",
                "Nov 19",
                "Nov 22",
                "Nov 25",
                "Nov 28",
            ],
        ),
    ],
)
def test_any_range_has_day_ticks_whole_counts_and_fits_a_phone(
    days: int, labels: list[str], tmp_path: Path
) -> None:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make system-deps)")
    # Few hits, so that a count axis left to itself would tick at 0.5.
    items = [
        hit(
            vid=f"v{n}",
            day=f"2026-11-{1 + n % days:02d}",
            path=f"/posts/{n}/{'long-' * 12}/",
            cc=None,
        )
        for n in range(3)
    ]
    query = ReportQuery(since=date(2026, 11, 1), until=date(2026, 11, days))
    result = _measure(tmp_path, top_rows(aggregate(items, query), 20))

    # Days, never times of day.
    assert result["dayTicks"] == labels
    # Whole numbers on every count axis, each once (not 0, 0, 1, 1 for ticks at 0.5).
    assert len(result["countAxes"]) == len(result["plots"]) - 1
    for ticks in result["countAxes"]:
        counts = [int(tick.replace(",", "")) for tick in ticks]
        assert counts == sorted(set(counts)), ticks
        assert len(counts) >= 2, ticks
    # "(unknown)" stays one word on one line; tables wrap rather than scroll.
    assert result["unknownLines"]
    assert set(result["unknownLines"]) == {1}
    assert result["overflowingTables"] == 0
    # No referrers, campaigns or bots here: a line says so, with no empty chart.
    assert {"referrers", "campaigns", "filtered"} <= set(result["emptySections"])
    assert "chart-referrers" not in result["plots"]
    # Long unbroken paths wrap in their table; the page never scrolls sideways on a phone.
    assert result["viewportWidth"] == PHONE_WIDTH
    assert result["pageWidth"] <= PHONE_WIDTH


def test_an_empty_report_fits_a_phone(tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make system-deps)")
    query = ReportQuery(since=date(2026, 11, 1), until=date(2026, 11, 1))
    result = _measure(tmp_path, aggregate([], query))

    assert result["plots"] == ["chart-days"]
    assert result["dayTicks"] == ["Nov 1"]
    assert result["countAxes"] == [["0", "1"]]
    assert result["pageWidth"] <= PHONE_WIDTH
