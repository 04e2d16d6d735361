"""`lambdactr replay`: store the hits the Lambda logged when DynamoDB refused them.

When a write fails, the handler logs the complete item under `unsaved_hit` in a record whose
`message` is "hit not stored". Replay takes items from such records only, checks each against the
item schema (`lambdactr.function.item.checked_hit`, which also runs every string through the
handler's `clean`), and writes it with its original key under the condition
`attribute_not_exists(pk)`: a hit already in the table is skipped, never written twice, so
replaying the same log again (or overlapping exports) is safe.

It reads:
- CloudWatch Logs itself, with `--stack NAME --since 1d` (FilterLogEvents on the function's log
  group, found from the stack);
- CloudWatch Logs lines, one JSON object a line, bare or inside Lambda's JSON log wrapper (whose
  `message` may hold the object or its text);
- the same lines behind a timestamp, stream name or request id, as `aws logs tail` and S3
  exports print them;
- whole JSON documents such as the output of `aws logs filter-log-events`;
- stdout captured from `lambdactr serve`, where the lines that are not JSON are skipped.

A record is never taken from inside another value (an `exception` text, say), and serve's access
log percent-encodes what a client sent, so no request can pose as the handler's record.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from .aws import add_dynamodb_options, dynamodb_client, operator_client
from .function.config import Config
from .function.item import (
    UNSAVED_KEY,
    UNSAVED_MESSAGE,
    InvalidItem,
    PlainItem,
    checked_hit,
    to_dynamodb,
)
from .function.store import FALLBACK_REGION, error_code
from .local.runtime import LocalError, add_local_options, describe_local_table, open_database
from .stack import StackError, function_log_group, read_stack

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

HELP = "store the hits that DynamoDB refused, from the Lambda's logs"
STDIN = "-"
RETENTION_PARAMETER = "RetentionDays"
# An unreachable DynamoDB fails every write, each after the client's retries: after this many
# connection failures in a row, replay stops rather than spend hours failing the rest.
MAX_CONNECTION_FAILURES = 3
# What CloudWatch Logs is asked for: the handler's message, as a phrase. Replay checks the rest.
LOG_FILTER_PATTERN = f'"{UNSAVED_MESSAGE}"'
DEFAULT_SINCE = "1d"
_SINCE = re.compile(r"(\d{1,5})([dhm])")
_SINCE_UNITS = {"d": "days", "h": "hours", "m": "minutes"}

# Log wrappers nest the handler's record a level or two deep; nothing real goes deeper.
_MAX_DEPTH = 6
# Where a record can sit inside another: Lambda's JSON wrapper (`message`) and the documents of
# `aws logs filter-log-events` and `get-log-events` (`events`, each with a `message`). Never an
# `exception`, a `stack_trace` or any other field.
_WRAPPER_KEYS = ("message", "events")
# A prefix (timestamp, stream, request id) rarely holds a brace; a hostile line may hold many.
_MAX_JSON_STARTS = 8
_DECODER = json.JSONDecoder()
# The record's key as a JSON field name, bare or inside a JSON string, rather than a mention.
_UNSAVED_FIELD = re.compile(r'"unsaved_hit\\?"\s*:')
# What a line that looks like the record but holds no readable JSON yields, to be counted as
# failed (a line cut short) rather than silently dropped.
UNREADABLE = object()


class ReplayError(Exception):
    """Something the operator can fix: no logs given, a stack that cannot be read."""


@dataclass
class Tally:
    wrote: int = 0
    skipped: int = 0
    failed: int = 0
    not_tried: int = 0
    # Connection failures since the last write DynamoDB answered.
    connection_failures: int = 0

    @property
    def stopped(self) -> bool:
        return self.connection_failures >= MAX_CONNECTION_FAILURES

    def summary(self) -> str:
        counts = f"wrote {self.wrote}, skipped {self.skipped} (already stored)"
        counts += f", failed {self.failed}"
        return counts + (f", not tried {self.not_tried}" if self.not_tried else "")


@dataclass(frozen=True, slots=True)
class Found:
    source: str
    line: int
    value: Any

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "logfiles",
        nargs="*",
        metavar="LOGFILE",
        help="CloudWatch Logs export or captured `lambdactr serve` output; - reads stdin",
    )
    add_dynamodb_options(parser)
    logs = parser.add_argument_group("reading CloudWatch Logs instead of files")
    logs.add_argument(
        "--stack",
        metavar="NAME",
        help="read the unsaved hits from this stack's function log, and write them to its table",
    )
    logs.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        help="with --stack: how far back, as Nd, Nh or Nm, or an ISO date or time "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--retention-days",
        type=int,
        metavar="N",
        help="the stack's RetentionDays: no hit's ttl lies further ahead of it "
        "(default: the stack's, else $RETENTION_DAYS, else 400)",
    )
    add_local_options(parser)


def run(args: argparse.Namespace) -> int:
    try:
        if not args.logfiles and not args.stack:
            raise ReplayError("give log files (or - for stdin), or --stack NAME")
        if args.logfiles and args.stack:
            raise ReplayError("give either log files or --stack, not both")
        if args.local and args.stack:
            raise ReplayError("--local writes into the local table; --stack names a deployed one")
        if args.retention_days is not None and args.retention_days < 1:
            raise ReplayError("--retention-days must be at least 1")
        retention_days = args.retention_days or _default_retention_days()
        if args.stack:
            logs, table, stack_retention = _stack_logs(args)
            retention_days = args.retention_days or stack_retention or retention_days
        else:
            logs, table = _file_logs(args.logfiles), args.table
    except ReplayError as error:
        print(f"replay: {error}", file=sys.stderr)
        return 2
    if not args.local:
        return replay_into(dynamodb_client(args), table, logs, retention_days)
    # The local table, as `lambdactr invoke` finds it: a running serve's, or the saved one,
    # which is saved again afterwards.
    try:
        with open_database(args, db_port=0, share_running_serve=True) as database:
            print(f"replay: {describe_local_table(database)}", file=sys.stderr)
            status = replay_into(database.client, database.table, logs, retention_days)
            database.save()
    except LocalError as error:
        print(f"replay: {error}", file=sys.stderr)
        return 1
    return status


def replay_into(
    client: DynamoDBClient, table: str, logs: Iterable[Found], retention_days: int
) -> int:
    """Store each logged hit that passes the item schema; print the tally; the exit status."""
    tally = Tally()
    unreadable = 0
    found_any = False
    try:
        for found in logs:
            if found is _UNREADABLE_SOURCE:
                unreadable += 1
                continue
            found_any = True
            if tally.stopped:
                tally.not_tried += 1
                continue
            replay_one(client, table, found, tally, retention_days)
    except ReplayError as error:
        print(f"replay: {error}", file=sys.stderr)
        unreadable += 1
    if tally.stopped:
        endpoint = client.meta.endpoint_url
        print(
            f"replay: stopped after {MAX_CONNECTION_FAILURES} connection failures in a row: "
            f"DynamoDB at {endpoint} is unreachable; {tally.not_tried} hits not tried. "
            "Run the same command again once it is back.",
            file=sys.stderr,
        )
    if not found_any and not unreadable:
        print(f"replay: no {UNSAVED_KEY} found in the logs given", file=sys.stderr)
    print(tally.summary())
    return 1 if tally.failed or tally.not_tried or unreadable else 0


# Yielded in place of a Found for a log file that cannot be read.
_UNREADABLE_SOURCE = Found("", 0, None)


def _file_logs(names: list[str]) -> Iterator[Found]:
    for name in names:
        try:
            text = read_log(name)
        except OSError as error:
            print(f"replay: cannot read {name}: {error.strerror or error}", file=sys.stderr)
            yield _UNREADABLE_SOURCE
            continue
        yield from unsaved_hits(text, source=name)


def _default_retention_days() -> int:
    """$RETENTION_DAYS as the Lambda reads it, or the Lambda's default."""
    try:
        return Config.from_env({"RETENTION_DAYS": os.environ["RETENTION_DAYS"]}).retention_days
    except (KeyError, ValueError):
        return Config().retention_days


def _stack_logs(args: argparse.Namespace) -> tuple[Iterator[Found], str, int | None]:
    """The unsaved hits in the stack's function log since `--since`, its table and retention."""
    import boto3

    start = parse_since(args.since, datetime.now(UTC))
    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    region = session.region_name or FALLBACK_REGION
    try:
        stack = read_stack(session, args.stack, region)
        table = stack.table_name
        log_group = function_log_group(session, args.stack, region)
    except StackError as error:
        raise ReplayError(str(error)) from error
    try:
        retention: int | None = int(stack.parameters.get(RETENTION_PARAMETER, ""))
    except ValueError:
        retention = None
    logs = operator_client(session, "logs", region)
    return _log_group_hits(logs, log_group, start), table, retention


def _log_group_hits(logs: Any, log_group: str, start: datetime) -> Iterator[Found]:
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=log_group,
        startTime=int(start.timestamp() * 1000),
        filterPattern=LOG_FILTER_PATTERN,
    )
    try:
        for page in pages:
            for event in page.get("events", []):
                source = f"{log_group}:{event.get('logStreamName', '?')}"
                for found in unsaved_hits(str(event.get("message", "")), source=source):
                    yield Found(f"{source}@{event.get('timestamp', '?')}", 0, found.value)
    except ClientError as error:
        raise ReplayError(f"reading {log_group}: {error}") from error
    except BotoCoreError as error:
        raise ReplayError(f"reading {log_group}: {error}") from error


def parse_since(raw: str, now: datetime) -> datetime:
    """`Nd`, `Nh` or `Nm` before `now`, or an ISO date (UTC midnight) or time."""
    text = raw.strip().lower()
    relative = _SINCE.fullmatch(text)
    if relative:
        amount, unit = int(relative.group(1)), _SINCE_UNITS[relative.group(2)]
        return now - timedelta(**{unit: amount})
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ReplayError(f"--since {raw!r} is neither a span (1d, 12h) nor an ISO date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_log(name: str) -> str:
    # A log can hold bytes that are not UTF-8; they can never be part of an item worth keeping.
    data = sys.stdin.buffer.read() if name == STDIN else Path(name).read_bytes()
    return data.decode("utf-8", "replace")


def unsaved_hits(text: str, source: str = STDIN) -> Iterator[Found]:
    """Every item the handler logged as not stored, in order, with where it was found.

    A line that looks like the handler's record but holds no readable JSON (cut short, say)
    yields UNREADABLE, so that the hit it held is counted as failed rather than dropped.
    """
    if UNSAVED_KEY not in text:
        return
    document = _whole_document(text)
    if document is not None:
        for value in _records(document, 0):
            yield Found(source, 0, value)
        return
    # Only "\n" ends a line: the logger writes U+2028, U+0085 and the like inside values as is,
    # where str.splitlines would cut the JSON in two.
    for number, line in enumerate(text.split("\n"), start=1):
        if UNSAVED_KEY not in line:
            continue
        parsed = _json_in(line)
        values = list(_records(parsed, 0))
        if not values and parsed is None and _looks_like_record(line):
            values = [UNREADABLE]
        for value in values:
            yield Found(source, number, value)


def _looks_like_record(line: str) -> bool:
    return UNSAVED_MESSAGE in line and _UNSAVED_FIELD.search(line) is not None


def _whole_document(text: str) -> Any:
    """The log as one JSON value, when it is one (an `aws logs` command's output)."""
    if text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _json_in(line: str) -> Any:
    """The JSON object a line holds, after whatever prefix the export put in front of it."""
    start = line.find("{")
    for _ in range(_MAX_JSON_STARTS):
        if start < 0:
            return None
        try:
            value, _end = _DECODER.raw_decode(line, start)
        except json.JSONDecodeError:
            start = line.find("{", start + 1)
            continue
        return value
    return None


def _records(value: Any, depth: int) -> Iterator[Any]:
    """The items of the handler's own records in `value`, looking only where a wrapper puts one."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        if value.get("message") == UNSAVED_MESSAGE and UNSAVED_KEY in value:
            yield value[UNSAVED_KEY]
            return
        for key in _WRAPPER_KEYS:
            if key in value:
                yield from _records(value[key], depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _records(child, depth + 1)
    elif isinstance(value, str) and UNSAVED_KEY in value:
        # A wrapper's `message`, or an event's text in an `aws logs` document.
        yield from _records(_json_in(value), depth + 1)


def validate(value: Any, retention_days: int | None = None) -> PlainItem:
    """The logged value as an item, if it is one the handler could have written."""
    if value is UNREADABLE:
        raise InvalidItem("the line holds the key but no readable JSON (cut short?)")
    return checked_hit(value, retention_days or Config().retention_days)


def replay_one(
    client: DynamoDBClient,
    table: str,
    found: Found,
    tally: Tally,
    retention_days: int | None = None,
) -> None:
    try:
        item = validate(found.value, retention_days)
    except InvalidItem as error:
        print(f"replay: {found.where}: not replayed: {error}", file=sys.stderr)
        tally.failed += 1
        return
    try:
        client.put_item(
            TableName=table,
            Item=to_dynamodb(item),
            ConditionExpression="attribute_not_exists(pk)",
        )
    except ClientError as error:
        tally.connection_failures = 0
        code = error_code(error)
        if code == "ConditionalCheckFailedException":
            tally.skipped += 1
            return
        print(f"replay: {found.where}: pk {item['pk']}: {code or error}", file=sys.stderr)
        tally.failed += 1
    except BotoCoreError as error:
        if isinstance(error, BotoConnectionError | HTTPClientError):
            tally.connection_failures += 1
        print(f"replay: {found.where}: pk {item['pk']}: {error}", file=sys.stderr)
        tally.failed += 1
    else:
        tally.connection_failures = 0
        tally.wrote += 1
