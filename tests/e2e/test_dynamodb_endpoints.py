"""`lambdactr serve` on DynamoDBs that behave unlike moto: AWS's DynamoDB Local, an endpoint
without TTL (as dynalite), a table whose TTL is off; and TTL emulated by the embedded one."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support import dynamodb_local
from tests.support.http import serving
from tests.support.serve import StartServe, browser_headers, unique_path
from tests.support.tables import create_hits_table

pytestmark = pytest.mark.slow

# What dynalite answers to UpdateTimeToLive and DescribeTimeToLive, which it does not know.
UNKNOWN_OPERATION = json.dumps(
    {"__type": "com.amazon.coral.service#UnknownOperationException"}
).encode()
TTL_OPERATIONS = ("DynamoDB_20120810.UpdateTimeToLive", "DynamoDB_20120810.DescribeTimeToLive")


class WithoutTtl(ThreadingHTTPServer):
    """A DynamoDB without TTL: every other call goes on to `backend`, TTL calls are unknown."""

    daemon_threads = True

    def __init__(self, backend: str) -> None:
        super().__init__(("127.0.0.1", 0), _WithoutTtlHandler)
        self.backend = backend

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _WithoutTtlHandler(BaseHTTPRequestHandler):
    server: WithoutTtl
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("X-Amz-Target") in TTL_OPERATIONS:
            self._answer(400, UNKNOWN_OPERATION)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        forwarded = urllib.request.Request(self.server.backend, body, headers, method="POST")
        try:
            with urllib.request.urlopen(forwarded, timeout=30) as response:
                self._answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            self._answer(error.code, error.read())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def without_ttl(moto_endpoint: str) -> Iterator[WithoutTtl]:
    with serving(WithoutTtl(moto_endpoint)) as server:
        yield server


@pytest.fixture
def local_dynamodb(dynamodb_local_endpoint: str) -> Iterator[str]:
    dynamodb_local.delete_every_table(dynamodb_local_endpoint)
    try:
        yield dynamodb_local_endpoint
    finally:
        dynamodb_local.delete_every_table(dynamodb_local_endpoint)


def test_serve_on_an_endpoint_without_ttl_warns_and_counts(
    serve_factory: StartServe, without_ttl: WithoutTtl
) -> None:
    table = "lambdactr-no-ttl-hits"
    serve = serve_factory("--endpoint-url", without_ttl.url, "--table", table)

    assert "cannot use TTL on table lambdactr-no-ttl-hits" in serve.stderr()
    assert "UnknownOperationException" in serve.stderr()
    path = unique_path()
    assert serve.get(f"/c.css?p={path}", browser_headers()).status == 200
    serve.table = table
    assert len(serve.hits_where(path=path)) == 1

    # Started again, the table exists: its TTL cannot be read either, which is said again.
    assert serve.stop() == 0
    again = serve_factory("--endpoint-url", without_ttl.url, "--table", table)
    assert "cannot use TTL on table lambdactr-no-ttl-hits" in again.stderr()


def test_serve_on_dynamodb_local_counts_and_warns_of_a_table_without_ttl(
    serve_factory: StartServe, local_dynamodb: str
) -> None:
    client = dynamodb_local.client(local_dynamodb)
    create_hits_table(client, "lambdactr-hits")  # as someone made it by hand: TTL off

    serve = serve_factory("--endpoint-url", local_dynamodb)

    assert "table lambdactr-hits has TTL disabled" in serve.stderr()
    assert "update-time-to-live --table-name lambdactr-hits" in serve.stderr()
    path = unique_path()
    assert serve.get(f"/c.css?p={path}", browser_headers()).status == 200
    assert serve.get(f"/c.gif?p={path}", browser_headers()).status == 200
    hits = serve.hits_where(path=path)
    assert sorted(str(hit["kind"]) for hit in hits) == ["css", "gif"]
    assert hits[0]["vid"] == hits[1]["vid"]  # one salt, read back from DynamoDB Local
    assert len(serve.salt_items()) == 1


def test_serve_creates_its_table_on_dynamodb_local_with_ttl_on(
    serve_factory: StartServe, local_dynamodb: str
) -> None:
    serve = serve_factory("--endpoint-url", local_dynamodb, "--table", "lambdactr-new-hits")

    assert "table created" in serve.stdout()
    assert "warning" not in serve.stderr()
    ttl = dynamodb_local.client(local_dynamodb).describe_time_to_live(
        TableName="lambdactr-new-hits"
    )["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")


def test_the_embedded_table_drops_expired_items_on_save_and_on_load(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    first = serve_factory(state_dir=state_dir)
    now = int(time.time())
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=first.endpoint)
    items = {
        "expired-hit": now - 60,
        "live-hit": now + 3600,
        "salt#2020-01-01": now - 86_400,
        "salt#2099-01-01": now + 86_400,
        "no-ttl": None,
    }
    for pk, ttl in items.items():
        item: dict[str, Any] = {"pk": {"S": pk}}
        if ttl is not None:
            item["ttl"] = {"N": str(ttl)}
        client.put_item(TableName=first.table, Item=item)

    assert first.stop() == 0
    saved = json.loads((state_dir / "lambdactr-hits.json").read_text())
    assert sorted(i["pk"]["S"] for i in saved["items"]) == ["live-hit", "no-ttl", "salt#2099-01-01"]

    # A state file saved long ago: what expired since is not loaded.
    saved["items"].append({"pk": {"S": "expired-since"}, "ttl": {"N": str(now - 1)}})
    (state_dir / "lambdactr-hits.json").write_text(json.dumps(saved))
    second = serve_factory(state_dir=state_dir)
    assert "3 items loaded" in second.stdout()
    assert sorted(i["pk"]["S"] for i in second.raw_items()) == [
        "live-hit",
        "no-ttl",
        "salt#2099-01-01",
    ]
