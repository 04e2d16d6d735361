"""`lambdactr report` as a process, against DynamoDB at an --endpoint-url, as against `serve`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.unit.report.hits import hit

from .conftest import TABLE, HitsTable, create_table


@pytest.fixture
def endpoint_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_report_reads_a_table_at_an_endpoint(endpoint_url: str) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=endpoint_url)
    create_table(client)
    HitsTable(client).put(
        hit(vid="a", path="/"), hit(vid="a", path="/next/"), hit(vid="b", path="/")
    )

    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambdactr.cli",
            "report",
            "--endpoint-url",
            endpoint_url,
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
