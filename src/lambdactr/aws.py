"""The operator's DynamoDB client, shared by every CLI command (never by the Lambda)."""

from __future__ import annotations

import argparse
import ipaddress
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .function.config import DEFAULT_TABLE_NAME, default_salts_table
from .function.store import FALLBACK_REGION

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# moto and DynamoDB Local accept any signature; these only keep botocore from refusing to sign.
FAKE_ACCESS_KEY = "local"
FAKE_SECRET_KEY = "local"  # noqa: S105 (not a secret: a local endpoint ignores it)


def add_dynamodb_options(parser: argparse.ArgumentParser, *, salts: bool = False) -> None:
    """--table, --endpoint-url, --region, --profile; and --salts-table for what runs the Lambda."""
    group = parser.add_argument_group("DynamoDB")
    group.add_argument(
        "--table",
        default=os.environ.get("TABLE_NAME") or DEFAULT_TABLE_NAME,
        help="table name (default: $TABLE_NAME or %(default)s)",
    )
    if salts:
        group.add_argument(
            "--salts-table",
            default=os.environ.get("SALTS_TABLE") or None,
            help="the daily salt's table (default: $SALTS_TABLE, or the table's name with "
            "-salts for -hits, e.g. lambdactr-salts)",
        )
    group.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
        help="DynamoDB endpoint, e.g. http://127.0.0.1:8000 (default: $AWS_ENDPOINT_URL_DYNAMODB)",
    )
    group.add_argument("--region", default=None, help="AWS region (default: from your AWS config)")
    group.add_argument(
        "--profile", default=None, help="AWS profile (default: from your AWS config)"
    )


def salts_table(args: argparse.Namespace) -> str:
    """--salts-table as given, or else the one beside --table."""
    given: str | None = args.salts_table
    return given or default_salts_table(args.table)


def dynamodb_client(args: argparse.Namespace) -> DynamoDBClient:
    """A client for the operator's table; a local endpoint works with no AWS account at all."""
    import boto3

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    endpoint = args.endpoint_url or None
    fake = bool(endpoint and is_local_endpoint(endpoint) and not has_credentials(session))
    return session.client(
        "dynamodb",
        region_name=session.region_name or FALLBACK_REGION,
        endpoint_url=endpoint,
        aws_access_key_id=FAKE_ACCESS_KEY if fake else None,
        aws_secret_access_key=FAKE_SECRET_KEY if fake else None,
    )


def is_local_endpoint(endpoint: str) -> bool:
    hostname = (urlsplit(endpoint).hostname or "").lower()
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def has_credentials(session: Any) -> bool:
    """Whether botocore finds credentials, without waiting on EC2's metadata service."""
    # Off EC2 the instance-metadata lookup only times out; a local endpoint never needs it.
    previous = os.environ.get("AWS_EC2_METADATA_DISABLED")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    try:
        return session.get_credentials() is not None
    finally:
        if previous is None:
            os.environ.pop("AWS_EC2_METADATA_DISABLED", None)
        else:
            os.environ["AWS_EC2_METADATA_DISABLED"] = previous
