"""`lambdactr report --counters`: every `/c.svg` badge counter, by site and path, with its value.

The counters are all-time totals kept beside the hits; they can trail the hits of kind `svg`
after a DynamoDB outage (replay restores hits, never counts), so this is how to compare them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..function.hosts import host_matches
from ..function.item import COUNTER_KEY_PREFIX
from .model import UNKNOWN
from .render_csv import _cell

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

FORMATS = ("table", "json", "csv")


@dataclass(frozen=True, slots=True)
class PageCounter:
    site: str | None  # None for a page counted without a known site (`p=` with no Referer)
    path: str
    views: int


def scan_counters(client: DynamoDBClient, table: str) -> list[PageCounter]:
    """Every counter in `table`, most views first."""
    counters = []
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="begins_with(pk, :counter)",
        ProjectionExpression="#site, #path, n",
        ExpressionAttributeNames={"#site": "site", "#path": "path"},
        ExpressionAttributeValues={":counter": {"S": COUNTER_KEY_PREFIX}},
    )
    for page in pages:
        for item in page.get("Items", []):
            count = item.get("n", {}).get("N")
            path = item.get("path", {}).get("S")
            if count is None or path is None:
                continue  # not a counter this Lambda wrote
            site = item.get("site", {}).get("S") or None
            counters.append(PageCounter(site, path, int(count)))
    return sorted(counters, key=lambda c: (-c.views, c.site or "", c.path))


def select(
    counters: Iterable[PageCounter],
    site: str | None,
    path_prefix: str | None,
    top: int | None,
) -> list[PageCounter]:
    """The counters of `site` (a host or *.domain) under `path_prefix`, at most `top` of them."""
    chosen = [
        counter
        for counter in counters
        if (site is None or (counter.site is not None and host_matches(site, counter.site)))
        and (path_prefix is None or counter.path.startswith(path_prefix))
    ]
    return chosen[:top] if top is not None else chosen


def render(counters: list[PageCounter], output_format: str) -> str:
    if output_format == "json":
        rows = [{"site": c.site, "path": c.path, "views": c.views} for c in counters]
        return json.dumps({"counters": rows}, indent=2, ensure_ascii=False) + "\n"
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(("site", "path", "views"))
        for c in counters:
            writer.writerow((_cell(c.site or ""), _cell(c.path), c.views))
        return buffer.getvalue()
    raise ValueError(f"no {output_format} form of the counters")


def render_table(counters: list[PageCounter], console: Console) -> None:
    table = Table(title="Badge counters (/c.svg, all time)", title_justify="left")
    table.add_column("Site")
    table.add_column("Path")
    table.add_column("Views", justify="right")
    for c in counters:
        # Text, not markup: a path from a visitor's request could hold "[bold]".
        table.add_row(Text(c.site or UNKNOWN), Text(c.path), f"{c.views:,}")
    if not counters:
        console.print("No badge counters: no /c.svg view has been counted yet.")
        return
    console.print(table)
