"""The local table's saved state: moto keeps tables in memory only, so they live on in a file.

The table is saved as DynamoDB JSON (the shape the AWS CLI prints, binary values in base64)
when the server stops, and written back when it starts. moto has no TTL, so it is emulated here:
an item whose `ttl` has passed (a hit past its retention, a daily salt past its two days) is
left out of both, as DynamoDB's TTL would have deleted it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

STATE_FORMAT = "lambdactr-dynamodb-state"
STATE_VERSION = 1
TTL_ATTRIBUTE = "ttl"
# DynamoDB takes at most 25 items per BatchWriteItem.
_BATCH_SIZE = 25


class StateError(Exception):
    """The saved table cannot be read; starting anyway would overwrite it on the next save."""


def state_file(state_dir: Path, table: str) -> Path:
    return state_dir / f"{table}.json"


def save_table(client: DynamoDBClient, table: str, path: Path, now: float | None = None) -> int:
    """Write every unexpired item of the table to `path` atomically; return how many."""
    now = time.time() if now is None else now
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(
            _encode_binary(item) for item in page.get("Items", []) if not expired(item, now)
        )
    state = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "table": table,
        "savedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": items,
    }
    write_atomically(path, json.dumps(state, separators=(",", ":")) + "\n")
    return len(items)


def load_table(client: DynamoDBClient, table: str, path: Path, now: float | None = None) -> int:
    """Put every unexpired item saved in `path` back; return how many (0 with no file)."""
    now = time.time() if now is None else now
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return 0
    except OSError as error:
        raise StateError(f"cannot read {path}: {error.strerror}") from error
    try:
        state = json.loads(text)
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ValueError("not a lambdactr state file")
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown state version {state.get('version')!r}")
        items = [_decode_binary(item) for item in state["items"] if not expired(item, now)]
    except (ValueError, KeyError, TypeError) as error:
        raise StateError(
            f"{path} is not a table saved by lambdactr ({error}); "
            "move it away to start with an empty table"
        ) from error
    for start in range(0, len(items), _BATCH_SIZE):
        requests: list[Any] = [
            {"PutRequest": {"Item": i}} for i in items[start : start + _BATCH_SIZE]
        ]
        _batch_write(client, table, requests)
    return len(items)


def expired(item: Mapping[str, Any], now: float) -> bool:
    """Whether DynamoDB's TTL would delete `item` by `now`: its `ttl` (epoch seconds) has passed."""
    ttl = item.get(TTL_ATTRIBUTE)
    if not isinstance(ttl, Mapping) or "N" not in ttl:
        return False
    try:
        return float(ttl["N"]) < now
    except (TypeError, ValueError):
        return False


def _batch_write(client: DynamoDBClient, table: str, requests: list[Any]) -> None:
    for attempt in range(10):
        unprocessed = client.batch_write_item(RequestItems={table: requests}).get(
            "UnprocessedItems", {}
        )
        requests = list(unprocessed.get(table, []))
        if not requests:
            return
        time.sleep(min(2.0, 0.05 * 2**attempt))
    raise StateError(f"DynamoDB did not take {len(requests)} saved items back")


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A crash mid-save leaves the previous state whole: the new one replaces it in one rename.
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _encode_binary(value: Any) -> Any:
    """DynamoDB JSON as boto3 returns it, with B and BS values as base64 text."""
    return _map_binary(value, lambda raw: base64.b64encode(bytes(raw)).decode("ascii"))


def _decode_binary(value: Any) -> Any:
    return _map_binary(value, lambda text: base64.b64decode(text, validate=True))


def _map_binary(value: Any, convert: Callable[[Any], Any]) -> Any:
    """`value` with every B and BS attribute value passed through `convert`, at any depth."""
    if isinstance(value, list):
        return [_map_binary(inner, convert) for inner in value]
    if not isinstance(value, Mapping):
        return value
    mapped: dict[str, Any] = {}
    for key, inner in value.items():
        if key == "B":
            mapped[key] = convert(inner)
        elif key == "BS":
            mapped[key] = [convert(each) for each in inner]
        else:
            mapped[key] = _map_binary(inner, convert)
    return mapped


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Let a save finish even when a second Ctrl-C arrives while it runs."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
