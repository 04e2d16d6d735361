"""`lambdactr replay LOGFILE...`: store the hits the Lambda logged when DynamoDB refused them.

When a write fails, the handler logs the complete item under `unsaved_hit`. Replay finds those
items in whatever the logs were saved as, and writes each one with its original key under the
condition `attribute_not_exists(pk)`: a hit already in the table is skipped, never written twice,
so replaying the same log again (or overlapping exports) is safe.

It reads:
- CloudWatch Logs lines, one JSON object a line, bare or inside Lambda's JSON log wrapper (whose
  `message` may hold the object or its text);
- the same lines behind a timestamp, stream name or request id, as `aws logs tail` and S3
  exports print them;
- whole JSON documents such as the output of `aws logs filter-log-events`;
- stdout captured from `lambdactr serve`, where the lines that are not JSON are skipped.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .aws import add_dynamodb_options, dynamodb_client
from .function.item import MAX_ITEM_BYTES, PlainItem, item_size, to_dynamodb
from .function.store import error_code
from .local.runtime import LocalError, add_local_options, describe_local_table, open_database

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

HELP = "store the hits that DynamoDB refused, from the Lambda's logs"
UNSAVED_KEY = "unsaved_hit"
STDIN = "-"

# The handler's keys are 128 random bits in hex. Anything else (a salt key above all) is not a
# hit, and replay must never create it.
_HIT_KEY = re.compile(r"[0-9a-f]{32}")
# Log wrappers nest the handler's object a level or two deep; nothing real goes deeper.
_MAX_DEPTH = 6
# A prefix (timestamp, stream, request id) rarely holds a brace; a hostile line may hold many.
_MAX_JSON_STARTS = 8
_DECODER = json.JSONDecoder()
# The key as a JSON field name, bare or inside a JSON string, rather than a mere mention of it.
_UNSAVED_FIELD = re.compile(r'"unsaved_hit\\?"\s*:')
# What a line with the key but no readable JSON yields, to be counted as failed.
UNREADABLE = object()


class InvalidItem(ValueError):
    """A logged `unsaved_hit` that is not a hit this counter could have written."""


@dataclass
class Tally:
    wrote: int = 0
    skipped: int = 0
    failed: int = 0

    def summary(self) -> str:
        return f"wrote {self.wrote}, skipped {self.skipped} (already stored), failed {self.failed}"


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
        nargs="+",
        metavar="LOGFILE",
        help="CloudWatch Logs export or captured `lambdactr serve` output; - reads stdin",
    )
    add_dynamodb_options(parser)
    add_local_options(parser)


def run(args: argparse.Namespace) -> int:
    if not args.local:
        return replay_into(dynamodb_client(args), args)
    # The local table, as `lambdactr invoke` finds it: a running serve's, or the saved one,
    # which is saved again afterwards.
    try:
        with open_database(args, db_port=0, share_running_serve=True) as database:
            print(f"replay: {describe_local_table(database)}", file=sys.stderr)
            status = replay_into(database.client, args)
            database.save()
    except LocalError as error:
        print(f"replay: {error}", file=sys.stderr)
        return 1
    return status


def replay_into(client: DynamoDBClient, args: argparse.Namespace) -> int:
    tally = Tally()
    unreadable = 0
    found_any = False
    for name in args.logfiles:
        try:
            text = read_log(name)
        except OSError as error:
            print(f"replay: cannot read {name}: {error.strerror or error}", file=sys.stderr)
            unreadable += 1
            continue
        for found in unsaved_hits(text, source=name):
            found_any = True
            replay_one(client, args.table, found, tally)
    if not found_any and not unreadable:
        print("replay: no unsaved_hit found in the logs given", file=sys.stderr)
    print(tally.summary())
    return 1 if tally.failed or unreadable else 0


def read_log(name: str) -> str:
    # A log can hold bytes that are not UTF-8; they can never be part of an item worth keeping.
    data = sys.stdin.buffer.read() if name == STDIN else Path(name).read_bytes()
    return data.decode("utf-8", "replace")


def unsaved_hits(text: str, source: str = STDIN) -> Iterator[Found]:
    """Every `unsaved_hit` value in a log, in order, with where it was found.

    A line that has the key but no readable JSON (cut short, say) yields UNREADABLE, so that the
    hit it held is counted as failed rather than silently dropped.
    """
    if UNSAVED_KEY not in text:
        return
    document = _whole_document(text)
    if document is not None:
        for value in _find_unsaved(document, 0):
            yield Found(source, 0, value)
        return
    # Only "\n" ends a line: the logger writes U+2028, U+0085 and the like inside values as is,
    # where str.splitlines would cut the JSON in two.
    for number, line in enumerate(text.split("\n"), start=1):
        if UNSAVED_KEY not in line:
            continue
        values = list(_find_unsaved(_json_in(line), 0))
        if not values and _UNSAVED_FIELD.search(line):
            values = [UNREADABLE]
        for value in values:
            yield Found(source, number, value)


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


def _find_unsaved(value: Any, depth: int) -> Iterator[Any]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        if UNSAVED_KEY in value:
            yield value[UNSAVED_KEY]
            return
        for child in value.values():
            yield from _find_unsaved(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _find_unsaved(child, depth + 1)
    elif isinstance(value, str) and UNSAVED_KEY in value:
        # A wrapper's `message`, or an event's text in an `aws logs` document.
        yield from _find_unsaved(_json_in(value), depth + 1)


def validate(value: Any) -> PlainItem:
    """The logged value as an item, if it is one the handler could have written."""
    if value is UNREADABLE:
        raise InvalidItem("the line holds the key but no readable JSON (cut short?)")
    if not isinstance(value, dict):
        raise InvalidItem("not a JSON object")
    pk = value.get("pk")
    if not isinstance(pk, str) or not _HIT_KEY.fullmatch(pk):
        raise InvalidItem(f"pk {pk!r} is not a hit key")
    item: PlainItem = {}
    for name, field in value.items():
        if not isinstance(name, str) or not name or not _valid_value(field):
            raise InvalidItem(f"field {name!r} holds {field!r}, which no hit holds")
        item[name] = field
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise InvalidItem(f"{size} bytes, more than the {MAX_ITEM_BYTES} of any hit")
    return item


def _valid_value(value: Any) -> bool:
    if isinstance(value, bool | int):
        return True
    if isinstance(value, str):
        return _utf8(value)
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and isinstance(v, str) and k and _utf8(k) and _utf8(v)
            for k, v in value.items()
        )
    return False


def _utf8(text: str) -> bool:
    # JSON can spell a lone surrogate ("\udc80"), which DynamoDB would refuse.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def replay_one(client: DynamoDBClient, table: str, found: Found, tally: Tally) -> None:
    try:
        item = validate(found.value)
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
        code = error_code(error)
        if code == "ConditionalCheckFailedException":
            tally.skipped += 1
            return
        print(f"replay: {found.where}: pk {item['pk']}: {code or error}", file=sys.stderr)
        tally.failed += 1
    except BotoCoreError as error:
        print(f"replay: {found.where}: pk {item['pk']}: {error}", file=sys.stderr)
        tally.failed += 1
    else:
        tally.wrote += 1
