"""`lambdactr invoke EVENT.json`: `sam local invoke -e EVENT.json` without Docker."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from ..aws import add_dynamodb_options
from .event import Handler
from .runtime import LocalError, add_state_dir_option, load_handler, open_database, print_error

HELP = "run the Lambda's handler on event files and print one response per file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "events",
        nargs="+",
        metavar="EVENT",
        help="API Gateway HTTP API events, e.g. events/gif.json or events/*.json (- reads stdin)",
    )
    add_state_dir_option(parser)
    add_dynamodb_options(parser, salts=True)


def run(args: argparse.Namespace) -> int:
    try:
        events = [(name, _read_event(name)) for name in args.events]
    except LocalError as error:
        print_error(str(error))
        return 2
    status = 0
    try:
        # Like `sam local invoke`: the responses alone on stdout, the function's logs on stderr.
        with (
            contextlib.redirect_stdout(sys.stderr),
            open_database(args, db_port=0, share_running_serve=True) as database,
        ):
            if database.shared_with_pid is not None:
                where = f"the table of lambdactr serve (pid {database.shared_with_pid})"
            elif database.state_file is not None:
                where = f"the embedded DynamoDB, saved to {database.state_file}"
            else:
                where = database.endpoint
            print(f"lambdactr invoke: table {database.table} in {where}", file=sys.stderr)
            handler = load_handler()
            responses = []
            for name, event in events:
                if len(events) > 1:
                    print(f"lambdactr invoke: {name}", file=sys.stderr)
                event_status, response = _invoke(handler, event)
                status = max(status, event_status)
                responses.append(response)
            if database.state_file is not None:
                database.save()
    except LocalError as error:
        print_error(str(error))
        return 1
    # One JSON document per event file, in the order given (`jq` reads such a stream).
    for response in responses:
        print(json.dumps(response, indent=2))
    return status


def _read_event(name: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as error:
        raise LocalError(f"cannot read {name}: {error.strerror}") from error
    try:
        event = json.loads(text)
    except json.JSONDecodeError as error:
        raise LocalError(f"{name} is not JSON: {error}") from error
    if not isinstance(event, dict):
        raise LocalError(f"{name} must hold a JSON object, an API Gateway event")
    return event


def _invoke(handler: Handler, event: dict[str, Any]) -> tuple[int, Any]:
    try:
        return 0, handler(event)
    except Exception as error:
        # What Lambda returns for an unhandled error.
        traceback.print_exc()
        return 1, {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
