"""The local DynamoDB: moto's server in this process, its table, and the table's saved state.

moto keeps tables in memory only, so the table is saved as DynamoDB JSON (the shape the AWS
CLI prints, binary values in base64) when the server stops, and written back when it starts.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from werkzeug.serving import BaseWSGIServer

STATE_FORMAT = "lambdactr-dynamodb-state"
STATE_VERSION = 1
# DynamoDB takes at most 25 items per BatchWriteItem.
_BATCH_SIZE = 25
_MARKER_NAME = "serve.json"


class StateError(Exception):
    """The saved table cannot be read; starting anyway would overwrite it on the next save."""


class EmbeddedDynamoDB:
    """moto's DynamoDB, served over HTTP from a thread of this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000) -> None:
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the embedded DynamoDB is not running")
        return f"http://{self._host}:{self._server.server_address[1]}"

    def start(self) -> str:
        """Bind (an OSError names the port in use), serve from a daemon thread, return the URL."""
        # Where moto's own ThreadedMotoServer takes them from; imported late, as moto is heavy.
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietRequestHandler(MotoRequestHandler):
            # One stderr line per DynamoDB call would bury the counter's own access log.
            def log_request(self, *args: object, **kwargs: object) -> None:
                pass

        # Bound here rather than by werkzeug, which answers a busy port with sys.exit().
        listener = socket.create_server((self._host, self._port), backlog=128)
        try:
            self._server = make_server(
                self._host,
                listener.getsockname()[1],
                DomainDispatcherApplication(create_backend_app),
                threaded=True,
                request_handler=QuietRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()
        server = self._server
        self._thread = threading.Thread(
            # A short poll keeps stop() quick: `lambdactr invoke` stops it after every call.
            target=lambda: server.serve_forever(poll_interval=0.05),
            name="embedded-dynamodb",
            daemon=True,
        )
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None


def ensure_table(client: DynamoDBClient, table: str) -> bool:
    """Create the table as the template does (hash key pk, on demand, TTL on ttl) if missing."""
    try:
        client.describe_table(TableName=table)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
    else:
        return False
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(
        TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    client.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    return True


def state_file(state_dir: Path, table: str) -> Path:
    return state_dir / f"{table}.json"


def save_table(client: DynamoDBClient, table: str, path: Path) -> int:
    """Write every item of the table to `path` atomically; return how many were written."""
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(_encode_binary(item) for item in page.get("Items", []))
    state = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "table": table,
        "savedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": items,
    }
    _write_atomically(path, json.dumps(state, separators=(",", ":")) + "\n")
    return len(items)


def load_table(client: DynamoDBClient, table: str, path: Path) -> int:
    """Put every item saved in `path` back into the table; return how many (0 with no file)."""
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
        items = [_decode_binary(item) for item in state["items"]]
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


def _write_atomically(path: Path, text: str) -> None:
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
    if isinstance(value, Mapping):
        encoded: dict[str, Any] = {}
        for key, inner in value.items():
            if key == "B":
                encoded[key] = base64.b64encode(bytes(inner)).decode("ascii")
            elif key == "BS":
                encoded[key] = [base64.b64encode(bytes(b)).decode("ascii") for b in inner]
            else:
                encoded[key] = _encode_binary(inner)
        return encoded
    if isinstance(value, list):
        return [_encode_binary(inner) for inner in value]
    return value


def _decode_binary(value: Any) -> Any:
    if isinstance(value, Mapping):
        decoded: dict[str, Any] = {}
        for key, inner in value.items():
            if key == "B":
                decoded[key] = base64.b64decode(inner, validate=True)
            elif key == "BS":
                decoded[key] = [base64.b64decode(b, validate=True) for b in inner]
            else:
                decoded[key] = _decode_binary(inner)
        return decoded
    if isinstance(value, list):
        return [_decode_binary(inner) for inner in value]
    return value


# While `lambdactr serve` runs, its table lives only in its memory. It leaves a marker in the
# state directory so that `lambdactr invoke` writes to that table rather than to the saved
# copy, which the server would overwrite when it stops.


def write_serve_marker(state_dir: Path, endpoint: str, table: str) -> Path:
    marker = state_dir / _MARKER_NAME
    _write_atomically(
        marker, json.dumps({"pid": os.getpid(), "endpoint": endpoint, "table": table}) + "\n"
    )
    return marker


def remove_serve_marker(state_dir: Path) -> None:
    marker = state_dir / _MARKER_NAME
    with contextlib.suppress(OSError, ValueError):
        if json.loads(marker.read_text(encoding="utf-8")).get("pid") == os.getpid():
            marker.unlink()


def running_serve(state_dir: Path) -> tuple[int, str, str] | None:
    """(pid, endpoint, table) of a `lambdactr serve` that keeps its table in `state_dir`."""
    try:
        marker = json.loads((state_dir / _MARKER_NAME).read_text(encoding="utf-8"))
        pid, endpoint, table = int(marker["pid"]), str(marker["endpoint"]), str(marker["table"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or not _alive(pid) or not _accepting(endpoint):
        # A marker left by a killed server: its pid may since belong to anything else.
        return None
    return pid, endpoint, table


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _accepting(endpoint: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 1):
            return True
    except OSError:
        return False


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
