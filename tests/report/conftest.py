"""A hits table on moto or DynamoDB Local, filled with plain items as the Lambda writes them."""

from __future__ import annotations

import pytest

from tests.support.dynamodb_local import DynamoDB
from tests.support.tables import HitsTable, create_hits_table

TABLE = "lambdactr-report-hits"


@pytest.fixture
def hits_table(dynamodb: DynamoDB) -> HitsTable:
    """A hits table on moto, and again on DynamoDB Local: every report test runs on both."""
    create_hits_table(dynamodb.client, TABLE)
    return HitsTable(dynamodb.client, TABLE)
