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

from ..aws import add_dynamodb_options, dynamodb_client
from ..function.store import FALLBACK_REGION, error_code
from .aggregate import aggregate
from .classify import Classifier
from .engines import SCAN_ENGINE, EngineError, add_engine_arguments, engine_report
from .model import Report, top_rows
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
STACK_OUTPUT = "TableName"
# Without an estimate of the table's size (DescribeTable denied), a few workers still hide most
# of each page's round trip.
FALLBACK_SEGMENTS = 4
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
        help=f"read the table name from this CloudFormation stack's {STACK_OUTPUT} output "
        "(instead of --table)",
    )
    add_engine_arguments(source)
    source.add_argument(
        "--segments",
        type=int,
        metavar="N",
        help="parallel Scan segments (default: from the table's size, 1 to 16)",
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
    errors = Console(stderr=True)
    try:
        if args.top is not None and args.top < 1:
            raise QueryError("--top must be at least 1")
        query = build_query(args, utc_today())
        if args.engine != SCAN_ENGINE:
            report = engine_report(args, query, errors)
        else:
            client = dynamodb_client(args)
            table = stack_table_name(args) if args.stack else args.table
            report = read_report(
                client, table, query, segments=args.segments, progress_console=errors
            )
    except (QueryError, ReportError, EngineError) as error:
        print(f"lambdactr report: {error}", file=sys.stderr)
        return 2 if isinstance(error, QueryError) else 1

    top = args.top if args.top is not None else (20 if args.format in ("table", "html") else None)
    report = top_rows(report, top)
    if args.format != "table" or args.output:
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for note in report.footer:
            print(note, file=sys.stderr)
    write(report, args.format, args.output)
    return 0


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
        segments = size.segments if size else FALLBACK_SEGMENTS
    progress = _ScanProgress(size.items if size else 0, progress_console)
    try:
        items = scan_items(client, table, query, segments, progress.advance)
        return aggregate(items, query, Classifier())
    except ClientError as error:
        raise ReportError(_explain(error, table)) from error
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
    except BotoCoreError as error:
        raise ReportError(str(error)) from error


def _explain(error: ClientError, table: str) -> str:
    if error_code(error) == "ResourceNotFoundException":
        return f"no table {table!r} here (check --table, --stack, --endpoint-url and --region)"
    return f"reading {table!r}: {error}"


def stack_table_name(args: argparse.Namespace) -> str:
    import boto3

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    cloudformation = session.client(
        "cloudformation", region_name=session.region_name or FALLBACK_REGION
    )
    try:
        stacks = cloudformation.describe_stacks(StackName=args.stack)["Stacks"]
    except ClientError as error:
        raise ReportError(f"stack {args.stack!r}: {error}") from error
    except BotoCoreError as error:
        raise ReportError(str(error)) from error
    outputs = {
        output.get("OutputKey"): output.get("OutputValue")
        for stack in stacks
        for output in stack.get("Outputs", [])
    }
    name = outputs.get(STACK_OUTPUT)
    if not name:
        found = ", ".join(sorted(key for key in outputs if key)) or "none"
        raise ReportError(f"stack {args.stack!r} has no {STACK_OUTPUT} output (outputs: {found})")
    return name


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
