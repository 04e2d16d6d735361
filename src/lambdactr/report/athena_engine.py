"""The `athena` engine: the report's SQL on Athena, over the stack's export bucket.

The stack (Analytics=true) holds the Glue tables and the workgroup; this module finds them from
the stack's outputs, uploads Python's classifications as JSON lines under a fresh `run=`
partition of two small Glue tables, and runs the statements of `sql` one after the other,
showing their progress. Athena bills the bytes each statement scans: the first reads the export
once, the second four times (`export_reads` counts them).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from ..export_layout import EXPORT_PREFIX
from .coverage import Coverage, coverage_of
from .query import ReportQuery
from .sql import (
    REFERRER_COLUMNS,
    SIGNATURE_COLUMNS,
    lookup_sql,
    quote,
    records_sql,
    report_sql,
)

# Athena's price in us-east-1 and most regions: $5 per TB scanned, at least 10 MB per query.
DOLLARS_PER_TB = 5.0
BYTES_PER_TB = 10**12
MINIMUM_BILLED_BYTES = 10 * 10**6
LOOKUP_PREFIX = "lookups"
POLL_SECONDS = 1.0
_FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")
# Athena cancels a query by itself when it would scan more than the workgroup allows.
CANCELLED_HINT = (
    ". Unless someone cancelled it, it reached the workgroup's cutoff on the bytes one query may"
    " scan (a report's larger query reads the whole export four times): deploy the stack with"
    " a larger AthenaBytesScannedCutoff."
)


class AthenaQueryFailed(Exception):
    """Athena ended a query in FAILED or CANCELLED, with its reason."""


def billed_bytes(scanned: int) -> int:
    """What Athena bills for one query that scanned `scanned` bytes (rounded up to a MB)."""
    megabytes = -(-scanned // 10**6)
    return max(MINIMUM_BILLED_BYTES, megabytes * 10**6)


def export_reads(query: ReportQuery) -> list[int]:
    """How many times each of a report's statements reads the whole export, in their order."""
    records = "export_records_read_here"
    statements = (
        lookup_sql(records, query),
        report_sql(records, "signatures", "referrers", query),
    )
    return [reads(statement, records) for statement in statements]


def reads(sql: str, relation: str) -> int:
    """How many times Trino reads `relation` to run `sql`.

    Trino does not keep a WITH query's rows: it computes the query again wherever it is
    named, so a WITH query named twice reads its tables twice.
    """
    statement = sqlglot.parse_one(sql, read="trino")
    definitions = {cte.alias_or_name: cte.this for cte in statement.find_all(exp.CTE)}

    def count(node: exp.Expr) -> int:
        total = 0
        for table in node.find_all(exp.Table):
            if table.name == relation:
                total += 1
            elif table.name in definitions and not table.db:
                total += count(definitions[table.name])
        return total

    body = statement.copy()
    body.set("with_", None)
    return count(body)


def query_cost(scanned_per_query: list[int]) -> float:
    billed = sum(billed_bytes(scanned) for scanned in scanned_per_query)
    return billed * DOLLARS_PER_TB / BYTES_PER_TB


@dataclass(frozen=True, slots=True)
class AthenaTables:
    """Where the stack's analytics live (its outputs)."""

    workgroup: str
    database: str
    hits: str
    signatures: str
    referrers: str
    bucket: str

    def name(self, table: str) -> str:
        # Glue keeps its names in lower case.
        return f'"{self.database.lower()}"."{table.lower()}"'


# What a progress display is told: the query's state, seconds since it started, bytes scanned.
Progress = Callable[[str, float, int], None]


@dataclass
class AthenaEngine:
    athena: Any
    s3: Any
    tables: AthenaTables
    progress: Progress = lambda state, seconds, scanned: None
    poll_seconds: float = POLL_SECONDS
    sleep: Callable[[float], None] = time.sleep
    run: str = field(default_factory=lambda: uuid.uuid4().hex)
    scanned: list[int] = field(default_factory=list)

    @property
    def records(self) -> str:
        # Athena keeps nothing between queries: each statement reads the export itself.
        return f"({records_sql(self.tables.name(self.tables.hits))})"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        execution_id = self.athena.start_query_execution(
            QueryString=sql,
            WorkGroup=self.tables.workgroup,
            QueryExecutionContext={"Database": self.tables.database},
        )["QueryExecutionId"]
        with self._cancelled_on_interrupt(execution_id):
            self._wait(execution_id)
        return list(self._results(execution_id))

    @contextmanager
    def _cancelled_on_interrupt(self, execution_id: str) -> Iterator[None]:
        try:
            yield
        except KeyboardInterrupt:
            # Ctrl-C stops the query too: otherwise it runs (and is billed) to its end.
            self.athena.stop_query_execution(QueryExecutionId=execution_id)
            raise

    def _wait(self, execution_id: str) -> None:
        started = time.monotonic()
        while True:
            execution = self.athena.get_query_execution(QueryExecutionId=execution_id)[
                "QueryExecution"
            ]
            state = execution["Status"]["State"]
            scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
            self.progress(state, time.monotonic() - started, scanned)
            if state in _FINISHED:
                self.scanned.append(scanned)
                if state != "SUCCEEDED":
                    reason = execution["Status"].get("StateChangeReason", "no reason given")
                    raise AthenaQueryFailed(
                        f"Athena query {execution_id} {state}: {reason}"
                        + (CANCELLED_HINT if state == "CANCELLED" else "")
                    )
                return
            self.sleep(self.poll_seconds)

    def _results(self, execution_id: str) -> Iterator[tuple[Any, ...]]:
        pages = self.athena.get_paginator("get_query_results").paginate(
            QueryExecutionId=execution_id
        )
        first = True
        for page in pages:
            result_set = page["ResultSet"]
            types = [column["Type"] for column in result_set["ResultSetMetadata"]["ColumnInfo"]]
            rows = result_set.get("Rows", [])
            if first and rows:
                rows = rows[1:]  # a SELECT's first row holds the column names
            first = False
            for row in rows:
                yield tuple(
                    _value(cell.get("VarCharValue"), kind)
                    for cell, kind in zip(row["Data"], types, strict=True)
                )

    def lookups(
        self, signatures: list[tuple[str, ...]], referrers: list[tuple[str, ...]]
    ) -> tuple[str, str]:
        return (
            self._upload(self.tables.signatures, SIGNATURE_COLUMNS, signatures),
            self._upload(self.tables.referrers, REFERRER_COLUMNS, referrers),
        )

    def _upload(self, table: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
        # JSON lines, read by the OpenX SerDe: any string survives, quotes and commas included.
        body = "".join(
            json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n"
            for row in rows
        )
        self.s3.put_object(
            Bucket=self.tables.bucket,
            Key=f"{LOOKUP_PREFIX}/{table}/run={self.run}/{table}.json",
            Body=body.encode("utf-8"),
        )
        relation = f"SELECT * FROM {self.tables.name(table)} WHERE run = {quote(self.run)}"  # noqa: S608
        return f"({relation})"

    def cost(self) -> float:
        return query_cost(self.scanned)


def _value(text: str | None, kind: str) -> Any:
    if text is None:
        return None
    if kind in ("bigint", "integer", "smallint", "tinyint"):
        return int(text)
    if kind == "boolean":
        return text == "true"
    return text


def export_coverage(s3: Any, bucket: str) -> Coverage:
    """Which days the bucket's exports hold. Its summary manifests are the daily exports' (the
    backfill's stay in the staging prefix)."""
    keys = (
        entry["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{EXPORT_PREFIX}/dt="
        )
        for entry in page.get("Contents", [])
    )
    return coverage_of(keys, is_full_export=lambda key: False)
