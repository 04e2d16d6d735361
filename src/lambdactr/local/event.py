"""HTTP request ⇄ API Gateway HTTP API payload 2.0, the way AWS translates them.

The event side follows what an HTTP API with a `$default` route and stage hands to Lambda; the
answer side follows how it turns a function's result back into an HTTP response. Both are pure,
so the local server and the tests share them.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_API_ID = "local"
# The Lambda's handler as the local server and `invoke` call it: one event in, one result out.
Handler = Callable[[dict[str, Any]], Any]

# API Gateway's own answers when it cannot get a usable one from the function.
INTERNAL_SERVER_ERROR = b'{"message":"Internal Server Error"}'

# Month names for requestContext.time, independent of the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)
# Connection-level headers from the function are not forwarded: the server sets its own framing.
_HOP_BY_HOP = frozenset(
    {"connection", "content-length", "keep-alive", "transfer-encoding", "upgrade", "te"}
)


def http_api_event(
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
    server_port: int,
    protocol: str = "HTTP/1.1",
    time_ms: int | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The event an HTTP API's `$default` route would send for this request."""
    time_ms = int(time.time() * 1000) if time_ms is None else time_ms
    request_id = request_id or new_request_id()
    source_ip = _plain_address(source_ip)
    path, raw_query = _split_target(target)

    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            # Payload 2.0 moves cookies out of the headers into their own array.
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        # Repeated headers arrive as one, their values joined by commas.
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    _add_forwarding_headers(joined, source_ip, server_port, protocol, time_ms)

    domain_name = _hostname(joined.get("host", "")) or "localhost"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = joined
    query = query_string_parameters(raw_query)
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": LOCAL_ACCOUNT_ID,
        "apiId": LOCAL_API_ID,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "http": {
            "method": method.upper(),
            "path": path,
            "protocol": protocol,
            "sourceIp": source_ip,
            "userAgent": joined.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": request_time(time_ms),
        "timeEpoch": time_ms,
    }
    if body:
        if _is_text(joined.get("content-type", "")):
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode("ascii")
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    event.setdefault("isBase64Encoded", False)
    return event


def query_string_parameters(raw_query: str) -> dict[str, str]:
    """Decoded query parameters; a repeated name's values are joined by commas, as AWS does."""
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True, errors="replace"):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def new_request_id() -> str:
    """An id shaped like API Gateway's (`Jp1HkgP7oAMEV1A=`)."""
    return base64.b64encode(secrets.token_bytes(11)).decode("ascii")


def request_time(time_ms: int) -> str:
    """requestContext.time, e.g. `23/Nov/2026:00:00:00 +0000`."""
    moment = datetime.fromtimestamp(time_ms / 1000, UTC)
    return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment.year}:{moment:%H:%M:%S} +0000"


def _split_target(target: str) -> tuple[str, str]:
    if not target.startswith("/"):
        # An absolute-form target (`GET http://host/path HTTP/1.1`): only its path counts.
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    path, _, query = target.partition("#")[0].partition("?")
    return path, query


def _plain_address(address: str) -> str:
    # A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; AWS reports a.b.c.d.
    return address.removeprefix("::ffff:") if "." in address else address


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _add_forwarding_headers(
    headers: dict[str, str], source_ip: str, server_port: int, protocol: str, time_ms: int
) -> None:
    forwarded_for = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded_for}, {source_ip}" if forwarded_for else source_ip
    headers["x-forwarded-port"] = str(server_port)
    headers["x-forwarded-proto"] = "https" if protocol.upper().startswith("HTTPS") else "http"
    headers.setdefault("x-amzn-trace-id", f"Root=1-{time_ms // 1000:08x}-{secrets.token_hex(12)}")


def _is_text(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return (
        not media_type
        or media_type.startswith("text/")
        or media_type in _TEXT_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def http_answer(result: object) -> HttpAnswer:
    """The HTTP response API Gateway makes of the function's result (payload 2.0)."""
    if not isinstance(result, Mapping) or "statusCode" not in result:
        # Without a statusCode, AWS sends the result itself as a JSON body.
        return HttpAnswer(
            200, [("Content-Type", "application/json")], json.dumps(result).encode("utf-8")
        )
    try:
        return _proxy_answer(result)
    except (TypeError, ValueError, binascii.Error):
        return internal_server_error()


def internal_server_error() -> HttpAnswer:
    return HttpAnswer(500, [("Content-Type", "application/json")], INTERNAL_SERVER_ERROR)


def _proxy_answer(result: Mapping[str, Any]) -> HttpAnswer:
    status = int(result["statusCode"])
    if not 100 <= status <= 599:
        raise ValueError(f"status {status} is not an HTTP status")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        if str(name).lower() not in _HOP_BY_HOP:
            headers.append((str(name), _header_value(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if str(name).lower() not in _HOP_BY_HOP:
            headers.extend((str(name), _header_value(value)) for value in values)
    headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or ())
    raw_body = result.get("body")
    if raw_body is None:
        body = b""
    elif result.get("isBase64Encoded"):
        body = base64.b64decode(str(raw_body), validate=True)
    elif isinstance(raw_body, str):
        body = raw_body.encode("utf-8")
    else:
        body = json.dumps(raw_body).encode("utf-8")
    return HttpAnswer(status, headers, body)


def _header_value(value: object) -> str:
    text = "true" if value is True else "false" if value is False else str(value)
    # A header value cannot span lines; a function that tries gets its value cut, not split.
    return text.replace("\r", " ").replace("\n", " ")


@dataclass(frozen=True, slots=True)
class LocalContext:
    """The parts of the Lambda context object that Powertools and the handler read."""

    function_name: str = "lambdactr-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = (
        f"arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT_ID}:function:lambdactr-local"
    )
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/lambdactr-local"
    log_stream_name: str = "local"
    timeout_ms: int = 10_000
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        elapsed_ms = int((time.monotonic() - self.started) * 1000)
        return max(0, self.timeout_ms - elapsed_ms)
