"""The operator's AWS clients, shared by every CLI command (never by the Lambda).

Every client here gives up quickly on an endpoint nobody answers: a short connect timeout, and
no retry at all after a connection error (a retry cannot make a stopped server start). Throttling
and other passing errors are still retried.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

from .function.config import DEFAULT_TABLE_NAME, default_salts_table
from .function.store import FALLBACK_REGION

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# moto and DynamoDB Local accept any signature; these only keep botocore from refusing to sign.
FAKE_ACCESS_KEY = "local"
FAKE_SECRET_KEY = "local"  # noqa: S105 (not a secret: a local endpoint ignores it)

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"
TABLE_VARIABLE = "TABLE_NAME"
# One attempt to connect takes at most CONNECT_TIMEOUT_S, and a connection error is never
# retried, so an unreachable endpoint fails in about that long (plus a DNS lookup).
CONNECT_TIMEOUT_S = 2.0
# A Scan page or a write is answered in well under a second; a stalled one is retried.
READ_TIMEOUT_S = 15.0
MAX_ATTEMPTS = 4
CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
)
UNREACHABLE_ERRORS = (EndpointConnectionError, ConnectTimeoutError)


def add_dynamodb_options(parser: argparse.ArgumentParser, *, salts: bool = False) -> None:
    """--table, --endpoint-url, --region, --profile; and --salts-table for what runs the Lambda."""
    group = parser.add_argument_group("DynamoDB")
    group.add_argument(
        "--table",
        default=os.environ.get(TABLE_VARIABLE) or DEFAULT_TABLE_NAME,
        action=_Given,
        help=f"table name (default: ${TABLE_VARIABLE} or %(default)s)",
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
        default=os.environ.get(ENDPOINT_VARIABLE) or None,
        action=_Given,
        help=f"DynamoDB endpoint, e.g. http://127.0.0.1:8000 (default: ${ENDPOINT_VARIABLE})",
    )
    group.add_argument("--region", default=None, help="AWS region (default: from your AWS config)")
    group.add_argument(
        "--profile",
        default=None,
        action=_Given,
        help="AWS profile (default: from your AWS config)",
    )
    parser.set_defaults(given=())


class _Given(argparse.Action):
    """Stores the value and notes that it was given, so that a default never counts as a choice."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        namespace.given = (*getattr(namespace, "given", ()), self.dest)


def names_a_table(args: argparse.Namespace, *, extra: Sequence[str] = ()) -> bool:
    """Whether the user chose a table or an AWS account: a flag among `extra`, or the table,
    endpoint or profile flags, or the environment variables that stand for them."""
    given = set(getattr(args, "given", ()))
    if given & {"table", "endpoint_url", "profile"}:
        return True
    if any(getattr(args, name, None) for name in extra):
        return True
    return bool(
        os.environ.get(ENDPOINT_VARIABLE)
        or os.environ.get(TABLE_VARIABLE)
        or os.environ.get("AWS_PROFILE")
    )


def salts_table(args: argparse.Namespace) -> str:
    """--salts-table as given, or else the one beside --table."""
    # Commands that never write a hit (report, replay) have no --salts-table.
    given: str | None = getattr(args, "salts_table", None)
    return given or default_salts_table(args.table)


def dynamodb_client(args: argparse.Namespace) -> DynamoDBClient:
    """A client for the operator's table; a local endpoint works with no AWS account at all."""
    import boto3

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    endpoint = args.endpoint_url or None
    fake = bool(endpoint and is_local_endpoint(endpoint) and not has_credentials(session))
    client = session.client(
        "dynamodb",
        region_name=session.region_name or FALLBACK_REGION,
        endpoint_url=endpoint,
        aws_access_key_id=FAKE_ACCESS_KEY if fake else None,
        aws_secret_access_key=FAKE_SECRET_KEY if fake else None,
        config=CLIENT_CONFIG,
    )
    give_up_when_unreachable(client)
    return client


def operator_client(session: Any, service: str, region: str) -> Any:
    """A client for the operator's commands: a short connect timeout, and a dead endpoint is
    never retried, so a command fails within seconds with the endpoint's name."""
    client = session.client(service, region_name=region, config=CLIENT_CONFIG)
    give_up_when_unreachable(client)
    return client


def give_up_when_unreachable(client: Any) -> None:
    """Make `client` raise a connection error at once instead of retrying it.

    botocore's standard retry mode retries connection errors like throttling, with backoff; a
    refused or unanswered connection would cost every attempt. Its `needs-retry` event comes
    before each retry, and a handler that raises ends the call with that error.
    """
    client.meta.events.register_first("needs-retry", _raise_connection_error)


def _raise_connection_error(caught_exception: Exception | None = None, **_: Any) -> None:
    if isinstance(caught_exception, UNREACHABLE_ERRORS):
        raise caught_exception


def unreachable_message(client: Any, error: Exception) -> str:
    """What to tell the operator when `client`'s endpoint did not answer."""
    endpoint = str(client.meta.endpoint_url)
    if is_local_endpoint(endpoint):
        check = (
            "is `lambdactr serve` (or your DynamoDB Local) running, and on that port? "
            "`--local` reads the table of the serve started in this directory"
        )
    else:
        check = (
            f"check the region ({client.meta.region_name}), your network, and the endpoint"
            " (--endpoint-url or $AWS_ENDPOINT_URL_DYNAMODB)"
        )
    return f"cannot reach DynamoDB at {endpoint} ({type(error).__name__}): {check}"


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
