"""`lambdactr export`: a table in DynamoDB's export layout, on disk or (backfill) in the bucket.

- `--to-dir DIR` reads any table (a local one too) with a Scan and writes it as one full
  export under `DIR/hits/dt=<today>/AWSDynamoDB/data/`, for `report --engine duckdb`.
- `--full --stack NAME` asks DynamoDB for a full export of the stack's table (point-in-time
  recovery, no read capacity used) and files its data beside the daily incremental exports,
  under `hits/dt=<today>/AWSDynamoDB/data/`, where the Glue table and DuckDB read it. Run it once,
  when turning Analytics on: the daily exports cover only the days after. Items that both hold
  are counted once: the report keeps each key's newest record (see report/sql.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .aws import add_dynamodb_options, dynamodb_client
from .export_layout import (
    BACKFILL_FILE_PREFIX,
    DATA_FOLDER,
    DATA_SUFFIX,
    ExportWriter,
    partition_prefix,
)
from .stack import (
    BUCKET_OUTPUT,
    TABLE_OUTPUT,
    StackError,
    client,
    session,
    stack_outputs,
)

HELP = "write the hits table in DynamoDB's export layout: to a folder, or backfill the bucket"
BACKFILL_STAGING = "backfill"
POLL_SECONDS = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dynamodb_options(parser)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--to-dir",
        type=Path,
        metavar="DIR",
        help="scan the table and write it under DIR/hits/dt=<today>/ (for --engine duckdb)",
    )
    where.add_argument(
        "--full",
        action="store_true",
        help="backfill: a full DynamoDB export of the --stack's table into its export bucket",
    )
    parser.add_argument("--stack", metavar="NAME", help="the stack deployed with Analytics=true")
    parser.add_argument(
        "--day",
        metavar="YYYY-MM-DD",
        help="the dt= partition to file the export under (default: today, UTC)",
    )


def run(args: argparse.Namespace) -> int:
    day = args.day or datetime.now(UTC).date().isoformat()
    try:
        if args.to_dir is not None:
            table = (
                stack_outputs(session(args.profile, args.region), args.stack, (TABLE_OUTPUT,))[
                    TABLE_OUTPUT
                ]
                if args.stack
                else args.table
            )
            count, folder = export_to_dir(dynamodb_client(args), table, args.to_dir, day)
            print(f"lambdactr export: {count} items of {table!r} written under {folder}")
            return 0
        if not args.stack:
            print("lambdactr export: --full needs --stack NAME", file=sys.stderr)
            return 2
        boto_session = session(args.profile, args.region)
        outputs = stack_outputs(boto_session, args.stack, (TABLE_OUTPUT, BUCKET_OUTPUT))
        backfill(
            client(boto_session, "dynamodb"),
            client(boto_session, "s3"),
            outputs[TABLE_OUTPUT],
            outputs[BUCKET_OUTPUT],
            day,
            say=lambda line: print(f"lambdactr export: {line}", file=sys.stderr),
        )
        return 0
    except StackError as error:
        print(f"lambdactr export: {error}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError, BackfillFailed) as error:
        print(f"lambdactr export: {error}", file=sys.stderr)
        return 1


def export_to_dir(client_: Any, table: str, root: Path, day: str) -> tuple[int, Path]:
    """Every item of `table`, as a full export's `{"Item": ...}` lines; (items, day's folder)."""
    with ExportWriter(root, day) as writer:
        for page in client_.get_paginator("scan").paginate(TableName=table):
            for attributes in page.get("Items", []):
                writer.add_item(attributes)
    return writer.records, writer.folder


class BackfillFailed(Exception):
    """DynamoDB reported the full export as failed."""


def backfill(
    dynamodb: Any,
    s3: Any,
    table: str,
    bucket: str,
    day: str,
    *,
    say: Callable[[str], None] = print,
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Export the whole table, then file its data files under `hits/dt=<day>/`; their keys.

    DynamoDB puts a full export's data under `<prefix>/AWSDynamoDB/<ExportId>/data/`, beside
    its manifests; the daily incremental exports put theirs under `<prefix>/AWSDynamoDB/data/`.
    The export goes to a staging prefix and its data files are copied (within S3) to the
    latter, so one Glue location and one DuckDB glob read both.
    """
    table_arn = dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
    staging = f"{BACKFILL_STAGING}/dt={day}"
    export = dynamodb.export_table_to_point_in_time(
        TableArn=table_arn,
        S3Bucket=bucket,
        S3Prefix=staging,
        ExportFormat="DYNAMODB_JSON",
        ExportType="FULL_EXPORT",
        # A second run on the same day joins the first export instead of starting another.
        ClientToken=f"lambdactr-backfill-{day}",
    )["ExportDescription"]
    say(f"full export of {table} started: {export['ExportArn']}")
    while export["ExportStatus"] == "IN_PROGRESS":
        sleep(poll_seconds)
        export = dynamodb.describe_export(ExportArn=export["ExportArn"])["ExportDescription"]
        say(f"export {export['ExportStatus'].lower().replace('_', ' ')}")
    if export["ExportStatus"] != "COMPLETED":
        raise BackfillFailed(
            f"the full export {export['ExportArn']} {export['ExportStatus']}: "
            f"{export.get('FailureMessage', 'no reason given')}"
        )
    filed = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=staging + "/"):
        for entry in page.get("Contents", []):
            source = PurePosixPath(entry["Key"])
            if source.parent.name != "data" or not source.name.endswith(".gz"):
                continue
            name = source.name.removesuffix(".gz").removesuffix(".json") + DATA_SUFFIX
            target = f"{partition_prefix(day)}{DATA_FOLDER}/{BACKFILL_FILE_PREFIX}{name}"
            s3.copy_object(
                Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": entry["Key"]}
            )
            s3.delete_object(Bucket=bucket, Key=entry["Key"])
            filed.append(target)
    say(f"{export.get('ItemCount', '?')} items filed under s3://{bucket}/{partition_prefix(day)}")
    return filed
