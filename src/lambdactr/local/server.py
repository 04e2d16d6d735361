"""The local HTTP server: every request becomes a payload 2.0 event for the Lambda's handler."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import quote

from ..function.beacon import IGNORED_HEADER
from ..snippet import ONE_TAG_NOTE, snippet
from .event import (
    Handler,
    HttpAnswer,
    http_answer,
    http_api_event,
    internal_server_error,
    new_request_id,
)

# API Gateway refuses request bodies above 10 MB with 413.
MAX_BODY_BYTES = 10 * 1024 * 1024
_TOO_LARGE = HttpAnswer(
    413, [("Content-Type", "application/json")], b'{"message":"Request Entity Too Large"}'
)
_BAD_REQUEST = HttpAnswer(400, [("Content-Type", "application/json")], b'{"message":"Bad Request"}')

DemoPage = Callable[[str], str]


class LambdaHttpServer(ThreadingHTTPServer):
    """Answers each request on its own thread; the handler itself is called one at a time."""

    daemon_threads = True
    # Browsers and bursts open many connections at once; the default backlog of 5 drops them.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        handler: Handler,
        *,
        demo_page: DemoPage | None = None,
        access_log: TextIO | None = None,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.handler = handler
        self.demo_page = demo_page
        self.access_log = access_log or sys.stdout
        self._log_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def log_line(self, line: str) -> None:
        with self._log_lock:
            self.access_log.write(line + "\n")
            self.access_log.flush()


class _RequestHandler(BaseHTTPRequestHandler):
    server: LambdaHttpServer
    protocol_version = "HTTP/1.1"
    server_version = "lambdactr-local"
    # Browsers keep idle connections open; each holds a thread until this many seconds pass.
    timeout = 60

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._answer()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _answer(self) -> None:
        started = time.monotonic()
        request_id = new_request_id()
        answer, ignored = self._answer_for(request_id)
        took_ms = (time.monotonic() - started) * 1000
        # An access log for the operator's own machine, without the visitor's address, and
        # without the query, which can carry emails and click ids. It is written before the
        # answer, so a client that has its answer finds the line.
        self.server.log_line(
            f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {self.command} {loggable_path(self.path)}"
            f" {answer.status} {len(answer.body)} {took_ms:.0f}ms"
            + (f" ignored={ignored}" if ignored else "")
        )
        self._send(answer, [("Apigw-Requestid", request_id)])

    def _answer_for(self, request_id: str) -> tuple[HttpAnswer, str]:
        body = self._read_body()
        if isinstance(body, HttpAnswer):
            # The unread rest of the body would be taken for the next request.
            self.close_connection = True
            return body, ""
        if (
            self.server.demo_page is not None
            and self.command in ("GET", "HEAD")
            and self.path.partition("?")[0] == "/"
        ):
            return self._demo(), ""
        event = http_api_event(
            method=self.command,
            target=self.path,
            headers=self.headers.items(),
            body=body,
            source_ip=self.client_address[0],
            server_port=self.server.port,
            protocol=self.request_version,
            request_id=request_id,
        )
        try:
            result = self.server.handler(event)
        except Exception:
            # Lambda reports an unhandled error in its log; API Gateway answers a bare 500.
            traceback.print_exc(file=sys.stderr)
            return internal_server_error(), ""
        answer = http_answer(result)
        ignored = next((v for n, v in answer.headers if n.lower() == IGNORED_HEADER.lower()), "")
        return answer, ignored

    def _demo(self) -> HttpAnswer:
        demo_page = self.server.demo_page
        assert demo_page is not None
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.port}"
        html = demo_page(f"http://{host}")
        return HttpAnswer(
            200,
            [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
            html.encode("utf-8"),
        )

    def _read_body(self) -> bytes | HttpAnswer:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return b""
        try:
            length = int(raw_length)
        except ValueError:
            return _BAD_REQUEST
        if length < 0:
            return _BAD_REQUEST
        if length > MAX_BODY_BYTES:
            return _TOO_LARGE
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | HttpAnswer:
        body = bytearray()
        while True:
            try:
                size = int(self.rfile.readline(1024).split(b";", 1)[0].strip(), 16)
            except ValueError:
                return _BAD_REQUEST
            if size == 0:
                break
            if len(body) + size > MAX_BODY_BYTES:
                return _TOO_LARGE
            body += self.rfile.read(size)
            self.rfile.readline(1024)
        while self.rfile.readline(1024).strip():
            pass  # trailers
        return bytes(body)

    def _send(self, answer: HttpAnswer, extra_headers: list[tuple[str, str]]) -> None:
        try:
            self.send_response(answer.status)
            for name, value in [*answer.headers, *extra_headers]:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            # The browser went away first (a closed tab, a cancelled image): nothing to answer.
            self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # `_answer` writes its own line, with the outcome and without the address

    def log_message(self, format: str, *args: Any) -> None:
        # Errors quote the raw request line: escape it, so no client writes to the terminal.
        sys.stderr.write(f"lambdactr serve: {escaped(format % args)}\n")


# RFC 3986's characters of a path, `%` included so that what a client escaped stays as it was.
# Everything else, quotes, braces, spaces, controls and non-ASCII, is percent-encoded, so a
# logged path never holds JSON that `lambdactr replay` could take for the handler's own line.
_PATH_CHARACTERS = "/%!$&'()*+,;=:@-._~"


def loggable_path(target: str) -> str:
    """The request target without query or fragment, in printable ASCII that holds no JSON."""
    path = target.partition("#")[0].partition("?")[0]
    # http.server decodes the request line as Latin-1: this gives back the bytes that were sent.
    return quote(path.encode("latin-1", "replace"), safe=_PATH_CHARACTERS)


def escaped(text: str) -> str:
    """`text` with every control and non-ASCII character as a JSON-style escape."""
    return json.dumps(text)[1:-1]


def demo_page(base_url: str, report_commands: list[str]) -> str:
    """A page that counts a view with one tag, the live badge, and shows the tag to paste.

    Its badge carries `?p=/`: the page is the site's only page, and saying so spares the
    report's "every path reads as /" warning, which is for real sites.
    """
    tag = snippet(base_url)
    badge = snippet(base_url, tag="svg")
    own_badge = badge.replace("/c.svg", "/c.svg?p=/", 1)
    commands = "\n".join(report_commands)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lambdactr, running locally</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto;
  padding: 0 1rem; }}
pre, code {{ background: #f3f3f3; }}
pre {{ padding: .75rem; overflow-x: auto; }}
</style>
</head>
<body>
<h1>lambdactr is counting</h1>
<p>This page counts itself with the view-count badge, so each time it loads the local table
gains one hit and the badge shows one more view (obvious bots see it unchanged):
{own_badge}</p>
<p>For your own site, paste this tag into every page; it counts a view without showing
anything:</p>
<pre>{escape(tag)}</pre>
<p>Or, where readers should see the count, the badge instead of it:</p>
<pre>{escape(badge)}</pre>
<p>{escape(ONE_TAG_NOTE)} To name each page in every browser, add its path with
<code>lambdactr snippet URL --for hugo</code> (or jekyll, eleventy, zola, astro).</p>
<p>See what was counted:</p>
<pre>{escape(commands)}</pre>
</body>
</html>
"""
