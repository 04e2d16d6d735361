"""`report --engine`: which engine counts. `scan` (the default) reads the table; `duckdb` a local
copy of the daily exports; `athena` the exports in the stack's bucket. All give the same JSON.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from ..stack import (
    BUCKET_OUTPUT,
    DATABASE_OUTPUT,
    HITS_TABLE_OUTPUT,
    REFERRERS_TABLE_OUTPUT,
    SIGNATURES_TABLE_OUTPUT,
    WORKGROUP_OUTPUT,
    StackError,
    client,
    session,
    stack_outputs,
)
from .coverage import Coverage
from .model import Report
from .query import ReportQuery

SCAN_ENGINE = "scan"
ENGINES = (SCAN_ENGINE, "duckdb", "athena")


class EngineError(Exception):
    """An engine cannot run as asked (a missing flag, folder, stack output or failed query)."""


def add_engine_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--engine",
        choices=ENGINES,
        default=SCAN_ENGINE,
        help="scan: read the table (default); duckdb: a local copy of the exports "
        "(--export-dir); athena: the exports in the --stack's bucket (Analytics=true)",
    )
    group.add_argument(
        "--export-dir",
        type=Path,
        metavar="DIR",
        help="(--engine duckdb) a copy of the export: `aws s3 sync s3://BUCKET/hits DIR/hits`, "
        "or what `lambdactr export --to-dir DIR` wrote",
    )


def engine_report(args: argparse.Namespace, query: ReportQuery, console: Console) -> Report:
    if args.engine == "duckdb":
        return _duckdb(args, query, console)
    return _athena(args, query, console)


def _duckdb(args: argparse.Namespace, query: ReportQuery, console: Console) -> Report:
    from .duckdb_engine import ExportUnreadable, NoExportData, duckdb_report, export_coverage

    if args.export_dir is None:
        raise EngineError("--engine duckdb reads a copy of the export: give --export-dir DIR")
    try:
        with status_line(console, "DuckDB") as show:
            report = duckdb_report(args.export_dir, query, progress=show)
    except NoExportData as error:
        raise EngineError(str(error)) from error
    except ExportUnreadable as error:
        raise EngineError(
            f"cannot read the export in {args.export_dir}: {error}. A copy cut short (an "
            "interrupted `aws s3 sync`) is made whole by syncing it again."
        ) from error
    coverage = export_coverage(args.export_dir)
    report.footer.append(
        f"Read from the export in {args.export_dir}: data up to {_last(coverage)} (UTC)."
    )
    _warn_of_missing_days(
        report, query, coverage, "sync the copy again, or re-run the day's export in the stack"
    )
    return report


def _athena(args: argparse.Namespace, query: ReportQuery, console: Console) -> Report:
    from .athena_engine import AthenaEngine, AthenaQueryFailed, AthenaTables, export_coverage
    from .relational import sql_report

    if not args.stack:
        raise EngineError("--engine athena reads the exports of a stack: give --stack NAME")
    boto_session = session(args.profile, args.region)
    try:
        outputs = stack_outputs(
            boto_session,
            args.stack,
            (
                WORKGROUP_OUTPUT,
                DATABASE_OUTPUT,
                HITS_TABLE_OUTPUT,
                SIGNATURES_TABLE_OUTPUT,
                REFERRERS_TABLE_OUTPUT,
                BUCKET_OUTPUT,
            ),
        )
    except StackError as error:
        raise EngineError(str(error)) from error
    tables = AthenaTables(
        workgroup=outputs[WORKGROUP_OUTPUT],
        database=outputs[DATABASE_OUTPUT],
        hits=outputs[HITS_TABLE_OUTPUT],
        signatures=outputs[SIGNATURES_TABLE_OUTPUT],
        referrers=outputs[REFERRERS_TABLE_OUTPUT],
        bucket=outputs[BUCKET_OUTPUT],
    )
    s3 = client(boto_session, "s3")
    engine = AthenaEngine(client(boto_session, "athena"), s3, tables)
    try:
        with status_line(console, "Athena") as show:
            engine.progress = lambda state, seconds, scanned: show(
                f"query {len(engine.scanned) + 1} of 2: {state.lower()}, "
                f"{seconds:.0f} s, {scanned / 1e6:,.1f} MB scanned"
            )
            report = sql_report(engine, query)
            coverage = export_coverage(s3, tables.bucket)
    except AthenaQueryFailed as error:
        raise EngineError(str(error)) from error
    except (ClientError, BotoCoreError) as error:
        raise EngineError(f"Athena: {error}") from error
    scanned = sum(engine.scanned)
    report.footer.append(
        f"Athena: {len(engine.scanned)} queries scanned {scanned / 1e6:,.1f} MB, "
        f"about ${engine.cost():.4f}. Data up to {_last(coverage)} (UTC): the last finished export."
    )
    _warn_of_missing_days(report, query, coverage, "re-run the day's export")
    return report


@contextmanager
def status_line(console: Console, engine: str) -> Iterator[Callable[[str], None]]:
    """A one-line status of the engine's work on a terminal (nothing elsewhere): the block is
    given the function that updates it."""
    if not console.is_terminal:
        yield lambda text: None
        return
    with console.status(f"{engine}: starting") as status:
        yield lambda text: status.update(f"{engine}: {text}")


def _last(coverage: Coverage) -> str:
    return coverage.last_day or "no day yet"


def _warn_of_missing_days(report: Report, query: ReportQuery, coverage: Coverage, fix: str) -> None:
    missing = coverage.missing(query)
    if missing:
        days = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        whose = "that day's" if len(missing) == 1 else "those days'"
        report.warnings.append(
            f"no finished export for {days}: this report may lack some or all of {whose} hits. "
            f"To fill the gap, {fix} (README: Missed exports)."
        )
