"""The `lambdactr` command: the operator's half. The Lambda never imports this."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each command is a module with HELP, add_arguments(parser) and run(args) -> exit status.
COMMANDS: dict[str, str] = {
    "snippet": "lambdactr.snippet",
    "serve": "lambdactr.local.serve",
    "invoke": "lambdactr.local.invoke",
    "replay": "lambdactr.replay",
    "report": "lambdactr.report.command",
    "export": "lambdactr.export",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lambdactr", description="A privacy-respecting page-view counter on AWS Lambda."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lambdactr")
    except PackageNotFoundError:
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
