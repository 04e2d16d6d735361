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
from .runtime import LocalError, add_state_dir_option, load_handler, open_database, print_error

HELP = "run the Lambda's handler on one event file and print its response"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "event", help="an API Gateway HTTP API event, e.g. events/gif.json (- reads stdin)"
    )
    add_state_dir_option(parser)
    add_dynamodb_options(parser, salts=True)


def run(args: argparse.Namespace) -> int:
    try:
        event = _read_event(args.event)
    except LocalError as error:
        print_error(str(error))
        return 2
    try:
        # Like `sam local invoke`: the response alone on stdout, the function's logs on stderr.
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
            status, response = _invoke(event)
            if database.state_file is not None:
                database.save()
    except LocalError as error:
        print_error(str(error))
        return 1
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


def _invoke(event: dict[str, Any]) -> tuple[int, Any]:
    handler = load_handler()
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
