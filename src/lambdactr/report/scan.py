"""Reading the hits table: a parallel Scan of only the attributes the report uses.

Each segment pages through its share of the table in its own thread (botocore clients are
thread-safe); the caller's thread turns the pages into plain items, so a report streams through
a table of any size without holding it in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..function.item import (
    COUNTER_KEY_PREFIX,
    SALT_KEY_PREFIX,
    PlainItem,
    from_dynamodb,
    is_hit_key,
)
from ..function.item import FIELD_TYPES as ITEM_FIELD_TYPES
from .query import ReportQuery

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# The attributes the report reads, with the type each has in the item schema (item.py). A field
# of any other type (a hand-edited or foreign item) is dropped, as if the hit had not carried it.
REPORT_FIELDS = (
    "pk",
    "ts",
    "day",
    "kind",
    "site",
    "path",
    "src",
    "ref",
    "utm_campaign",
    "cc",
    "vid",
    "lang",
    "ua",
    "h",
    "spec",
    "novid",
)
FIELD_TYPES: dict[str, type] = {name: ITEM_FIELD_TYPES[name] for name in REPORT_FIELDS}

MAX_SEGMENTS = 16
# DynamoDB's guidance: a segment per few hundred MB keeps each worker's share to minutes.
BYTES_PER_SEGMENT = 64 * 2**20
_STOP_POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class TableSize:
    """DescribeTable's estimates, refreshed by DynamoDB about every six hours."""

    items: int
    bytes: int

    @property
    def segments(self) -> int:
        return max(1, min(MAX_SEGMENTS, -(-self.bytes // BYTES_PER_SEGMENT)))


def table_size(client: DynamoDBClient, table: str) -> TableSize:
    description = client.describe_table(TableName=table)["Table"]
    return TableSize(description.get("ItemCount", 0), description.get("TableSizeBytes", 0))


def scan_request(table: str, query: ReportQuery | None = None) -> dict[str, Any]:
    """Scan parameters: the projection, and a filter that trims what crosses the network.

    The filter is a superset of the report's own: items without `day` still come back (their
    `ts` may place them), and a `*.domain` site is narrowed with `contains` only.
    """
    names = {f"#f{n}": name for n, name in enumerate(FIELD_TYPES)}
    alias = {name: placeholder for placeholder, name in names.items()}
    # The salts and the badge counters share the table with the hits.
    conditions = [
        f"NOT begins_with({alias['pk']}, :salt)",
        f"NOT begins_with({alias['pk']}, :counter)",
    ]
    values: dict[str, Any] = {
        ":salt": {"S": SALT_KEY_PREFIX},
        ":counter": {"S": COUNTER_KEY_PREFIX},
    }
    if query is not None:
        conditions.append(
            f"({alias['day']} BETWEEN :since AND :until OR attribute_not_exists({alias['day']}))"
        )
        values[":since"] = {"S": query.since_day}
        values[":until"] = {"S": query.until_day}
        if query.site is not None:
            if query.site.startswith("*."):
                conditions.append(f"contains({alias['site']}, :site)")
                values[":site"] = {"S": query.site[1:]}
            else:
                conditions.append(f"{alias['site']} = :site")
                values[":site"] = {"S": query.site}
        if query.path_prefix:
            conditions.append(f"begins_with({alias['path']}, :path)")
            values[":path"] = {"S": query.path_prefix}
    return {
        "TableName": table,
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
        "FilterExpression": " AND ".join(conditions),
        "ExpressionAttributeValues": values,
    }


def conform(item: PlainItem) -> PlainItem:
    """The item with every field of the wrong type dropped (bool is not an int here)."""
    return {
        name: value
        for name, value in item.items()
        if type(value) is FIELD_TYPES.get(name, type(value))
    }


def scan_items(
    client: DynamoDBClient,
    table: str,
    query: ReportQuery | None = None,
    segments: int = 1,
    on_page: Callable[[int], None] | None = None,
    page_size: int | None = None,
) -> Generator[PlainItem, None, None]:
    """Every hit item in `table` (salts and counters skipped), read by `segments` workers.

    `on_page(n)` is called after each page with the number of items DynamoDB examined for it,
    which is what a progress bar over the table's item count should advance by. `page_size`
    caps the items DynamoDB examines per request (its own cap is 1 MB).
    """
    if segments < 1:
        raise ValueError("segments must be at least 1")
    request = scan_request(table, query)
    if page_size is not None:
        request["Limit"] = page_size
    pages: queue.Queue[_Page] = queue.Queue(maxsize=2 * segments)
    stop = threading.Event()

    def put(page: _Page) -> bool:
        while not stop.is_set():
            try:
                pages.put(page, timeout=_STOP_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def read_segment(segment: int) -> None:
        try:
            params = dict(request, Segment=segment, TotalSegments=segments)
            while not stop.is_set():
                answer = client.scan(**params)
                if not put(_Page(answer.get("Items", []), answer.get("ScannedCount", 0))):
                    return
                last_key = answer.get("LastEvaluatedKey")
                if not last_key:
                    break
                params["ExclusiveStartKey"] = last_key
            put(_Page(done=True))
        except BaseException as error:  # handed to the reading thread, which raises it
            put(_Page(error=error))

    with ThreadPoolExecutor(max_workers=segments, thread_name_prefix="scan") as pool:
        for segment in range(segments):
            pool.submit(read_segment, segment)
        try:
            running = segments
            while running:
                page = pages.get()
                if page.error is not None:
                    raise page.error
                if page.done:
                    running -= 1
                    continue
                if on_page is not None:
                    on_page(page.scanned)
                for attributes in page.items:
                    if not is_hit_key(attributes.get("pk", {}).get("S", "")):
                        continue
                    yield conform(from_dynamodb(attributes))
        finally:
            stop.set()


@dataclass(slots=True)
class _Page:
    items: list[dict[str, Any]] = field(default_factory=list)
    scanned: int = 0
    done: bool = False
    error: BaseException | None = None
