"""The report as one self-contained HTML page: plotly charts and plain tables, phone-friendly.

plotly.js is inlined once, so the file opens offline and makes no request of its own: no CDN,
no fonts, no MathJax, and no chart type (maps) that would fetch tiles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from .model import Report, Row, left_out_line, printable

CHART_LABEL_CHARS = 28
# Fewer days than this are drawn as slots of this many, centred: no one fat bar.
MIN_DAY_SLOTS = 7
# Most day labels on the axis; a longer range labels every second, third, ... day.
MAX_DAY_LABELS = 10
# Count axes up to this have a tick at every whole number.
INTEGER_TICKS_UP_TO = 8
_NONE = "<p class='none'>none in this range</p>"
CHART_ROWS = 10
DAYS_CHART_PX = 340
DONUT_CHART_PX = 300
# Bar charts grow with their rows, so one referrer is not one fat bar.
BAR_PX = 26
MIN_BARS_HIGH = 3
BAR_CHART_MARGIN_PX = 48
_ACCENT = "#2563eb"
_SECOND = "#f59e0b"
_NUMERIC = frozenset({"Pageviews", "Visitors", "Hits"})
_EMPTY_TABLE = ""
_CONFIG = {"responsive": True, "displaylogo": False, "displayModeBar": False}

# Each chart is drawn while the page is still being read, before the grid has its final
# columns, and a phone may change the viewport after that: every chart follows its box.
_FIT_CHARTS = """
const fit = new ResizeObserver((boxes) => {
  for (const box of boxes) {
    const plot = box.target.querySelector(".js-plotly-plot");
    if (plot) Plotly.Plots.resize(plot);
  }
});
for (const box of document.querySelectorAll(".chart")) fit.observe(box);
"""

_CSS = """
:root { color-scheme: light; --ink: #111827; --muted: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #f9fafb; }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.4rem; margin: 0 0 4px; }
h2 { font-size: 1.1rem; margin: 0 0 8px; }
.scope { color: var(--muted); margin: 0 0 12px; overflow-wrap: anywhere; }
.totals { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
.total { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px;
  min-width: 140px; }
.total b { display: block; font-size: 1.6rem; }
.left-out { margin: -8px 0 16px; color: var(--muted); }
.warning { background: #fef3c7; border: 1px solid #f59e0b; border-radius: 8px; padding: 8px 12px;
  margin-bottom: 12px; overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr));
  gap: 16px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px;
  margin-bottom: 16px; min-width: 0; }
.grid section { margin-bottom: 0; }
.grid { margin-bottom: 16px; }
.chart { width: 100%; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { overflow-wrap: break-word; }
.none { color: var(--muted); margin: 0; }
details summary { cursor: pointer; color: var(--muted); margin-top: 8px; }
footer { color: var(--muted); font-size: 0.85rem; }
"""


def render_html(report: Report) -> str:
    report = printable(report)
    scope = [report.site or "all sites", f"{report.since} to {report.until} (UTC)"]
    if report.path_prefix:
        scope.append(f"paths under {report.path_prefix}")
    title = f"lambdactr report · {' · '.join(scope)}"
    body = [
        f"<h1>lambdactr report</h1><p class='scope'>{escape(' · '.join(scope))}</p>",
        "<div class='totals'>"
        f"<div class='total'>Pageviews<b id='pageviews'>{report.pageviews:,}</b></div>"
        f"<div class='total'>Visitors<b id='visitors'>{report.visitors:,}</b></div>"
        "</div>",
        _left_out(report),
        *(f"<p class='warning'>{escape(warning)}</p>" for warning in report.warnings),
        _section(
            "days",
            "Days",
            _chart("chart-days", _days_figure(report), DAYS_CHART_PX),
            _table(
                ("Day", "Pageviews", "Visitors"),
                [(day.day, day.pageviews, day.visitors) for day in report.days],
            ),
            collapsed=True,
        ),
        _section(
            "pages",
            "Pages",
            _bar_chart(
                "chart-pages",
                [_page_label(report, page.site, page.path) for page in report.pages],
                [page.pageviews for page in report.pages],
            ),
            _table(
                ("Page", "Pageviews", "Visitors"),
                [
                    (_page_label(report, page.site, page.path), page.pageviews, page.visitors)
                    for page in report.pages
                ],
            ),
        ),
        "<div class='grid'>",
        _rows_section("referrers", "Referrers", report.referrers, chart=True),
        _rows_section("campaigns", "Campaigns", report.campaigns),
        _rows_section("browsers", "Browsers", report.browsers, chart=True),
        _rows_section("os", "Operating systems", report.os, chart=True),
        _section(
            "devices",
            "Devices",
            _chart("chart-devices", _donut_figure(report.devices), DONUT_CHART_PX)
            if report.devices
            else "",
            _rows_table(report.devices),
        ),
        _section(
            "countries",
            "Countries",
            _bar_chart(
                "chart-countries",
                [row.name for row in report.countries],
                [row.pageviews for row in report.countries],
            ),
            _table(
                ("Code", "Country", "Pageviews", "Visitors"),
                [
                    (row.code or "", row.name, row.pageviews, row.visitors)
                    for row in report.countries
                ],
            ),
        ),
        _rows_section("languages", "Languages", report.languages),
        _rows_section("kinds", "Beacons (css, gif or svg)", report.kinds),
        _section(
            "filtered",
            "Bots and speculative hits"
            + (" (counted in)" if report.include_bots else " (left out)"),
            "",
            _table(("Reason", "Hits"), list(report.filtered.items())),
        ),
        "</div>",
        "<footer>Visitors are distinct visitor ids per site per UTC day, summed over days."
        "</footer>",
    ]
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head>\n"
        f"<body><main>{''.join(body)}</main><script>{_FIT_CHARTS}</script></body></html>\n"
    )


def _left_out(report: Report) -> str:
    line = left_out_line(report)
    if line is None:
        return ""
    return f"<p class='left-out' id='left-out'>{escape(line)}</p>"


def _section(
    section_id: str, title: str, chart: str, table: str, *, collapsed: bool = False
) -> str:
    if not table:
        # Neither an empty chart nor an empty table: one short line says it.
        return f"<section id='{section_id}'><h2>{escape(title)}</h2>{_NONE}</section>"
    if collapsed:
        table = f"<details><summary>Table</summary>{table}</details>"
    return f"<section id='{section_id}'><h2>{escape(title)}</h2>{chart}{table}</section>"


def _rows_section(section_id: str, title: str, rows: list[Row], *, chart: bool = False) -> str:
    drawn = ""
    if chart:
        drawn = _bar_chart(
            f"chart-{section_id}", [row.name for row in rows], [row.pageviews for row in rows]
        )
    return _section(section_id, title, drawn, _rows_table(rows))


def _rows_table(rows: list[Row]) -> str:
    return _table(
        ("Name", "Pageviews", "Visitors"), [(row.name, row.pageviews, row.visitors) for row in rows]
    )


def _table(headings: Sequence[str], rows: Sequence[Sequence[str | int]]) -> str:
    head = "".join(
        f"<th class='num'>{escape(h)}</th>" if h in _NUMERIC else f"<th>{escape(h)}</th>"
        for h in headings
    )
    if not rows:
        return _EMPTY_TABLE
    lines = []
    for row in rows:
        cells = "".join(
            f"<td class='num'>{cell:,}</td>"
            if isinstance(cell, int)
            else f"<td class='name'>{_breakable(cell)}</td>"
            for cell in row
        )
        lines.append(f"<tr>{cells}</tr>")
    return f"<div class='table-wrap'><table><tr>{head}</tr>{''.join(lines)}</table></div>"


def _breakable(name: str) -> str:
    """The name as HTML that may break after a "/" or a "." as well as at spaces, never inside
    a word: a long path or host wraps by its segments."""
    if len(name) <= CHART_LABEL_CHARS:
        return escape(name)
    return re.sub(r"([/.?&=])(?=.)", r"\1<wbr>", escape(name))


def _page_label(report: Report, site: str, path: str) -> str:
    return site + path if report.many_sites else path


def _bar_chart(div_id: str, names: list[str], pageviews: list[int]) -> str:
    if not names:
        return ""
    bars = min(len(names), CHART_ROWS)
    height = BAR_CHART_MARGIN_PX + BAR_PX * max(bars, MIN_BARS_HIGH)
    return _chart(div_id, _bars_figure(names, pageviews), height)


def _chart(div_id: str, figure: go.Figure, height_px: int) -> str:
    html: str = figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        config=_CONFIG,
        div_id=div_id,
        default_height="100%",
    )
    return f"<div class='chart' style='height:{height_px}px'>{html}</div>"


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        "template": "plotly_white",
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "autosize": True,
        "font": {"family": "system-ui, sans-serif", "size": 12},
        **extra,
    }


def _days_figure(report: Report) -> go.Figure:
    """Bars of pageviews and a line of visitors, one slot per day of the range.

    The days sit on a category axis labelled "Nov 29": a date axis would show times of day for a
    range of one day and draw its one bar across the whole chart. Short ranges get room for
    MIN_DAY_SLOTS days, so a lone day is a bar of a sensible width in the middle.
    """
    days = [day.day for day in report.days]
    pageviews = [day.pageviews for day in report.days]
    visitors = [day.visitors for day in report.days]
    positions = list(range(len(days)))
    figure = go.Figure()
    figure.add_bar(
        x=positions,
        y=pageviews,
        name="Pageviews",
        marker_color=_ACCENT,
        customdata=days,
        hovertemplate="%{customdata}: %{y} pageviews<extra></extra>",
    )
    figure.add_scatter(
        x=positions,
        y=visitors,
        name="Visitors",
        mode="lines+markers",
        line={"color": _SECOND, "width": 2},
        customdata=days,
        hovertemplate="%{customdata}: %{y} visitors<extra></extra>",
    )
    padding = max(MIN_DAY_SLOTS - len(days), 0) / 2
    every = max(1, math.ceil(len(days) / MAX_DAY_LABELS))
    figure.update_layout(
        _layout(
            legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
            xaxis={
                "automargin": True,
                "tickmode": "array",
                "tickvals": positions[::every],
                "ticktext": [_day_label(day) for day in days[::every]],
                "range": [-0.5 - padding, len(days) - 0.5 + padding],
                "showgrid": False,
            },
            yaxis=_count_axis(max([*pageviews, *visitors], default=0)),
            bargap=0.15,
        )
    )
    return figure


def _day_label(day: str) -> str:
    parsed = date.fromisoformat(day)
    return f"{parsed:%b} {parsed.day}"


def _count_axis(largest: int) -> dict[str, Any]:
    """An axis of counts: whole numbers only, from zero."""
    axis: dict[str, Any] = {"rangemode": "tozero", "automargin": True, "tickformat": ",d"}
    if largest <= INTEGER_TICKS_UP_TO:
        # Left to itself, plotly puts ticks at 0.5 for small counts.
        axis |= {"dtick": 1, "tick0": 0, "range": [0, max(largest, 1) * 1.1]}
    return axis


def _bars_figure(names: list[str], pageviews: list[int]) -> go.Figure:
    """Horizontal bars for the top rows, the biggest on top: labels stay readable on a phone.

    Bars sit at numbered positions with the labels as tick text, so two names that shorten to
    the same label stay two bars.
    """
    names, pageviews = names[:CHART_ROWS][::-1], pageviews[:CHART_ROWS][::-1]
    positions = list(range(len(names)))
    figure = go.Figure(
        go.Bar(
            x=pageviews,
            y=positions,
            orientation="h",
            marker_color=_ACCENT,
            customdata=[escape(name, quote=False) for name in names],
            hovertemplate="%{customdata}: %{x} pageviews<extra></extra>",
        )
    )
    figure.update_layout(
        _layout(
            yaxis={
                "automargin": True,
                "tickmode": "array",
                "tickvals": positions,
                "ticktext": [_chart_label(name) for name in names],
                "range": [-0.6, max(len(names), 1) - 0.4],
            },
            xaxis=_count_axis(max(pageviews, default=0)),
            showlegend=False,
        )
    )
    return figure


def _donut_figure(rows: list[Row]) -> go.Figure:
    figure = go.Figure(
        go.Pie(
            labels=[_chart_label(row.name) for row in rows],
            values=[row.pageviews for row in rows],
            hole=0.5,
            sort=False,
        )
    )
    figure.update_layout(_layout(legend={"orientation": "h"}))
    return figure


def _chart_label(name: str) -> str:
    """A short label that plotly shows as text: its own tags (<b>, <a href>) are escaped.

    A long path keeps its end, which is what tells pages apart (its last segment whole when that
    fits); the table under the chart has every name in full.
    """
    if len(name) > CHART_LABEL_CHARS:
        last_segment = name.rstrip("/").rpartition("/")[2]
        if last_segment and last_segment != name:
            shortened = "…/" + last_segment
            name = (
                shortened
                if len(shortened) <= CHART_LABEL_CHARS
                else "…" + name[-(CHART_LABEL_CHARS - 1) :]
            )
        else:
            name = name[: CHART_LABEL_CHARS - 1] + "…"
    return escape(name, quote=False)
