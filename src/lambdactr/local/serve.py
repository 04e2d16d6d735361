"""`lambdactr serve`: the counter on http://127.0.0.1:3000/, with no Docker and no AWS."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
from types import FrameType

from ..aws import add_dynamodb_options
from ..snippet import NOTE, snippet
from . import marker
from .runtime import (
    Database,
    LocalError,
    SerialHandler,
    add_state_dir_option,
    load_handler,
    open_database,
    print_error,
)
from .server import LambdaHttpServer, demo_page

HELP = "run the counter locally: the Lambda's handler behind HTTP, with an embedded DynamoDB"


class _Stop(Exception):
    """SIGINT or SIGTERM, raised in the main thread so that it leaves serve_forever and saves."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    parser.add_argument("--port", type=int, default=3000, help="port to listen on (%(default)s)")
    parser.add_argument(
        "--db-port",
        type=int,
        default=8000,
        help="port of the embedded DynamoDB, on 127.0.0.1 (%(default)s; 0 picks a free one)",
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
    report_command = shlex.join(
        ["lambdactr", "report", "--table", database.table, "--endpoint-url", database.endpoint]
    )
    try:
        server = LambdaHttpServer(
            (args.host, args.port),
            handler,
            demo_page=lambda base_url: demo_page(base_url, report_command),
        )
    except OSError as error:
        raise LocalError(
            f"cannot listen on {args.host}:{args.port}: {error.strerror}; choose another --port"
        ) from error
    marker_dir = args.state_dir if database.embedded else None
    status = 0
    try:
        if marker_dir is not None:
            marker.write_serve_marker(
                marker_dir, database.endpoint, database.table, database.salts_table
            )
        _print_banner(args, database, server.port, report_command)
        _stop_on_signals()
        with contextlib.suppress(_Stop):
            server.serve_forever()
    finally:
        # A second Ctrl-C must not cut the shutdown short: the save is what it is for.
        for signum in _STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        server.server_close()
        if database.state_file is not None:
            status = _save(database, handler)
        if marker_dir is not None:
            marker.remove_serve_marker(marker_dir)
    return status


def _save(database: Database, handler: SerialHandler) -> int:
    with handler.lock:
        try:
            saved = database.save()
        except Exception as error:
            # The previous state file is still whole: saves replace it in one rename.
            print_error(f"could not save the table to {database.state_file}: {error!r}")
            return 1
    print(f"Saved {saved} items to {database.state_file}.")
    return 0


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop_on_signals() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    # SIGINT too: a shell starts background jobs with SIGINT ignored, and Python then never
    # turns it into KeyboardInterrupt, yet `kill -INT` must still save the table.
    for signum in _STOP_SIGNALS:
        signal.signal(signum, stop)


def _print_banner(
    args: argparse.Namespace, database: Database, port: int, report_command: str
) -> None:
    shown_host = "127.0.0.1" if args.host in ("", "0.0.0.0", "::") else args.host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    base_url = f"http://{shown_host}:{port}"
    if database.embedded is not None:
        where = (
            f"embedded (moto), {database.loaded} items loaded from {database.state_file}"
            if database.loaded
            else f"embedded (moto), new table; saved to {database.state_file} on exit"
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
        snippet(base_url) + NOTE,
        "See the hits:",
        f"  {report_command}",
        "",
        "Ctrl-C stops the server"
        + (" and saves the table." if database.embedded is not None else "."),
        f"Ready: listening on {base_url}/",
    ]
    print("\n".join(lines), flush=True)
