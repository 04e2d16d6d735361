"""The `duckdb` engine: the report's SQL over a local copy of the export, in one process.

DuckDB reads the gzipped DynamoDB JSON with the columns declared here (left to guess, it
would type `YYYY-MM-DD` strings as dates), runs the Trino statements of `sql` transpiled by
sqlglot, and holds Python's classifications as two small tables. The flat records of each
export file (`records_sql`) are kept as Parquet beside the export: the next report reads them
instead of the JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from ..export_layout import MANIFEST_SUMMARY, data_files, partitions
from .classify import FETCH_METADATA_HEADERS
from .coverage import Coverage, coverage_of
from .model import Report
from .query import ReportQuery
from .relational import sql_report
from .sql import IMAGE_FIELDS, REFERRER_COLUMNS, SIGNATURE_COLUMNS, quote, records_sql, to_duckdb

_DYNAMODB_TYPES = {"S": "VARCHAR", "N": "VARCHAR", "BOOL": "BOOLEAN"}


def _attribute(descriptor: str, fetch_headers_only: bool) -> str:
    if descriptor != "M":
        return f"STRUCT({descriptor} {_DYNAMODB_TYPES[descriptor]})"
    if fetch_headers_only:
        # The one map the report reads is the headers, and only the fetch metadata ones: read
        # as a struct of those, the JSON reader skips every other header (a quarter of the
        # conversion's time), and `element_at(h, name)` reads a struct's field as a map's key.
        fields = ", ".join(f'"{name}" STRUCT(S VARCHAR)' for name in FETCH_METADATA_HEADERS)
        return f"STRUCT(M STRUCT({fields}))"
    return "STRUCT(M MAP(VARCHAR, STRUCT(S VARCHAR)))"


def record_columns(*, fetch_headers_only: bool = False) -> dict[str, str]:
    """The columns of an export line, as `read_json` takes them (and Glue declares them)."""
    image = ", ".join(
        f'"{name}" {_attribute(kind, fetch_headers_only)}' for name, kind in IMAGE_FIELDS.items()
    )
    return {
        "Metadata": "STRUCT(WriteTimestampMicros STRUCT(N VARCHAR))",
        "Keys": "STRUCT(pk STRUCT(S VARCHAR))",
        "NewImage": f"STRUCT({image})",
        "Item": f"STRUCT({image})",
    }


# What a progress display is told: the stage the report is at.
Progress = Callable[[str], None]


class NoExportData(ValueError):
    """The folder holds no export data files."""


class DuckDBEngine:
    """Runs the report's statements on an in-process DuckDB over `files`.

    With a `cache_dir`, each export file's records are turned into flat rows once and kept
    there as Parquet: gunzipping and parsing the JSON is most of a first report's time, and
    export files never change, so later reports over the same copy read only those rows.
    """

    records = "export_records"
    SIGNATURES = "report_signatures"
    REFERRERS = "report_referrers"

    def __init__(
        self,
        files: list[Path],
        threads: int | None = None,
        cache_dir: Path | None = None,
        progress: Progress = lambda stage: None,
    ) -> None:
        self.connection = duckdb.connect(config={"threads": threads} if threads else {})
        # DuckDB's own bar would land in the report's output: the caller shows `progress`.
        self.connection.execute("SET enable_progress_bar = false")
        # Trino's from_unixtime and CAST(... AS DATE) read the session's zone, UTC in Athena.
        self.connection.execute("SET TimeZone = 'UTC'")
        # Rows are counted, never listed in file order: dropping the order saves memory.
        self.connection.execute("SET preserve_insertion_order = false")
        try:
            if cache_dir is None:
                source = f"({_flat_records(files)})"
            else:
                copies = _flat_copies(self.connection, files, cache_dir, progress)
                source = f"read_parquet({_paths(copies)})"
        except BaseException:
            self.connection.close()
            raise
        self.connection.execute(f"CREATE VIEW {self.records} AS SELECT * FROM {source}")  # noqa: S608

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


def _paths(files: list[Path]) -> str:
    # A view cannot take parameters: the paths are written in as quoted literals.
    return "[" + ", ".join(quote(str(path)) for path in files) + "]"


def _flat_records(files: list[Path]) -> str:
    """`records_sql` over the export lines of `files`, in DuckDB's dialect."""
    lines = (
        f"read_json({_paths(files)}, format = 'newline_delimited', compression = 'gzip', "
        f"columns = {_struct_literal(record_columns(fetch_headers_only=True))})"
    )
    return to_duckdb(records_sql(lines))


# The flat rows' layout: copies made by another `records_sql` or reader are elsewhere, unread.
RECORDS_LAYOUT = hashlib.sha256(
    (records_sql("export") + json.dumps(record_columns(fetch_headers_only=True))).encode()
).hexdigest()[:12]


def _flat_copies(
    connection: Any, files: list[Path], cache_dir: Path, progress: Progress
) -> list[Path]:
    """Parquet copies of the flat records of `files`, converting only files not converted before.

    Files converted together share one Parquet file (DuckDB reads them on every core at
    once); a copy is used only while every file it came from is still there, unchanged.
    Anything else in the folder (another layout's copies, what a killed run left) is removed.
    """
    for other in cache_dir.glob("*") if cache_dir.exists() else ():
        if other.name != RECORDS_LAYOUT:
            shutil.rmtree(other) if other.is_dir() else other.unlink()
    layout_dir = cache_dir / RECORDS_LAYOUT
    layout_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = layout_dir / _MANIFEST
    manifest = _read_manifest(manifest_path)
    keys = {_file_key(path): path for path in files}
    kept = {
        name: sources
        for name, sources in manifest.items()
        if set(sources) <= keys.keys() and (layout_dir / name).exists()
    }
    covered = {key for sources in kept.values() for key in sources}
    new = sorted(key for key in keys if key not in covered)
    if new:
        name = hashlib.sha256("\n".join(new).encode()).hexdigest()[:24] + ".parquet"
        partial = layout_dir / f"{name}.{os.getpid()}.partial"
        progress(f"reading {_files(len(new), 'new export')} into Parquet, once, in {cache_dir}")
        records = _flat_records([keys[key] for key in new])
        try:
            connection.execute(f"COPY ({records}) TO {quote(str(partial))} (FORMAT parquet)")
        except duckdb.IOException as error:
            if str(layout_dir) in str(error):
                raise CacheUnwritable(str(error)) from error
            raise ExportUnreadable(str(error)) from error
        partial.replace(layout_dir / name)
        kept[name] = new
    if kept != manifest:
        # Written whole and then renamed: a run killed halfway leaves the old manifest.
        written = manifest_path.with_suffix(f".{os.getpid()}.partial")
        written.write_text(json.dumps(kept, indent=1))
        written.replace(manifest_path)
        for leftover in layout_dir.iterdir():
            if leftover.name not in kept and leftover != manifest_path:
                leftover.unlink(missing_ok=True)
    return [layout_dir / name for name in sorted(kept)]


_MANIFEST = "manifest.json"


def _files(count: int, kind: str) -> str:
    return f"{count:,} {kind} file{'' if count == 1 else 's'}"


def _read_manifest(path: Path) -> dict[str, list[str]]:
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError:
        return {}  # damaged: every copy is made again
    return manifest if isinstance(manifest, dict) else {}


class CacheUnwritable(OSError):
    """The Parquet copies cannot be written where they go."""


class ExportUnreadable(ValueError):
    """An export file cannot be read (cut short by an interrupted copy, or not an export)."""


def _file_key(path: Path) -> str:
    status = path.stat()
    return f"{path.resolve()}:{status.st_size}:{status.st_mtime_ns}"


def _struct_literal(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"


# Where a copy of the export keeps its Parquet copies (beside hits/, ignored by the globs).
CACHE_FOLDER = ".lambdactr-cache"


def duckdb_report(
    export_dir: Path,
    query: ReportQuery,
    threads: int | None = None,
    *,
    cache: bool = True,
    progress: Progress = lambda stage: None,
) -> Report:
    files = data_files(export_dir)
    if not files:
        raise NoExportData(
            f"no export data files (*/AWSDynamoDB/data/*.json.gz) under {export_dir}"
        )
    cache_dir = export_dir / CACHE_FOLDER if cache else None
    try:
        return _report(files, query, threads, cache_dir, progress)
    except duckdb.Error as error:
        if cache_dir is None or str(cache_dir) not in str(error):
            raise
        # A Parquet copy that cannot be read (damaged on disk): made again from the JSON.
        shutil.rmtree(cache_dir, ignore_errors=True)
        return _report(files, query, threads, cache_dir, progress)


def _report(
    files: list[Path],
    query: ReportQuery,
    threads: int | None,
    cache_dir: Path | None,
    progress: Progress,
) -> Report:
    notes = []
    try:
        engine = DuckDBEngine(files, threads, cache_dir, progress)
    except OSError as error:
        # A copy of the export on read-only storage still gets its report, from the JSON.
        notes.append(
            f"Could not keep the export's records as Parquet in {cache_dir} ({error}): "
            "every report over this copy reads the JSON again, several times slower."
        )
        engine = DuckDBEngine(files, threads)
    progress(f"counting the hits of {_files(len(files), 'export')}")
    try:
        report = sql_report(engine, query)
    except duckdb.IOException as error:
        if cache_dir is not None and str(cache_dir) in str(error):
            raise
        raise ExportUnreadable(str(error)) from error
    finally:
        engine.close()
    report.footer.extend(notes)
    return report


def export_coverage(export_dir: Path) -> Coverage:
    """Which days the copy holds. A copy made without the manifests is taken to hold every day
    it has data for."""
    keys = [str(path) for path in (*export_dir.rglob(MANIFEST_SUMMARY), *data_files(export_dir))]
    coverage = coverage_of(keys, is_full_export=_is_full_export)
    if coverage.last_day is None:
        return Coverage(frozenset(partitions(export_dir)), None)
    return coverage


def _is_full_export(manifest: str) -> bool:
    # `export --to-dir` writes a full export's summary beside its data, as DynamoDB does.
    summary = json.loads(Path(manifest).read_text(encoding="utf-8"))
    return bool(summary.get("exportType") == "FULL_EXPORT")
