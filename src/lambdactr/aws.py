"""The operator's DynamoDB client, shared by every CLI command (never by the Lambda)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from .config import DEFAULT_TABLE_NAME

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

FALLBACK_REGION = "us-east-1"


def add_dynamodb_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("DynamoDB")
    group.add_argument(
        "--table",
        default=os.environ.get("TABLE_NAME") or DEFAULT_TABLE_NAME,
        help="table name (default: $TABLE_NAME or %(default)s)",
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


def dynamodb_client(args: argparse.Namespace) -> DynamoDBClient:
    import boto3

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    return session.client(
        "dynamodb",
        region_name=session.region_name or FALLBACK_REGION,
        endpoint_url=args.endpoint_url or None,
    )
