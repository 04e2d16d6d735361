"""DynamoDB taken away, throttling, hanging or back again, behind the real botocore client.

The endpoints and the rewired handler are in tests/support/faults.py; here they are started
and stopped for each test.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from tests.support import dynamodb_local
from tests.support.dynamodb_local import DYNAMODB_KINDS
from tests.support.faults import Function, MotoDynamoDB, ThrottlingDynamoDB
from tests.support.function import Wire, handler_log_into
from tests.support.http import serving


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


@pytest.fixture
def throttling_dynamodb() -> Iterator[ThrottlingDynamoDB]:
    with serving(ThrottlingDynamoDB()) as server:
        yield server


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


@pytest.fixture
def function(wire_handler: Wire) -> Iterator[Function]:
    function = Function(wire_handler)
    with handler_log_into(function.log_stream):
        yield function
