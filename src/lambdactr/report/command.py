"""`lambdactr report`: read the table, count, and print or write the report."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ..aws import (
    UNREACHABLE_ERRORS,
    add_dynamodb_options,
    dynamodb_client,
    has_credentials,
    names_a_table,
    unreachable_message,
)
from ..function.store import FALLBACK_REGION, error_code
from ..local.runtime import LocalError, add_local_options, describe_local_table, open_database
from ..stack import TABLE_OUTPUT, StackError, read_stack
from . import counters
from .aggregate import aggregate
from .classify import Classifier
from .engines import SCAN_ENGINE, EngineError, add_engine_arguments, engine_report
from .model import Report, printable, top_rows
from .query import DEFAULT_SINCE, QueryError, ReportQuery, normalize_site_pattern, parse_day
from .render_csv import render_csv
from .render_html import render_html
from .render_json import render_json
from .render_table import render_table
from .scan import TableSize, scan_items, table_size

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

HELP = "pageviews, visitors, pages, referrers, browsers and countries, from the hits table"
FORMATS = ("table", "json", "csv", "html")
# Parallel Scan segments for a table of any size: `make bench` (benchmarks/scan_bench.py) on
# DynamoDB Local put this within 1.2x of the best of 1, 2, 4, 8 and 16 segments for both 1,000
# and 100,000 items. DescribeTable's TableSizeBytes cannot choose it: it is 0 on a new table and
# on emulators, and refreshed only every six hours. Larger tables get more (TableSize.segments).
DEFAULT_SEGMENTS = 8
# A scan that ends sooner than this shows no progress bar at all.
PROGRESS_DELAY_SECONDS = 1.0


class ReportError(Exception):
    """Something the operator can fix: a missing table or stack, no credentials, a bad flag."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dynamodb_options(parser)
    source = parser.add_argument_group("where to read")
    source.add_argument(
        "--stack",
        metavar="NAME",
        help=f"read the table name from this CloudFormation stack's {TABLE_OUTPUT} output "
        "(instead of --table)",
    )
    add_local_options(source)
    add_engine_arguments(source)
    source.add_argument(
        "--segments",
        type=int,
        metavar="N",
        help=f"parallel Scan segments (default: {DEFAULT_SEGMENTS}, more for a table over"
        " 512 MB, at most 16)",
    )
    filters = parser.add_argument_group("filters (days are UTC and inclusive)")
    filters.add_argument("--site", help="a host (blog.example.org) or *.example.org for subdomains")
    filters.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        help="first day: an ISO date (2026-11-01) or Nd for the last N days (default: %(default)s)",
    )
    filters.add_argument("--until", default="today", help="last day (default: today)")
    filters.add_argument("--path", metavar="PREFIX", help="only paths that start with PREFIX")
    filters.add_argument(
        "--include-bots",
        action="store_true",
        help="count bots and speculative (prefetch, prerender) hits too",
    )
    parser.add_argument(
        "--counters",
        action="store_true",
        help="list the /c.svg badge counters (all-time views) by site and path instead "
        "(--site, --path and --top apply; table, json or csv)",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--format", choices=FORMATS, default="table", help="(default: table)")
    output.add_argument("--output", "-o", metavar="FILE", type=Path, help="write here, not stdout")
    output.add_argument(
        "--top",
        type=int,
        metavar="N",
        help="rows per breakdown (default: 20 for table and html, all for json and csv)",
    )


def run(args: argparse.Namespace) -> int:
    if args.counters:
        return run_counters(args)
    errors = Console(stderr=True)
    try:
        if args.top is not None and args.top < 1:
            raise QueryError("--top must be at least 1")
        query = build_query(args, utc_today())
        if args.engine != SCAN_ENGINE:
            report = engine_report(args, query, errors)
        elif (local := reads_local_table(args)) is not None:
            report = _read_local_report(args, query, errors, local)
        else:
            client = dynamodb_client(args)
            table = stack_table_name(args) if args.stack else args.table
            report = read_report(
                client, table, query, segments=args.segments, progress_console=errors
            )
    except (QueryError, ReportError, LocalError, EngineError) as error:
        print(f"lambdactr report: {error}", file=sys.stderr)
        return 2 if isinstance(error, QueryError) else 1

    top = args.top if args.top is not None else (20 if args.format in ("table", "html") else None)
    report = top_rows(report, top)
    if args.format != "table" or args.output:
        for warning in printable(report).warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for note in report.footer:
            print(note, file=sys.stderr)
    write(report, args.format, args.output)
    return 0


def run_counters(args: argparse.Namespace) -> int:
    try:
        if args.format not in counters.FORMATS:
            raise QueryError(f"--counters prints {', '.join(counters.FORMATS)}, not {args.format}")
        if args.top is not None and args.top < 1:
            raise QueryError("--top must be at least 1")
        site = normalize_site_pattern(args.site) if args.site else None
        local = reads_local_table(args)
        if local is not None:
            with open_database(args, db_port=0, share_running_serve=True) as database:
                print(f"lambdactr report: {describe_local_table(database)}", file=sys.stderr)
                found = _scan_counters(database.client, database.table)
        else:
            table = stack_table_name(args) if args.stack else args.table
            found = _scan_counters(dynamodb_client(args), table)
    except (QueryError, ReportError, LocalError) as error:
        print(f"lambdactr report: {error}", file=sys.stderr)
        return 2 if isinstance(error, QueryError) else 1
    chosen = counters.select(found, site, _path_prefix(args.path), args.top)
    if args.format == "table":
        if args.output is None:
            counters.render_table(chosen, Console())
        else:
            with args.output.open("w", encoding="utf-8") as file:
                counters.render_table(chosen, Console(file=file, width=120, color_system=None))
        return 0
    text = counters.render(chosen, args.format)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8", newline="")
    return 0


def _scan_counters(client: DynamoDBClient, table: str) -> list[counters.PageCounter]:
    try:
        return counters.scan_counters(client, table)
    except ClientError as error:
        raise ReportError(_explain(error, table)) from error
    except BotoCoreError as error:
        raise ReportError(str(error)) from error


# Why the local table is read, as said on stderr; None when it is not.
LOCAL_BY_FLAG = "--local"
LOCAL_WITHOUT_CREDENTIALS = "no AWS credentials"


def reads_local_table(args: argparse.Namespace) -> str | None:
    """--local, or nothing chosen on a machine without AWS credentials: `lambdactr serve`'s table.

    A table, stack, endpoint or profile given by flag or environment always wins.
    """
    if args.local:
        return LOCAL_BY_FLAG
    if names_a_table(args, extra=("stack",)):
        return None
    import boto3

    if has_credentials(boto3.Session(region_name=args.region)):
        return None
    return LOCAL_WITHOUT_CREDENTIALS


def _read_local_report(
    args: argparse.Namespace, query: ReportQuery, errors: Console, why: str
) -> Report:
    with open_database(args, db_port=0, share_running_serve=True) as database:
        where = describe_local_table(database)
        if why == LOCAL_WITHOUT_CREDENTIALS:
            # One line, so that a first run without AWS says what it did and how to change it.
            print(
                f"lambdactr report: {why}, so reading the local {where}"
                " (--table, --stack or --endpoint-url read another)",
                file=sys.stderr,
            )
        else:
            print(f"lambdactr report: {where}", file=sys.stderr)
        return read_report(
            database.client,
            database.table,
            query,
            segments=args.segments,
            progress_console=errors,
        )


def utc_today() -> date:
    return datetime.now(UTC).date()


def build_query(args: argparse.Namespace, today: date) -> ReportQuery:
    return ReportQuery(
        since=parse_day(args.since, today),
        until=parse_day(args.until, today),
        site=normalize_site_pattern(args.site) if args.site else None,
        path_prefix=_path_prefix(args.path),
        include_bots=args.include_bots,
    )


def _path_prefix(raw: str | None) -> str | None:
    if not raw:
        return None
    return raw if raw.startswith("/") else "/" + raw


def read_report(
    client: DynamoDBClient,
    table: str,
    query: ReportQuery,
    *,
    segments: int | None = None,
    progress_console: Console | None = None,
) -> Report:
    """Scan `table` through `client` and count what `query` asks for."""
    if segments is not None and segments < 1:
        raise QueryError("--segments must be at least 1")
    size = _table_size(client, table)
    if segments is None:
        segments = max(DEFAULT_SEGMENTS, size.segments if size else 1)
    progress = _ScanProgress(size.items if size else 0, progress_console)
    try:
        items = scan_items(client, table, query, segments, progress.advance)
        return aggregate(items, query, Classifier())
    except ClientError as error:
        raise ReportError(_explain(error, table)) from error
    except UNREACHABLE_ERRORS as error:
        raise ReportError(unreachable_message(client, error)) from error
    except BotoCoreError as error:
        raise ReportError(str(error)) from error
    finally:
        progress.close()


def _table_size(client: DynamoDBClient, table: str) -> TableSize | None:
    try:
        return table_size(client, table)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise ReportError(_explain(error, table)) from error
        # Allowed to Scan but not to DescribeTable: go on without the estimate.
        return None
    except UNREACHABLE_ERRORS as error:
        raise ReportError(unreachable_message(client, error)) from error
    except BotoCoreError as error:
        raise ReportError(str(error)) from error


def _explain(error: ClientError, table: str) -> str:
    if error_code(error) == "ResourceNotFoundException":
        return f"no table {table!r} here (check --table, --stack, --endpoint-url and --region)"
    return f"reading {table!r}: {error}"


def stack_table_name(args: argparse.Namespace) -> str:
    import boto3

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    try:
        return read_stack(session, args.stack, session.region_name or FALLBACK_REGION).table_name
    except StackError as error:
        raise ReportError(str(error)) from error


def write(report: Report, output_format: str, output: Path | None) -> None:
    if output_format == "table":
        if output is None:
            render_table(report, Console())
            return
        with output.open("w", encoding="utf-8") as file:
            render_table(report, Console(file=file, width=120, color_system=None))
        return
    render: Callable[[Report], str] = {
        "json": render_json,
        "csv": render_csv,
        "html": render_html,
    }[output_format]
    text = render(report)
    if output is None:
        sys.stdout.write(text)
    else:
        # CSV keeps its own \r\n line ends; nothing else is translated either.
        output.write_text(text, encoding="utf-8", newline="")


class _ScanProgress:
    """A progress bar on stderr that appears only once a scan has taken more than a moment."""

    def __init__(self, total_estimate: int, console: Console | None) -> None:
        self._progress: Progress | None = None
        self._shown = False
        self._started = time.monotonic()
        if console is not None and console.is_terminal:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("scanning"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("items"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._task = self._progress.add_task("scan", total=total_estimate or None)

    def advance(self, scanned: int) -> None:
        if self._progress is None:
            return
        self._progress.update(self._task, advance=scanned)
        if not self._shown and time.monotonic() - self._started >= PROGRESS_DELAY_SECONDS:
            self._progress.start()
            self._shown = True

    def close(self) -> None:
        if self._progress is not None and self._shown:
            self._progress.stop()
