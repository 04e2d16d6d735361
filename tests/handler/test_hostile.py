"""Hypothesis over the whole handler: any request API Gateway can deliver, on a moto table.

Whatever arrives (any method, path, query, header names and values with lone surrogates,
control characters, 64 KB values, 2,000 headers, the same name in several cases, cookies and
bodies, base64 or not), the answer is the beacon or a 404, and anything stored is at most 1 KB
and holds no address and nothing from a header that must never be kept.
"""

from __future__ import annotations

import base64
import io
import ipaddress
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from lambdactr.function.beacon import CONTENT_TYPES, TRANSPARENT_GIF
from lambdactr.function.config import Config
from lambdactr.function.hit import KEPT_HEADERS, NEVER_STORED_HEADERS
from lambdactr.function.item import (
    MAX_ITEM_BYTES,
    checked_hit,
    from_dynamodb,
    is_hit_key,
    item_size,
)
from lambdactr.function.store import Store, make_client
from tests.support.badge import read_badge
from tests.support.function import Wire, handler_log_into, invoke
from tests.support.tables import create_tables

TABLE = "lambdactr-hostile-hits"
# Enough to meet every shape below in each run while the suite stays quick; raise it to hunt.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "200"))
READ_HEADERS = (*KEPT_HEADERS, "user-agent", "accept-language", "referer")
BEACON_PATHS = {"/c.css": "css", "/c.gif": "gif", "/c.svg": "svg"}

# Any code point, lone surrogates and control characters included: what JSON can carry.
any_char = st.characters(exclude_categories=())
any_text = st.text(any_char, max_size=40)
non_empty_text = st.text(any_char, min_size=1, max_size=40)


def cased(names: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(names, st.sampled_from([str.lower, str.upper, str.title, str.swapcase])).map(
        lambda pair: pair[1](pair[0])
    )


header_name = st.one_of(cased(st.sampled_from(READ_HEADERS + NEVER_STORED_HEADERS)), any_text)
url_text = st.one_of(
    any_text,
    st.builds(
        lambda scheme, host, path: f"{scheme}://{host}/{path}",
        st.sampled_from(["https", "http", "HTTPS", "ftp", "javascript"]),
        st.one_of(st.sampled_from(["blog.example.org", "b\u00fccher.example", "[::1]"]), any_text),
        any_text,
    ),
)


def sixty_four_kb(chunk: str) -> str:
    return (chunk * (65536 // len(chunk) + 1))[:65536]


def long_text(chunk: str) -> str:
    """Longer than any field keeps."""
    return (chunk * (300 // len(chunk) + 1))[:300]


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    """Ordinary, duplicated-in-case, huge or very many: the header maps hostile clients send."""
    result = draw(st.dictionaries(header_name, st.one_of(any_text, url_text), max_size=12))
    if draw(st.booleans()):
        result["referer"] = draw(st.one_of(st.just("https://blog.example.org/posts/"), url_text))
    for name in draw(st.lists(st.sampled_from(READ_HEADERS), max_size=4)):
        # The same header under several spellings; API Gateway passes each one through.
        for spelling in {name, name.upper(), name.title()}:
            result[spelling] = draw(st.one_of(any_text, url_text))
    shape = draw(st.sampled_from(["plain", "every header read", "huge values", "many headers"]))
    if shape == "every header read":
        # Each one long: the items that press on the 1 KB bound.
        result.update((name, long_text(draw(non_empty_text))) for name in READ_HEADERS)
    elif shape == "huge values":
        for name in draw(st.lists(header_name, min_size=1, max_size=3)):
            result[name] = sixty_four_kb(draw(non_empty_text))
    elif shape == "many headers":
        value = draw(any_text)
        result.update({f"x-junk-{number}": value for number in range(2000)})
    return result


page = st.one_of(
    st.sampled_from(["/posts/hello/", "https://blog.example.org/a?utm_source=x", "//b.example/"]),
    url_text,
    any_text,
)
crowded_query = st.builds(
    lambda host, path, utm, referrer, title: (
        (
            f"p=https://{host}/{path}?utm_source={utm}&utm_medium={utm}&utm_campaign={utm}"
            f"&r=https://{referrer}/{path}&t={title}"
        )
        .replace("?", "%3F", 1)
        .replace("&utm", "%26utm")
    ),
    *(non_empty_text.map(long_text) for _ in range(5)),
)
query = st.one_of(
    page.map(lambda value: f"p={value}"),
    crowded_query,
    st.builds(
        lambda pairs: "&".join(f"{k}={v}" for k, v in pairs),
        st.lists(
            st.tuples(
                st.one_of(
                    st.sampled_from(["p", "r", "t", "label", "utm_source", "P", "p%00"]), any_text
                ),
                st.one_of(page, any_text),
            ),
            max_size=8,
        ),
    ),
    any_text,
    non_empty_text.map(sixty_four_kb),
)


def mostly(
    usual: st.SearchStrategy[str], unusual: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """Usually what a browser sends, so that most requests are stored and their items checked."""
    return st.integers(0, 9).flatmap(lambda roll: usual if roll < 7 else unusual)


path = mostly(
    st.sampled_from(list(BEACON_PATHS)),
    st.one_of(
        st.sampled_from(["/", "/c.css/", "/C.CSS", "//c.gif", "/prod/c.css", "/c-gif", "/c.gif\n"]),
        any_text,
    ),
)
method = mostly(
    st.just("GET"), st.one_of(st.sampled_from(["HEAD", "POST", "OPTIONS", "get"]), any_text)
)


def distinctive(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Public, and long enough that finding it stored can only mean a leak."""
    return address.is_global and len(str(address)) >= 11


public_address = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).filter(distinctive).map(str)


@dataclass
class Request:
    event: dict[str, Any]
    # Text that must never be stored or logged: addresses and forbidden header values.
    secrets: list[str]
    # Everything a visitor may legitimately have written into the stored fields.
    readable: str


@st.composite
def requests(draw: st.DrawFn) -> Request:
    marker = "M" + draw(st.uuids()).hex
    source_ip = draw(public_address)
    forwarded_ip = draw(public_address)
    event_headers = draw(headers())
    raw_query = draw(query)
    readable = "\n".join([raw_query, *event_headers, *event_headers.values()])
    for name in draw(st.lists(st.sampled_from(NEVER_STORED_HEADERS), min_size=1, unique=True)):
        spelling = draw(cased(st.just(name)))
        event_headers[spelling] = f"{forwarded_ip}, {marker}-{name}-{draw(any_text)}"
    request_path = draw(path)
    request_method = draw(method)
    body = draw(st.one_of(st.none(), any_text, st.binary(max_size=64).map(base64.b64encode)))
    time_epoch = draw(
        st.one_of(
            st.integers(1_700_000_000_000, 2_000_000_000_000),
            st.integers(),
            st.none(),
            any_text,
        )
    )
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request_path,
        "rawQueryString": raw_query,
        "headers": event_headers,
        "cookies": [f"{marker}-cookie-{value}" for value in draw(st.lists(any_text, max_size=4))],
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "http": {
                "method": request_method,
                "path": request_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": draw(any_text),
            },
            "requestId": "Jp1HkgP7oAMEV1A=",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": time_epoch,
        },
        "isBase64Encoded": draw(st.booleans()),
    }
    if body is not None:
        event["body"] = body if isinstance(body, str) else body.decode()
    if draw(st.booleans()):
        event["queryStringParameters"] = draw(st.dictionaries(any_text, any_text, max_size=4))
    return Request(event=event, secrets=[marker, source_ip, forwarded_ip], readable=readable)


@dataclass
class Table:
    client: Any
    log: io.StringIO

    def take_hits(self) -> list[dict[str, Any]]:
        """The hits stored since the last call, removed so that each example starts empty."""
        raw = [i for i in self.client.scan(TableName=TABLE)["Items"] if is_hit_key(i["pk"]["S"])]
        for item in raw:
            self.client.delete_item(TableName=TABLE, Key={"pk": item["pk"]})
        return raw


@contextmanager
def handler_on_moto(wire_handler: Wire) -> Iterator[Table]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(client, TABLE)
        wire_handler(Store(TABLE, make_client()))
        log = io.StringIO()
        with handler_log_into(log):
            yield Table(client, log)


def assert_beacon_or_not_found(request: Request, response: dict[str, Any]) -> None:
    status = response["statusCode"]
    assert status in (200, 404), response
    http = request.event["requestContext"]["http"]
    kind = BEACON_PATHS.get(request.event["rawPath"])
    if kind and http["method"] in ("GET", "HEAD"):
        assert status == 200
    if status == 404:
        return
    # Python's "$" also matches before a final newline, which no HTTP request line can carry.
    beacon_kind = BEACON_PATHS.get(request.event["rawPath"].removesuffix("\n"))
    assert beacon_kind, f"{request.event['rawPath']!r} answered as a beacon"
    content_type = response["headers"]["Content-Type"]
    assert content_type == CONTENT_TYPES[beacon_kind]  # type: ignore[index]
    if content_type == CONTENT_TYPES["gif"] and http["method"] == "GET":
        assert base64.b64decode(response["body"]) == TRANSPARENT_GIF
    if content_type == CONTENT_TYPES["css"]:
        assert response["body"] == ""
    if content_type == CONTENT_TYPES["svg"] and http["method"] == "GET":
        # Whatever the label and page, the badge is well-formed and small.
        assert len(response["body"].encode()) < 1024
        read_badge(response["body"])


def test_any_request_gets_the_beacon_or_a_404_and_stores_nothing_it_must_not(
    wire_handler: Wire, capsys: pytest.CaptureFixture[str]
) -> None:
    counts = {"examples": 0, "stored": 0, "404": 0}
    with handler_on_moto(wire_handler) as table:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(requests())
        def check(request: Request) -> None:
            table.log.seek(0)
            table.log.truncate()
            response = invoke(request.event)
            assert_beacon_or_not_found(request, response)

            stored = table.take_hits()
            assert len(stored) <= 1
            written = json.dumps(stored, ensure_ascii=False) + table.log.getvalue()
            for item in stored:
                plain = from_dynamodb(item)
                assert item_size(plain) <= MAX_ITEM_BYTES
                # Replay's schema accepts whatever the handler writes, field for field.
                checked = checked_hit(plain, Config().retention_days, now=int(plain["ts"]) / 1000)
                assert checked.keys() == plain.keys()
            for secret in request.secrets:
                # An address the visitor also typed into the page's URL is theirs to store.
                if secret not in request.readable:
                    assert secret not in written
            counts["examples"] += 1
            counts["stored"] += len(stored)
            counts["404"] += response["statusCode"] == 404

        check()
    with capsys.disabled():
        print(f"\nhostile handler: {counts}")
    # The generator must actually reach the code that stores, or the privacy checks prove nothing.
    assert counts["stored"] >= counts["examples"] // 10
