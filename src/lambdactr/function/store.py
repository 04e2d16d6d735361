"""The Lambda's only door to DynamoDB: one PutItem per hit, the badge counters and the salt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config as ClientConfig
from botocore.exceptions import ClientError

from .item import PlainItem, counter_key, salt_key, to_dynamodb

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# A hit must be answered well inside the function timeout even when DynamoDB is slow or away,
# so every call gives up early: two attempts of at most 1 s to connect and 2 s to read.
_ATTEMPTS = 2
_CONNECT_SECONDS = 1
_READ_SECONDS = 2
CLIENT_CONFIG = ClientConfig(
    connect_timeout=_CONNECT_SECONDS,
    read_timeout=_READ_SECONDS,
    retries={"total_max_attempts": _ATTEMPTS, "mode": "standard"},
)
# The longest one call can take: every attempt times out, with the standard retry mode's
# backoff (under 1 s) between attempts.
WORST_CALL_SECONDS = _ATTEMPTS * (_CONNECT_SECONDS + _READ_SECONDS) + (_ATTEMPTS - 1) * 1
# Where a client goes when no region is configured: the local endpoints ignore it anyway.
FALLBACK_REGION = "us-east-1"


def error_code(error: ClientError) -> str:
    """The AWS error code of a failed call, e.g. "ConditionalCheckFailedException"."""
    return str(error.response.get("Error", {}).get("Code", ""))


def make_client() -> DynamoDBClient:
    """One client per container: creating it costs a large part of the cold start."""
    session = botocore.session.get_session()
    region = session.get_config_variable("region") or FALLBACK_REGION
    return cast(
        "DynamoDBClient",
        session.create_client("dynamodb", region_name=region, config=CLIENT_CONFIG),
    )


class Store:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table_name = table_name
        self.client = client

    def put_hit(self, item: PlainItem) -> None:
        self.client.put_item(TableName=self.table_name, Item=to_dynamodb(item))

    def count_view(self, site: str, path: str) -> int:
        """Add one to the page's counter, creating it at 1; return the new count."""
        names = {"#path": "path"}
        values: dict[str, Any] = {":one": {"N": "1"}, ":path": {"S": path}}
        assignments = "#path = :path"
        if site:
            names["#site"] = "site"
            values[":site"] = {"S": site}
            assignments += ", #site = :site"
        response = self.client.update_item(
            TableName=self.table_name,
            Key={"pk": {"S": counter_key(site, path)}},
            UpdateExpression=f"ADD n :one SET {assignments}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["n"]["N"])

    def views(self, site: str, path: str) -> int:
        """The page's count without changing it: 0 for a page never counted."""
        response = self.client.get_item(
            TableName=self.table_name,
            Key={"pk": {"S": counter_key(site, path)}},
            ProjectionExpression="n",
        )
        count = response.get("Item", {}).get("n", {}).get("N")
        return int(count) if count else 0

    def get_salt(self, day: str) -> bytes | None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key={"pk": {"S": salt_key(day)}},
            ConsistentRead=True,
        )
        attributes: dict[str, Any] = dict(response.get("Item", {}))
        salt = attributes.get("salt", {}).get("B")
        return bytes(salt) if salt else None

    def create_salt(self, day: str, salt: bytes, expires_at: int) -> bytes:
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": salt_key(day)},
                    "salt": {"B": salt},
                    "ttl": {"N": str(expires_at)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            # Another container created the day's salt first; everyone uses that one.
            winner = self.get_salt(day)
            if winner is None:
                raise
            return winner
        return salt
