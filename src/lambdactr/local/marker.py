"""The running server's marker: where `lambdactr serve` tells other commands its table lives.

While `lambdactr serve` runs, its table lives only in its memory. It leaves a marker in the
state directory so that `lambdactr invoke` writes to that table rather than to the saved copy,
which the server would overwrite when it stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from ..function.config import default_salts_table
from .state import write_atomically

_MARKER_NAME = "serve.json"


class RunningServe(NamedTuple):
    pid: int
    endpoint: str
    table: str
    salts_table: str


def write_serve_marker(state_dir: Path, endpoint: str, table: str, salts_table: str) -> Path:
    marker = state_dir / _MARKER_NAME
    record = {"pid": os.getpid(), "endpoint": endpoint, "table": table, "salts_table": salts_table}
    write_atomically(marker, json.dumps(record) + "\n")
    return marker


def remove_serve_marker(state_dir: Path) -> None:
    marker = state_dir / _MARKER_NAME
    with contextlib.suppress(OSError, ValueError):
        if json.loads(marker.read_text(encoding="utf-8")).get("pid") == os.getpid():
            marker.unlink()


def running_serve(state_dir: Path) -> RunningServe | None:
    """The `lambdactr serve` that keeps its tables in `state_dir`, if one runs."""
    try:
        marker = json.loads((state_dir / _MARKER_NAME).read_text(encoding="utf-8"))
        pid, endpoint, table = int(marker["pid"]), str(marker["endpoint"]), str(marker["table"])
        salts_table = str(marker.get("salts_table") or default_salts_table(table))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if pid == os.getpid() or not _alive(pid) or not _accepting(endpoint):
        # A marker left by a killed server: its pid may since belong to anything else.
        return None
    return RunningServe(pid, endpoint, table, salts_table)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _accepting(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 1):
            return True
    except OSError:
        return False
