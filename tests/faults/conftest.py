"""DynamoDB taken away, throttling, hanging or back again, behind the real botocore client.

Every fault here is a real endpoint on 127.0.0.1 that the handler's own client (built by
`lambdactr.function.store.make_client`, with its timeouts and retries) talks to over TCP.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from lambdactr.function.item import PlainItem, from_dynamodb, is_salt_key
from lambdactr.function.store import Store, make_client
from tests.conftest import DYNAMODB_KINDS
from tests.handler.conftest import create_table
from tests.support import dynamodb_local
from tests.support.function import Wire, handler_log_into, invoke

TABLE = "lambdactr-fault-hits"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"
SALT_WARNING = "daily salt unavailable; hits are stored without a visitor id"


def client_for(monkeypatch: pytest.MonkeyPatch, endpoint_url: str) -> Any:
    """The Lambda's own client, built exactly as at cold start, aimed at `endpoint_url`."""
    monkeypatch.setenv(ENDPOINT_VARIABLE, endpoint_url)
    return make_client()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on which nothing listens: bound but never listening, so no one else can take it
    while the test runs, and every connection is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as reserved:
        reserved.bind(("127.0.0.1", 0))
        yield reserved.getsockname()[1]


@pytest.fixture
def unreachable_url(closed_port: int) -> str:
    return f"http://127.0.0.1:{closed_port}"


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """DynamoDB that accepts connections and never answers: the kernel completes the handshake
    from the backlog, and nothing ever reads the request."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


THROTTLED_BODY = json.dumps(
    {
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded.",
    }
).encode()


class ThrottlingDynamoDB(ThreadingHTTPServer):
    """Answers every DynamoDB call as an overloaded table does: HTTP 400, throttled."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ThrottlingHandler)
        self.operations: list[str] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, operation: str) -> None:
        with self._lock:
            self.operations.append(operation)


class _ThrottlingHandler(BaseHTTPRequestHandler):
    server: ThrottlingDynamoDB
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        self.server.record(target.rpartition(".")[2])
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(THROTTLED_BODY)))
        self.send_header("x-amzn-RequestId", "THROTTLED0000000000000000000000000000000000000000")
        self.end_headers()
        self.wfile.write(THROTTLED_BODY)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def throttling_dynamodb() -> Iterator[ThrottlingDynamoDB]:
    server = ThrottlingDynamoDB()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class MotoDynamoDB:
    """DynamoDB back again, at a URL: moto's server, or AWS's DynamoDB Local."""

    url: str

    def client(self) -> Any:
        return boto3.client("dynamodb", region_name="us-east-1", endpoint_url=self.url)

    def create_table(self, name: str = TABLE) -> None:
        create_table(self.client(), name)

    def hits(self, table: str = TABLE) -> list[PlainItem]:
        client = self.client()
        items: list[dict[str, Any]] = []
        for page in client.get_paginator("scan").paginate(TableName=table):
            items.extend(page["Items"])
        return [from_dynamodb(i) for i in items if not is_salt_key(i["pk"]["S"])]


@pytest.fixture(params=DYNAMODB_KINDS)
def moto_dynamodb(request: pytest.FixtureRequest) -> Iterator[MotoDynamoDB]:
    """Each test that takes this runs twice: against moto's server and against DynamoDB Local."""
    if request.param == "dynamodb-local":
        endpoint: str = request.getfixturevalue("dynamodb_local_endpoint")
        dynamodb_local.delete_every_table(endpoint)
        try:
            yield MotoDynamoDB(url=endpoint)
        finally:
            dynamodb_local.delete_every_table(endpoint)
        return
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        # Moto keeps its tables in the process, shared by every server it starts: begin empty.
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
        yield MotoDynamoDB(url=url)
    finally:
        server.stop()


@dataclass
class Function:
    """The deployed handler with its module globals rewired, and its log as CloudWatch gets it."""

    wire_handler: Wire
    log_stream: io.StringIO = field(default_factory=io.StringIO)

    def wire(
        self,
        client: Any = None,
        *,
        store: Store | None = None,
        table: str = TABLE,
        monotonic: Callable[[], float] = time.monotonic,
        **config: Any,
    ) -> Store:
        """A fresh container: its config, its store on `client`, and an empty salt cache."""
        if store is None:
            store = Store(table, client)
        self.wire_handler(store, monotonic=monotonic, **config)
        return store

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        return invoke(event)

    def log_text(self) -> str:
        return self.log_stream.getvalue()

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON lines. Only "\n" ends one: the logger writes U+2028 and the like as is."""
        return [json.loads(line) for line in self.log_text().split("\n") if line.startswith("{")]

    def unsaved_lines(self) -> list[dict[str, Any]]:
        return [line for line in self.log_lines() if "unsaved_hit" in line]

    def unsaved_hits(self) -> list[PlainItem]:
        return [line["unsaved_hit"] for line in self.unsaved_lines()]

    def salt_warnings(self) -> list[dict[str, Any]]:
        return [line for line in self.log_lines() if line.get("message") == SALT_WARNING]


@pytest.fixture
def function(wire_handler: Wire) -> Iterator[Function]:

    function = Function(wire_handler)
    with handler_log_into(function.log_stream):
        yield function
