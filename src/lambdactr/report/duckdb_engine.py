"""The `duckdb` engine: the report's SQL over a local copy of the export, in one process.

DuckDB reads the gzipped DynamoDB JSON with the columns declared here (left to guess, it
would type `YYYY-MM-DD` strings as dates), runs the Trino statements of `sql` transpiled by
sqlglot, and holds Python's classifications as two small tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ..export_layout import data_files, partitions
from .model import Report
from .query import ReportQuery
from .relational import sql_report
from .sql import IMAGE_FIELDS, REFERRER_COLUMNS, SIGNATURE_COLUMNS, quote, to_duckdb

_DYNAMODB_TYPES = {"S": "VARCHAR", "N": "VARCHAR", "BOOL": "BOOLEAN"}


def _attribute(descriptor: str) -> str:
    if descriptor == "M":
        return "STRUCT(M MAP(VARCHAR, STRUCT(S VARCHAR)))"
    return f"STRUCT({descriptor} {_DYNAMODB_TYPES[descriptor]})"


def record_columns() -> dict[str, str]:
    """The columns of an export line, as `read_json` takes them."""
    image = ", ".join(f'"{name}" {_attribute(kind)}' for name, kind in IMAGE_FIELDS.items())
    return {
        "Metadata": "STRUCT(WriteTimestampMicros STRUCT(N VARCHAR))",
        "Keys": "STRUCT(pk STRUCT(S VARCHAR))",
        "NewImage": f"STRUCT({image})",
        "Item": f"STRUCT({image})",
    }


class NoExportData(ValueError):
    """The folder holds no export data files."""


class DuckDBEngine:
    """Runs the report's statements on an in-process DuckDB over `files`."""

    RECORDS = "export_records"
    HITS = "report_hits"
    SIGNATURES = "report_signatures"
    REFERRERS = "report_referrers"

    def __init__(self, files: list[Path], threads: int | None = None) -> None:
        # A view cannot take parameters: the paths are written in as quoted literals.
        paths = "[" + ", ".join(quote(str(path)) for path in files) + "]"
        self.connection = duckdb.connect(config={"threads": threads} if threads else {})
        # Trino's from_unixtime and CAST(... AS DATE) read the session's zone, UTC in Athena.
        self.connection.execute("SET TimeZone = 'UTC'")
        # Rows are counted, never listed in file order: dropping the order saves memory.
        self.connection.execute("SET preserve_insertion_order = false")
        self.connection.execute(
            f"CREATE VIEW {self.RECORDS} AS SELECT * FROM read_json({paths}, "  # noqa: S608
            "format = 'newline_delimited', compression = 'gzip', "
            f"columns = {_struct_literal(record_columns())})"
        )

    def hits_relation(self, sql: str) -> str:
        self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {self.HITS} AS {to_duckdb(sql)}")
        return self.HITS

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.connection.execute(to_duckdb(sql)).fetchall()

    def lookups(
        self, signatures: list[tuple[str, ...]], referrers: list[tuple[str, ...]]
    ) -> tuple[str, str]:
        self._table(self.SIGNATURES, SIGNATURE_COLUMNS, signatures)
        self._table(self.REFERRERS, REFERRER_COLUMNS, referrers)
        return self.SIGNATURES, self.REFERRERS

    def _table(self, name: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        # One list per column, zipped back into rows by unnest: no statement per row.
        lists = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in columns]
        selects = ", ".join(f"unnest(?::VARCHAR[]) AS {column}" for column in columns)
        self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {selects}", lists)

    def close(self) -> None:
        self.connection.close()


def _struct_literal(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"


def duckdb_report(export_dir: Path, query: ReportQuery, threads: int | None = None) -> Report:
    files = data_files(export_dir)
    if not files:
        raise NoExportData(
            f"no export data files (*/AWSDynamoDB/data/*.json.gz) under {export_dir}"
        )
    engine = DuckDBEngine(files, threads)
    try:
        return sql_report(engine, DuckDBEngine.RECORDS, query)
    finally:
        engine.close()


def complete_through(export_dir: Path) -> str | None:
    """The last day with export data under `export_dir` (its export ran the day after)."""
    days = partitions(export_dir)
    return days[-1] if days else None
