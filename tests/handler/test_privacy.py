"""Each privacy rule, proven on what actually lands in the table."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from typing import Any

import pytest

from lambdactr.function.config import Config
from lambdactr.function.hit import KEPT_HEADERS, NEVER_STORED_HEADERS
from lambdactr.function.item import HEADER_VALUE_MAX_BYTES
from tests.support.counter import TABLE, Counter
from tests.support.events import FORBIDDEN_HEADERS


def test_every_never_stored_header_is_exercised() -> None:
    assert set(FORBIDDEN_HEADERS) == set(NEVER_STORED_HEADERS)


ADDRESSES = ["81.2.69.160", "2a02:8108:1:2::3", "127.0.0.1", "10.1.2.3", "::1", "192.168.0.7"]


def stored_text(counter: Counter) -> str:
    return repr(counter.items()) + repr(counter.client.scan(TableName=TABLE))


@pytest.mark.parametrize("address", ADDRESSES)
def test_no_address_or_credential_is_ever_stored(
    counter: Counter, event_named: Any, address: str
) -> None:
    for name in ("css", "gif", "prefetch", "origin-referer", "hostile"):
        event = event_named(name)
        event["requestContext"]["http"]["sourceIp"] = address
        event["headers"].update(FORBIDDEN_HEADERS)
        event["cookies"] = ["session=s3cr3t-cookie", "other=t0ken"]
        counter.invoke(event)
    assert len(counter.items()) == 5
    text = stored_text(counter)
    # In any spelling: as sent, compressed, written out in full, or as bare hex digits.
    ip = ipaddress.ip_address(address)
    for spelling in {address, ip.compressed, ip.exploded, ip.exploded.replace(":", "")}:
        assert spelling not in text
    for value in [*FORBIDDEN_HEADERS.values(), "t0ken"]:
        assert value not in text
    for fragment in ("198.51.100", "s3cr3t", "c2VjcmV0", "e7a1c0ffee", "private-host"):
        assert fragment not in text


def test_only_allowlisted_headers_are_kept(counter: Counter, event_named: Any) -> None:
    event = event_named("css")
    event["headers"].update({"x-custom": "1", "accept": "text/css", "origin": "https://a.example"})
    event["headers"].update({name: "v" for name in KEPT_HEADERS if name not in ("dnt", "sec-gpc")})
    counter.invoke(event)
    (item,) = counter.items()
    assert set(item) <= {
        "pk",
        "ts",
        "day",
        "kind",
        "site",
        "path",
        "src",
        "ref",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "title",
        "cc",
        "vid",
        "lang",
        "ua",
        "h",
        "spec",
        "ttl",
        "novid",
    }
    assert set(item["h"]) == set(KEPT_HEADERS) - {"dnt", "sec-gpc"}  # type: ignore[arg-type]


def test_kept_values_are_truncated_printable_utf8(counter: Counter, event_named: Any) -> None:
    event = event_named("css")
    event["headers"]["sec-ch-ua-platform"] = "\x1b[2J\u202e" + "\udc80" + "é" * 500
    event["headers"]["user-agent"] = "Agent\x00\x07/1.0 " + "z" * 5000
    counter.invoke(event)
    (item,) = counter.items()
    platform = item["h"]["sec-ch-ua-platform"]  # type: ignore[index]
    assert len(platform.encode()) <= HEADER_VALUE_MAX_BYTES
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202e\udc80]", platform)
    assert str(item["ua"]).startswith("Agent /1.0 zzz")
    assert len(str(item["ua"]).encode()) <= 256


@pytest.mark.parametrize(
    ("address", "viewer_country", "expected"),
    [
        ("81.2.69.160", None, "GB"),
        ("8.8.8.8", None, "US"),
        ("2a02:8108:1:2::3", None, "DE"),
        ("81.2.69.160", "fr", "GB"),  # anyone can send CloudFront's header: not trusted
        ("127.0.0.1", None, None),
        ("10.0.0.8", None, None),
        ("192.168.1.1", None, None),
        ("::1", None, None),
        ("not-an-ip", None, None),
        ("81.2.69.160", "bogus", "GB"),
    ],
)
def test_country_from_address_then_discarded(
    counter: Counter,
    event_named: Any,
    address: str,
    viewer_country: str | None,
    expected: str | None,
) -> None:
    event = event_named("css")
    event["requestContext"]["http"]["sourceIp"] = address
    if viewer_country:
        event["headers"]["cloudfront-viewer-country"] = viewer_country
    counter.invoke(event)
    (item,) = counter.items()
    assert item.get("cc") == expected
    assert address not in repr(item)


@pytest.mark.parametrize(
    ("trusted", "viewer_country", "expected"),
    [
        (True, "fr", "FR"),  # behind CloudFront, its own lookup wins
        (True, "bogus", "GB"),
        (True, None, "GB"),
        (False, "fr", "GB"),
    ],
)
def test_cloudfront_country_is_read_only_when_trusted(
    counter: Counter,
    event_named: Any,
    trusted: bool,
    viewer_country: str | None,
    expected: str,
) -> None:
    counter.configure(trust_cloudfront_headers=trusted)
    event = event_named("css")
    event["requestContext"]["http"]["sourceIp"] = "81.2.69.160"
    if viewer_country:
        event["headers"]["cloudfront-viewer-country"] = viewer_country
    counter.invoke(event)
    (item,) = counter.items()
    assert item.get("cc") == expected


def test_cloudfront_headers_are_not_trusted_by_default() -> None:
    assert Config().trust_cloudfront_headers is False
    assert Config.from_env({}).trust_cloudfront_headers is False
    assert Config.from_env({"TRUST_CLOUDFRONT_HEADERS": "true"}).trust_cloudfront_headers


def salt_of(counter: Counter) -> bytes:
    (salt_item,) = counter.salt_items()
    return bytes(salt_item["salt"]["B"])


def test_visitor_id_is_a_keyed_hash_under_the_daily_salt(
    counter: Counter, event_named: Any
) -> None:
    event = event_named("css")
    counter.invoke(event)
    (item,) = counter.items()
    salt = salt_of(counter)
    message = "\n".join(("blog.example.org", "81.2.69.160", event["headers"]["user-agent"]))
    assert item["vid"] == hmac.new(salt, message.encode(), hashlib.sha256).hexdigest()[:16]


def test_same_visitor_same_day_shares_a_vid_others_do_not(
    counter: Counter, event_named: Any
) -> None:
    def view(page: str, **changes: Any) -> None:
        event = event_named("css")
        event["rawQueryString"] = f"p={page}"
        if "ua" in changes:
            event["headers"]["user-agent"] = changes["ua"]
        if "ip" in changes:
            event["requestContext"]["http"]["sourceIp"] = changes["ip"]
        event["requestContext"]["timeEpoch"] += changes.get("later_ms", 0)
        # The handler's own clock picks the day's salt; API Gateway's stamp agrees with it.
        counter.clock.now = start + changes.get("later_ms", 0) / 1000
        counter.invoke(event)

    start = 1795424400.0  # 2026-11-23T09:00:00Z, as the events are stamped
    view("/first")
    view("/second", later_ms=3_600_000)
    view("/other-browser", ua="Mozilla/5.0 (Macintosh) Safari/605.1.15")
    view("/other-address", ip="81.2.69.161")
    view("/next-day", later_ms=86_400_000)
    vid = {item["path"]: item["vid"] for item in counter.items()}
    assert vid["/first"] == vid["/second"]
    assert len({vid["/first"], vid["/other-browser"], vid["/other-address"], vid["/next-day"]}) == 4
    # The next day's salt replaced the first one: one salt is kept, never more.
    assert len(counter.salt_items()) == 1


def test_salt_item_is_random_and_expires_at_the_end_of_its_day(
    counter: Counter, event_named: Any
) -> None:
    counter.clock.now = 1795424400.0  # 2026-11-23T09:00:00Z
    counter.invoke(event_named("css"))
    (salt_item,) = counter.salt_items()
    assert set(salt_item) == {"pk", "salt", "ttl"}
    assert len(bytes(salt_item["salt"]["B"])) == 32
    assert int(salt_item["ttl"]["N"]) == 1795478400  # 2026-11-24T00:00:00Z
