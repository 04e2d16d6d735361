"""`lambdactr report` as a process, against DynamoDB at an --endpoint-url, as against `serve`."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3

from tests.support.hits import hit
from tests.support.tables import HitsTable, create_hits_table

TABLE = "lambdactr-process-hits"


def test_report_reads_a_table_at_an_endpoint(moto_endpoint: str) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_endpoint)
    create_hits_table(client, TABLE)
    HitsTable(client, TABLE).put(
        hit(vid="a", path="/"), hit(vid="a", path="/next/"), hit(vid="b", path="/")
    )

    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambdactr.cli",
            "report",
            "--endpoint-url",
            moto_endpoint,
            "--table",
            TABLE,
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-30",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    data = json.loads(finished.stdout)
    assert (data["pageviews"], data["visitors"]) == (3, 2)
    assert {page["path"]: page["visitors"] for page in data["pages"]} == {"/": 2, "/next/": 1}
