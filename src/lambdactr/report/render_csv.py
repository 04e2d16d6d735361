"""The report as one long CSV table: breakdown,name,pageviews,visitors.

One shape for everything, so a spreadsheet imports it in one go and a pivot table or a filter
on `breakdown` gives back each section.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from .model import Report, Row, printable

HEADER = ("breakdown", "name", "pageviews", "visitors")
TOTALS_NAME = "all"
# A spreadsheet runs a cell that starts with one of = + - @ as a formula. Names come from the
# visitors' requests (campaigns, referrers), so an apostrophe goes before such a character, at
# the start and after every `;` or tab: a spreadsheet that splits on those (LibreOffice with `;`
# as the separator) would otherwise start a cell there, and `a;=2*21` would show 42.
_FORMULA_START = re.compile(r"(^|[;\t])(?=[=+\-@])")


def render_csv(report: Report) -> str:
    report = printable(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(("totals", TOTALS_NAME, report.pageviews, report.visitors))
    for day in report.days:
        writer.writerow(("days", _cell(day.day), day.pageviews, day.visitors))
    for page in report.pages:
        name = page.site + page.path if report.many_sites else page.path
        writer.writerow(("pages", _cell(name), page.pageviews, page.visitors))
    sections: tuple[tuple[str, list[Row]], ...] = (
        ("referrers", report.referrers),
        ("campaigns", report.campaigns),
        ("browsers", report.browsers),
        ("os", report.os),
        ("devices", report.devices),
    )
    for breakdown, rows in sections:
        writer.writerows(_lines(breakdown, rows))
    for country in report.countries:
        name = f"{country.name} ({country.code})" if country.code else country.name
        writer.writerow(("countries", _cell(name), country.pageviews, country.visitors))
    writer.writerows(_lines("languages", report.languages))
    writer.writerows(_lines("kinds", report.kinds))
    # Filtered hits were never counted as visitors, so that cell stays empty.
    for reason, count in report.filtered.items():
        writer.writerow(("filtered", _cell(reason), count, ""))
    return buffer.getvalue()


def _lines(breakdown: str, rows: list[Row]) -> Iterator[tuple[str, str, int, int]]:
    for row in rows:
        yield breakdown, _cell(row.name), row.pageviews, row.visitors


def _cell(text: str) -> str:
    return _FORMULA_START.sub(r"\1'", text)
