"""`lambdactr serve`: the counter on http://127.0.0.1:3000/, with no Docker and no AWS."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from ..aws import add_dynamodb_options
from ..function.config import DEFAULT_TABLE_NAME
from ..snippet import ONE_TAG_NOTE, snippet
from . import marker
from .runtime import (
    DEFAULT_STATE_DIR,
    Database,
    LocalError,
    SerialHandler,
    add_state_dir_option,
    load_handler,
    open_database,
    print_error,
    program_name,
)
from .server import LambdaHttpServer, demo_page

HELP = "run the counter locally: the Lambda's handler behind HTTP, with an embedded DynamoDB"


# A kill -9 or a crash loses at most this many seconds of hits (plus the time a save takes).
AUTOSAVE_SECONDS = 20.0
# A table this long without a change is saved at once.
AUTOSAVE_QUIET_SECONDS = 2.0


class _Stop(Exception):
    """SIGINT, SIGTERM or SIGHUP, raised in the main thread: it leaves serve_forever and saves."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    parser.add_argument("--port", type=int, default=3000, help="port to listen on (%(default)s)")
    parser.add_argument(
        "--db-port",
        type=int,
        default=8000,
        help="port of the embedded DynamoDB, on 127.0.0.1 (%(default)s; 0 picks a free one)",
    )
    parser.add_argument(
        "--autosave",
        type=float,
        default=AUTOSAVE_SECONDS,
        metavar="SECONDS",
        help="save the embedded table by itself at most this long after a change, sooner once"
        " hits pause (%(default)s)",
    )
    add_state_dir_option(parser)
    add_dynamodb_options(parser, salts=True)


def run(args: argparse.Namespace) -> int:
    # One JSON line per metric per hit would bury the access log, and there is no CloudWatch
    # here to read them; set POWERTOOLS_METRICS_DISABLED=false to see them anyway.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    # Log lines (the access log, and the handler's own JSON, such as `unsaved_hit`) must reach a
    # pipe or a file as they happen, so that `lambdactr replay` can read what was captured.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    try:
        with open_database(args, db_port=args.db_port, share_running_serve=False) as database:
            return _serve(args, database)
    except LocalError as error:
        print_error(str(error))
        return 1


def _serve(args: argparse.Namespace, database: Database) -> int:
    handler = SerialHandler(load_handler())
    commands = report_commands(args, database)
    try:
        server = LambdaHttpServer(
            (args.host, args.port),
            handler,
            demo_page=lambda base_url: demo_page(base_url, commands),
        )
    except OSError as error:
        raise LocalError(
            f"cannot listen on {args.host}:{args.port}: {error.strerror}; choose another --port"
        ) from error
    marker_dir = args.state_dir if database.embedded else None
    autosave = _Autosave(database, handler, args.autosave) if database.state_file else None
    status = 0
    try:
        if marker_dir is not None:
            marker.write_serve_marker(
                marker_dir, database.endpoint, database.table, database.salts_table
            )
        _print_banner(args, database, server.port, commands)
        _stop_on_signals()
        if autosave is not None:
            autosave.start()
        with contextlib.suppress(_Stop):
            server.serve_forever()
    finally:
        # A second Ctrl-C must not cut the shutdown short: the save is what it is for.
        for signum in _STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        server.server_close()
        if autosave is not None:
            autosave.stop()
        if database.state_file is not None:
            status = _save(database, handler)
        if marker_dir is not None:
            marker.remove_serve_marker(marker_dir)
    return status


def report_commands(args: argparse.Namespace, database: Database) -> list[str]:
    """Commands that show this server's hits, as they work when pasted."""
    program = program_name()
    if database.embedded is None:
        local = [program, "report", "--endpoint-url", database.endpoint]
    else:
        local = [program, "report", "--local"]
        if args.state_dir != Path(DEFAULT_STATE_DIR):
            local += ["--state-dir", str(args.state_dir)]
    if args.table != DEFAULT_TABLE_NAME:
        local += ["--table", args.table]
    commands = [shlex.join(local)]
    if database.embedded is not None:
        # From another directory too, while the server runs.
        anywhere = program_name(from_anywhere=True)
        commands.append(
            shlex.join(
                [anywhere, "report", "--table", database.table, "--endpoint-url", database.endpoint]
            )
        )
    return commands


def _save(database: Database, handler: SerialHandler) -> int:
    try:
        saved = _save_now(database, handler)
    except Exception as error:
        # The previous state file is still whole: saves replace it in one rename.
        print_error(f"could not save the table to {database.state_file}: {error!r}")
        return 1
    print(f"Saved {saved} items to {database.state_file}.")
    return 0


def _save_now(database: Database, handler: SerialHandler) -> int:
    with handler.lock:
        return database.save()


class _Autosave:
    """Saves the embedded table by itself, so that a kill -9 or a crash loses little.

    A change waits at most `seconds` to be saved, and is saved sooner once the table has been
    quiet for a moment: under a steady stream of hits, a save (which holds the handler back
    while it scans the table) comes only every `seconds`. A change is a call of the handler,
    or another item count (an `invoke` or `replay` sharing this table writes to it directly).
    """

    def __init__(self, database: Database, handler: SerialHandler, seconds: float) -> None:
        self._database = database
        self._handler = handler
        self._longest = max(seconds, 0.1)
        self._quiet = min(AUTOSAVE_QUIET_SECONDS, self._longest / 4)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="autosave", daemon=True)
        self._saved = self._fingerprint()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _fingerprint(self) -> tuple[int, int]:
        table = self._database.client.describe_table(TableName=self._database.table)["Table"]
        return self._handler.calls, int(table.get("ItemCount", 0))

    def _run(self) -> None:
        last, unsaved_since, changed_at = self._saved, 0.0, 0.0
        while not self._stopping.wait(self._quiet):
            try:
                now, at = self._fingerprint(), time.monotonic()
                if now != last:
                    last, changed_at = now, at
                    unsaved_since = unsaved_since or at
                if now == self._saved:
                    unsaved_since = 0.0
                    continue
                if at - changed_at >= self._quiet or at - unsaved_since >= self._longest:
                    _save_now(self._database, self._handler)
                    self._saved, unsaved_since = now, 0.0
            except Exception as error:
                # The previous state file is still whole; the next round tries again.
                print_error(f"autosave to {self._database.state_file} failed: {error!r}")


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop_on_signals() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    # SIGINT too: a shell starts background jobs with SIGINT ignored, and Python then never
    # turns it into KeyboardInterrupt, yet `kill -INT` must still save the table. SIGHUP is a
    # closed terminal.
    for signum in _STOP_SIGNALS:
        signal.signal(signum, stop)


def _print_banner(
    args: argparse.Namespace, database: Database, port: int, commands: list[str]
) -> None:
    shown_host = "127.0.0.1" if args.host in ("", "0.0.0.0", "::") else args.host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    base_url = f"http://{shown_host}:{port}"
    if database.embedded is not None:
        where = (
            f"embedded (moto), {database.loaded} items loaded from {database.state_file}"
            if database.loaded
            else f"embedded (moto), new table; saved to {database.state_file}"
        )
    else:
        where = "yours" + (", table created" if database.created else "")
    lines = [
        f"lambdactr serve: the beacon Lambda on {base_url}/ (open it to count a view)",
        f"  CSS beacon  {base_url}/c.css",
        f"  GIF beacon  {base_url}/c.gif",
        f"  SVG badge   {base_url}/c.svg",
        f"  DynamoDB    {database.endpoint} table {database.table}: {where}",
        f"  Salts       table {database.salts_table}, beside it",
        "",
        "Paste into your pages:",
        f"  {snippet(base_url)}",
        f"  {ONE_TAG_NOTE}",
        f"  `{program_name()} snippet URL --for hugo` (or jekyll, eleventy, zola, astro) adds"
        " each page's path, right in every browser.",
        "",
        "See the hits:",
        *(f"  {command}" for command in commands),
        "",
        (
            "Ctrl-C stops the server and saves the tables; it also saves them by itself within"
            f" {args.autosave:g} s of a new hit."
            if database.embedded is not None
            else "Ctrl-C stops the server."
        ),
        f"Ready: listening on {base_url}/",
    ]
    print("\n".join(lines), flush=True)
