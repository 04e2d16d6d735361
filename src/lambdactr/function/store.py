"""The Lambda's only door to DynamoDB: one PutItem per hit and the badge counters in the
hits table, and the daily salt in the salts table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config as ClientConfig
from botocore.exceptions import ClientError

from .config import default_salts_table
from .item import PlainItem, counter_key, to_dynamodb
from .privacy import Salt

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
# The salts table's one item: the current day's salt replaces the previous one in place.
SALT_KEY = "current"


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
    def __init__(
        self, table_name: str, client: DynamoDBClient, salts_table_name: str | None = None
    ) -> None:
        self.table_name = table_name
        self.salts_table_name = salts_table_name or default_salts_table(table_name)
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

    def get_salt(self) -> Salt | None:
        response = self.client.get_item(
            TableName=self.salts_table_name, Key={"pk": {"S": SALT_KEY}}, ConsistentRead=True
        )
        attributes: dict[str, Any] = dict(response.get("Item", {}))
        value = attributes.get("salt", {}).get("B")
        expires_at = attributes.get("ttl", {}).get("N", "")
        if not value or not expires_at.isdigit():
            return None
        return Salt(bytes(value), int(expires_at))

    def create_salt(self, salt: Salt, now: int) -> Salt | None:
        try:
            self.client.put_item(
                TableName=self.salts_table_name,
                Item={
                    "pk": {"S": SALT_KEY},
                    "salt": {"B": salt.value},
                    "ttl": {"N": str(salt.expires_at)},
                },
                # Writing over an expired salt is what deletes it; a live one is kept.
                ConditionExpression="attribute_not_exists(pk) OR #ttl <= :now",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            # Another container created the day's salt first; everyone uses that one.
            return self.get_salt()
        return salt
