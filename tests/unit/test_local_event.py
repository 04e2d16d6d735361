"""The local server's translation: HTTP request → payload 2.0 event → HTTP response."""

from __future__ import annotations

import base64
import json
from typing import Any

from lambdactr.local.event import http_answer, http_api_event, query_string_parameters
from tests.support.events import load_event

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"
TIME_MS = 1_795_392_000_123  # 2026-11-23T00:00:00.123Z


def build(**overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": "GET",
        "target": "/c.css?p=/posts/a/&t=Hello%20world",
        "headers": [
            ("Host", "127.0.0.1:3000"),
            ("User-Agent", UA),
            ("Referer", "http://localhost:8080/posts/a/"),
            ("Accept", "text/css,*/*;q=0.1"),
        ],
        "body": b"",
        "source_ip": "127.0.0.1",
        "server_port": 3000,
        "time_ms": TIME_MS,
        "request_id": "Jp1HkgP7oAMEV1A=",
    }
    request.update(overrides)
    return http_api_event(**request)


def keys(value: Any, prefix: str = "") -> set[str]:
    """Every field's dotted name, without descending into the header and query maps."""
    found = set()
    for key, inner in value.items():
        found.add(prefix + key)
        if isinstance(inner, dict) and key not in ("headers", "queryStringParameters"):
            found |= keys(inner, f"{prefix}{key}.")
    return found


def test_event_has_the_shape_of_the_sample_api_gateway_events() -> None:
    event = build(headers=[("Host", "x"), ("Cookie", "a=1")])
    sample = load_event("css")

    assert keys(event) - {"queryStringParameters"} == keys(sample)


def test_event_top_level_and_request_context() -> None:
    event = build()

    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/c.css"
    assert event["rawQueryString"] == "p=/posts/a/&t=Hello%20world"
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    context = event["requestContext"]
    assert context["routeKey"] == "$default"
    assert context["stage"] == "$default"
    assert context["requestId"] == "Jp1HkgP7oAMEV1A="
    assert context["timeEpoch"] == TIME_MS
    assert context["time"] == "23/Nov/2026:00:00:00 +0000"
    assert context["domainName"] == "127.0.0.1"
    assert context["http"] == {
        "method": "GET",
        "path": "/c.css",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": UA,
    }


def test_domain_name_is_the_host_without_its_port() -> None:
    context = build(headers=[("Host", "stats.example.test:41000")])["requestContext"]
    assert context["domainName"] == "stats.example.test"
    assert context["domainPrefix"] == "stats"


def test_query_parameters_are_decoded_and_repeats_joined_by_commas() -> None:
    event = build(target="/c.gif?p=%2Fa%2F&x=1&x=2&flag&t=a+b")
    assert event["queryStringParameters"] == {"p": "/a/", "x": "1,2", "flag": "", "t": "a b"}
    assert event["rawQueryString"] == "p=%2Fa%2F&x=1&x=2&flag&t=a+b"


def test_query_parameters_are_omitted_when_there_is_no_query() -> None:
    event = build(target="/c.gif")
    assert "queryStringParameters" not in event
    assert event["rawQueryString"] == ""
    assert query_string_parameters("") == {}


def test_headers_are_lower_case_and_repeats_joined_by_commas() -> None:
    event = build(headers=[("Host", "h"), ("X-Thing", "one"), ("x-thing", "two"), ("DNT", "1")])
    headers = event["headers"]
    assert headers["x-thing"] == "one,two"
    assert headers["dnt"] == "1"
    assert all(name == name.lower() for name in headers)


def test_cookies_move_from_the_header_to_their_own_array() -> None:
    event = build(headers=[("Host", "h"), ("Cookie", "a=1; b=2"), ("Cookie", "c=3")])
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert "cookie" not in event["headers"]
    assert "cookies" not in build()


def test_forwarding_headers_are_added_as_api_gateway_does() -> None:
    headers = build(source_ip="::ffff:192.0.2.7")["headers"]
    assert headers["x-forwarded-for"] == "192.0.2.7"
    assert headers["x-forwarded-port"] == "3000"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    spoofed = build(headers=[("X-Forwarded-For", "203.0.113.9")])["headers"]
    assert spoofed["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"


def test_text_body_is_kept_and_binary_body_is_base64() -> None:
    text = build(method="POST", body=b'{"a": 1}', headers=[("Content-Type", "application/json")])
    assert text["body"] == '{"a": 1}'
    assert text["isBase64Encoded"] is False
    binary = build(method="POST", body=b"\x00\xff", headers=[("Content-Type", "image/png")])
    assert base64.b64decode(binary["body"]) == b"\x00\xff"
    assert binary["isBase64Encoded"] is True


def test_answer_decodes_base64_bodies_and_keeps_headers() -> None:
    answer = http_answer(
        {
            "statusCode": 200,
            "headers": {"Content-Type": "image/gif", "ETag": '"x"', "Content-Length": "999"},
            "body": base64.b64encode(b"GIF89a").decode(),
            "isBase64Encoded": True,
            "cookies": [],
        }
    )
    assert answer.status == 200
    assert answer.body == b"GIF89a"
    assert ("Content-Type", "image/gif") in answer.headers
    assert ("ETag", '"x"') in answer.headers
    assert not any(name.lower() == "content-length" for name, _ in answer.headers)


def test_answer_turns_cookies_and_multi_value_headers_into_repeated_headers() -> None:
    answer = http_answer(
        {
            "statusCode": 302,
            "headers": {"Location": "/"},
            "multiValueHeaders": {"Vary": ["Accept", "Origin"]},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": "",
        }
    )
    assert answer.status == 302
    assert [v for n, v in answer.headers if n == "Set-Cookie"] == ["a=1; Path=/", "b=2"]
    assert [v for n, v in answer.headers if n == "Vary"] == ["Accept", "Origin"]


def test_a_result_without_status_code_is_sent_as_json() -> None:
    answer = http_answer({"hello": "world"})
    assert answer.status == 200
    assert ("Content-Type", "application/json") in answer.headers
    assert json.loads(answer.body) == {"hello": "world"}


def test_a_malformed_result_is_a_500_like_api_gateway() -> None:
    for result in (
        {"statusCode": "teapot"},
        {"statusCode": 99},
        {"statusCode": 200, "body": "not base64!", "isBase64Encoded": True},
    ):
        answer = http_answer(result)
        assert answer.status == 500
        assert json.loads(answer.body) == {"message": "Internal Server Error"}


def test_header_values_cannot_break_the_response() -> None:
    answer = http_answer({"statusCode": 200, "headers": {"X-A": "one\r\nSet-Cookie: evil=1"}})
    assert answer.headers == [("X-A", "one  Set-Cookie: evil=1")]
