"""The report in the terminal: rich tables, and a bar chart of the days."""

from __future__ import annotations

from rich import box
from rich.bar import Bar
from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .model import Report, Row, left_out_line, printable

BAR_WIDTH = 40


def render_table(report: Report, console: Console) -> None:
    # Every cell goes to rich as Text, never as markup: names come from stored items.
    report = printable(report)
    console.print(_heading(report))
    for warning in report.warnings:
        console.print(Text("warning: ", style="bold yellow") + Text(warning))
    console.print(_days(report))
    console.print(_pages(report))
    console.print(
        Columns(
            [
                _rows_table("Referrers", "Host", report.referrers),
                _rows_table("Campaigns", "utm_campaign", report.campaigns),
            ]
        )
    )
    console.print(
        Columns(
            [
                _rows_table("Browsers", "Browser", report.browsers),
                _rows_table("Operating systems", "OS", report.os),
                _rows_table("Devices", "Device", report.devices),
            ]
        )
    )
    console.print(
        Columns(
            [
                _countries(report),
                _rows_table("Languages", "Language", report.languages),
                _rows_table("Beacons", "Kind", report.kinds),
            ]
        )
    )
    console.print(_filtered(report))
    for note in report.footer:
        console.print(Text(note, style="dim"))


def _heading(report: Report) -> RenderableType:
    scope = [report.site or "all sites", f"{report.since} to {report.until} (UTC)"]
    if report.path_prefix:
        scope.append(f"paths under {report.path_prefix}")
    totals = Text.assemble(
        ("Pageviews ", "dim"),
        (f"{report.pageviews:,}", "bold"),
        ("   Visitors ", "dim"),
        (f"{report.visitors:,}", "bold"),
    )
    lines = [Text(" · ".join(scope)), totals]
    left_out = left_out_line(report)
    if left_out:
        lines.append(Text(left_out, style="yellow"))
    return Panel(Group(*lines), title="lambdactr report", expand=False)


def _days(report: Report) -> Table:
    table = Table(title="Days", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Day")
    table.add_column("Pageviews", justify="right")
    table.add_column("Visitors", justify="right")
    table.add_column("", width=BAR_WIDTH, no_wrap=True)
    busiest = max((day.pageviews for day in report.days), default=0)
    for day in report.days:
        bar = Bar(busiest or 1, 0, day.pageviews, width=BAR_WIDTH, color="cyan")
        table.add_row(Text(day.day), Text(f"{day.pageviews:,}"), Text(f"{day.visitors:,}"), bar)
    return table


def _pages(report: Report) -> Table:
    table = Table(title="Pages", box=box.SIMPLE_HEAD, title_justify="left")
    if report.many_sites:
        table.add_column("Site")
    table.add_column("Path", overflow="fold")
    table.add_column("Pageviews", justify="right")
    table.add_column("Visitors", justify="right")
    for page in report.pages:
        cells = [page.path, f"{page.pageviews:,}", f"{page.visitors:,}"]
        if report.many_sites:
            cells.insert(0, page.site)
        table.add_row(*(Text(cell) for cell in cells))
    if not report.pages:
        table.add_row(*(Text("—") for _ in table.columns))
    return table


def _rows_table(title: str, heading: str, rows: list[Row]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column(heading, overflow="fold", max_width=48)
    table.add_column("Pageviews", justify="right")
    table.add_column("Visitors", justify="right")
    for row in rows:
        table.add_row(Text(row.name), Text(f"{row.pageviews:,}"), Text(f"{row.visitors:,}"))
    if not rows:
        table.add_row(Text("—"), Text(""), Text(""))
    return table


def _countries(report: Report) -> Table:
    table = Table(title="Countries", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("Code")
    table.add_column("Country")
    table.add_column("Pageviews", justify="right")
    table.add_column("Visitors", justify="right")
    for country in report.countries:
        table.add_row(
            Text(country.code or ""),
            Text(country.name),
            Text(f"{country.pageviews:,}"),
            Text(f"{country.visitors:,}"),
        )
    if not report.countries:
        table.add_row(Text("—"), Text(""), Text(""), Text(""))
    return table


def _filtered(report: Report) -> Table:
    if report.include_bots:
        title, caption = "Bots and speculative hits", "counted in (--include-bots)"
    else:
        title, caption = "Filtered out", "--include-bots counts them in"
    table = Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("Reason")
    table.add_column("Hits", justify="right")
    for reason, count in report.filtered.items():
        table.add_row(Text(reason), Text(f"{count:,}"))
    if not report.filtered:
        table.add_row(Text("—"), Text(""))
    return table
