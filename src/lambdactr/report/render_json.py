"""The report as JSON, in the schema the README documents (keep the two in step)."""

from __future__ import annotations

import json
from typing import Any

from .model import Report, Row, printable


def report_to_dict(report: Report) -> dict[str, Any]:
    report = printable(report)
    return {
        "site": report.site,
        "since": report.since,
        "until": report.until,
        "pageviews": report.pageviews,
        "visitors": report.visitors,
        "days": [
            {"day": row.day, "pageviews": row.pageviews, "visitors": row.visitors}
            for row in report.days
        ],
        "pages": [
            {
                "site": row.site,
                "path": row.path,
                "pageviews": row.pageviews,
                "visitors": row.visitors,
            }
            for row in report.pages
        ],
        "referrers": _rows(report.referrers),
        "campaigns": _rows(report.campaigns, name_key="campaign"),
        "browsers": _rows(report.browsers),
        "os": _rows(report.os),
        "devices": _rows(report.devices),
        "countries": [
            {
                "code": row.code,
                "name": row.name,
                "pageviews": row.pageviews,
                "visitors": row.visitors,
            }
            for row in report.countries
        ],
        "languages": _rows(report.languages),
        "kinds": _rows(report.kinds),
        "filtered": dict(report.filtered),
    }


def _rows(rows: list[Row], name_key: str = "name") -> list[dict[str, Any]]:
    return [
        {name_key: row.name, "pageviews": row.pageviews, "visitors": row.visitors} for row in rows
    ]


def render_json(report: Report) -> str:
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"
