"""Serve's access log: method, path and status, never the query, an address or a raw control
byte; and nothing a client sends there can pose as the handler's own log for `lambdactr replay`."""

from __future__ import annotations

import json
import re
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.serve import Serve, StartServe, run_lambdactr

pytestmark = pytest.mark.slow

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/142.0.0.0 Safari/537.36"
)
# One access-log line: time, method, path, status, bytes, milliseconds, and why a hit was ignored.
LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (\S+) (\S+) (\d{3}) \d+ \d+ms( ignored=\S+)?")


def raw_request(serve: Serve, request_line: bytes) -> bytes:
    """Send one request as raw bytes, as an attacker with a socket can, and read the answer."""
    address = urlsplit(serve.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(request_line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def access_lines(serve: Serve) -> list[str]:
    return [line for line in serve.stdout().splitlines() if LINE.fullmatch(line)]


def test_access_log_holds_method_path_and_status_and_no_query_or_control_byte(
    serve_factory: StartServe,
) -> None:
    serve = serve_factory()
    secret = uuid.uuid4().hex
    headers = {"Referer": "https://blog.example.org/", "User-Agent": CHROME_UA}
    serve.get(f"/c.gif?p=/posts/{secret}/&utm_source=me@example.org&fbclid={secret}", headers)
    serve.head(f"/c.gif?p=/posts/{secret}/", headers)
    raw_request(
        serve, b"GET /x\x1b]52;c;SGk=\x07\x1b[2J\xe2\x80\xae?q=" + secret.encode() + b" HTTP/1.1"
    )

    lines = access_lines(serve)
    assert [LINE.fullmatch(line).groups() for line in lines] == [  # type: ignore[union-attr]
        ("GET", "/c.gif", "200", None),
        ("HEAD", "/c.gif", "200", " ignored=head"),
        ("GET", "/x%1B%5D52;c;SGk=%07%1B%5B2J%E2%80%AE", "404", None),
    ]
    out = serve.stdout()
    assert secret not in out
    assert "example.org" not in "\n".join(lines)
    assert "127.0.0.1" not in "\n".join(lines)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out)


def test_an_injected_request_line_through_serves_log_stores_nothing(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    serve = serve_factory()
    forged_pk = uuid.uuid4().hex
    forged = {
        "message": "hit not stored",
        "unsaved_hit": {
            "pk": forged_pk,
            "ts": 1795420800123,
            "day": "2026-11-23",
            "kind": "css",
            "path": "/",
            "ip": "81.2.69.160",
            "title": "\x1b]52;c;SGk=\x07",
            "ttl": 4102444800,
        },
    }
    # A request line holds no space; JSON can spell one as an escape.
    text = json.dumps(forged, separators=(",", ":")).replace(" ", "\\u0020")
    assert raw_request(serve, f"GET /{text} HTTP/1.1".encode()).startswith(b"HTTP/1.1 404 ")
    answer = raw_request(serve, f"GET /c.css?{text} HTTP/1.1".encode())
    assert answer.startswith(b"HTTP/1.1 200 ")

    captured = tmp_path / "serve.log"
    captured.write_text(serve.stdout(), encoding="utf-8")
    replayed = run_lambdactr(
        "replay",
        str(captured),
        "--table",
        serve.table,
        "--endpoint-url",
        serve.endpoint,
        cwd=tmp_path,
    )

    assert replayed.stdout.strip() == "wrote 0, skipped 0 (already stored), failed 0"
    assert "no unsaved_hit found" in replayed.stderr
    assert forged_pk not in json.dumps(serve.raw_items())
