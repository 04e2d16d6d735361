"""A hits table on moto for each test, filled by the test with plain items."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from tests.support.tables import HitsTable, create_hits_table

TABLE = "lambdactr-report-hits"


@pytest.fixture
def hits_table() -> Iterator[HitsTable]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_hits_table(client, TABLE)
        yield HitsTable(client, TABLE)
