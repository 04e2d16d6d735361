"""The Lambda's only door to DynamoDB: one PutItem per hit, and the daily salt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config as ClientConfig
from botocore.exceptions import ClientError

from .item import PlainItem, salt_key, to_dynamodb

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# A hit must be answered well inside the function timeout even when DynamoDB is slow or away,
# so every call gives up early: two attempts of at most 1 s to connect and 2 s to read.
CLIENT_CONFIG = ClientConfig(
    connect_timeout=1,
    read_timeout=2,
    retries={"total_max_attempts": 2, "mode": "standard"},
)
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
