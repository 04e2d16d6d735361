"""The pure core: request in, hit or reason out."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lambdactr.function.config import Config
from lambdactr.function.hit import (
    KEPT_HEADERS,
    BeaconRequest,
    Hit,
    Ignored,
    beacon_params,
    external_referrer,
    hit_from_request,
    primary_language,
)
from lambdactr.function.hosts import host_allowed
from lambdactr.function.item import (
    ITEM_BUDGET_BYTES,
    MAX_ITEM_BYTES,
    NUMBER_MAX_BYTES,
    PlainItem,
    fit,
    item_size,
)

CONFIG = Config()
T = 1795420800123


def request(query: str = "", **headers: str) -> BeaconRequest:
    return BeaconRequest(
        kind="css",
        method="GET",
        raw_query=query,
        headers={k.replace("_", "-"): v for k, v in headers.items()},
        source_ip="81.2.69.160",
        time_ms=T,
    )


def fields(query: str = "", *, config: Config = CONFIG, **headers: str) -> dict[str, object]:
    outcome = hit_from_request(request(query, **headers), config)
    assert isinstance(outcome, Hit), outcome
    return dict(outcome.fields)


@pytest.mark.parametrize(
    ("query", "referer", "site", "path", "src"),
    [
        ("p=/blog/", "https://example.org/", "example.org", "/blog/", "p"),
        ("p=%2Fblog%2F%3Fa%3D1%23top", "https://example.org/", "example.org", "/blog/", "p"),
        ("p=https://Example.ORG:8443/a/b?x=1#f", "", "example.org", "/a/b", "p"),
        ("p=//cdn.example.org/x", "", "cdn.example.org", "/x", "p"),
        ("p=relative/page", "https://example.org/", "example.org", "/relative/page", "p"),
        (
            "",
            "https://example.org/docs/intro?fbclid=1#part",
            "example.org",
            "/docs/intro",
            "referer",
        ),
        ("", "https://example.org", "example.org", "/", "referer"),
        ("p=/caf%25C3%25A9", "https://example.org/", "example.org", "/café", "p"),
        ("p=", "https://example.org/x", "example.org", "/x", "referer"),
        ("p=/only-path", "", None, "/only-path", "p"),
    ],
)
def test_page_resolution(query: str, referer: str, site: str | None, path: str, src: str) -> None:
    got = fields(query, referer=referer)
    assert (got.get("site"), got["path"], got["src"]) == (site, path, src)


@pytest.mark.parametrize(
    ("query", "referer"),
    [
        ("", ""),
        ("", "android-app://com.google.android.gm/"),
        ("p=javascript://alert(1)", ""),
        ("p=https://", ""),
    ],
)
def test_no_page_is_not_counted(query: str, referer: str) -> None:
    assert hit_from_request(request(query, referer=referer), CONFIG) == Ignored("no-page")


def test_click_ids_and_other_params_never_reach_the_item() -> None:
    got = fields(
        "p="
        + "/x?utm_source=a&gclid=G1&fbclid=F1&msclkid=M1&ref=me&utm_campaign=c".replace("&", "%26"),
        referer="https://example.org/",
    )
    assert got["path"] == "/x"
    assert (got["utm_source"], got["utm_campaign"]) == ("a", "c")
    assert not any(v in repr(got) for v in ("G1", "F1", "M1", "gclid", "fbclid"))


@pytest.mark.parametrize(
    ("raw", "site", "expected"),
    [
        (
            "https://www.google.com/search?q=private+words",
            "example.org",
            "https://www.google.com/search",
        ),
        ("http://news.ycombinator.com/", "example.org", "https://news.ycombinator.com/"),
        ("https://example.org/other-page", "example.org", ""),
        ("android-app://com.slack/", "example.org", ""),
        ("not a url", "example.org", ""),
    ],
)
def test_external_referrer(raw: str, site: str, expected: str) -> None:
    assert external_referrer(raw, site) == expected


@pytest.mark.parametrize(
    ("site", "allowed"),
    [
        ("example.org", True),
        ("blog.example.org", True),
        ("a.b.example.org", True),
        ("example.com", False),
        ("badexample.org", False),
        ("example.org.evil.net", False),
    ],
)
def test_allowed_hosts_with_wildcards(site: str, allowed: bool) -> None:
    assert host_allowed(site, ("example.org", "*.example.org")) is allowed


def test_wildcard_alone_does_not_match_the_apex() -> None:
    assert not host_allowed("example.org", ("*.example.org",))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en-US"),
        ("de", "de"),
        ("zh-hant-tw;q=0.8", "zh-hant-TW"),
        ("*", ""),
        ("", ""),
        ("en_US", ""),
    ],
)
def test_primary_language(header: str, expected: str) -> None:
    assert primary_language(header) == expected


def test_beacon_params_take_the_first_value_and_ignore_the_rest() -> None:
    query = "x=1&p=%2Fa&p=%2Fb&t=Hi+there&" + "&".join(f"k{i}=v" for i in range(5000))
    assert beacon_params(query) == {"p": "/a", "t": "Hi there"}


@pytest.mark.parametrize(
    ("headers", "spec"),
    [
        ({"sec_purpose": "prefetch"}, True),
        ({"sec_purpose": "prefetch;prerender"}, True),
        ({"purpose": "prefetch"}, True),
        ({"x_purpose": "preview"}, True),
        ({"x_moz": "prefetch"}, True),
        ({}, False),
    ],
)
def test_speculative_requests_are_marked(headers: dict[str, str], spec: bool) -> None:
    got = fields("p=/x", referer="https://example.org/", **headers)
    assert got.get("spec", False) is spec


def test_time_fields() -> None:
    got = fields("p=/x", referer="https://example.org/", config=Config(retention_days=30))
    assert (got["ts"], got["day"], got["ttl"]) == (T, "2026-11-23", T // 1000 + 30 * 86_400)


# Hostile input for the 1 KB bound: long, multi-byte, control characters and lone surrogates.
hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="é中\U0001f600\x00\x1b\u202e\udc80%/?&=#", max_size=3000),
    st.builds(lambda n: "€" * n, st.integers(0, 70_000)),
)
url_text = st.builds(
    lambda host, path: f"https://{host}/{path}",
    st.text(alphabet=string.ascii_lowercase + "é.-", min_size=1, max_size=400),
    hostile_text,
)


def largest_possible_size(item: PlainItem) -> int:
    """The item's size if DynamoDB counted every number at the most a number can take."""
    return sum(
        len(name.encode())
        + (
            NUMBER_MAX_BYTES
            if isinstance(value, int) and not isinstance(value, bool)
            else item_size({"": value})
        )
        for name, value in item.items()
    )


LONGEST = "€" * 3000  # three bytes a character, far past every field's ceiling


@settings(max_examples=300, deadline=None)
@example(
    p=LONGEST,
    r=f"https://{'é' * 300}/{LONGEST}",
    t=LONGEST,
    referer=f"https://{'é' * 300}/{LONGEST}",
    header_values=[LONGEST] * (len(KEPT_HEADERS) + 3),
)
@given(
    p=st.one_of(hostile_text, url_text),
    r=st.one_of(hostile_text, url_text),
    t=hostile_text,
    # Always a page the hit can fall back on, so every example is stored and measured.
    referer=st.builds(
        lambda host, path: f"https://{host}.example/{path}",
        st.text(alphabet=string.ascii_lowercase + "é-", min_size=1, max_size=400),
        hostile_text,
    ),
    header_values=st.lists(
        hostile_text, min_size=len(KEPT_HEADERS) + 3, max_size=len(KEPT_HEADERS) + 3
    ),
)
def test_every_item_fits_one_write_unit(
    p: str, r: str, t: str, referer: str, header_values: list[str]
) -> None:
    from urllib.parse import quote

    headers = dict(zip(KEPT_HEADERS, header_values, strict=False))
    headers.pop("dnt", None)
    headers.pop("sec-gpc", None)
    headers["referer"] = referer
    headers["user-agent"], headers["accept-language"], headers["cloudfront-viewer-country"] = (
        header_values[-3:]
    )
    query = "&".join(
        f"{name}={quote(value, safe='', errors='replace')}"
        for name, value in zip("prt", (p, r, t), strict=False)
    )
    outcome = hit_from_request(
        BeaconRequest("gif", "GET", query, headers, "2a02:8108::1", T), CONFIG
    )
    assert isinstance(outcome, Hit), outcome
    item = fit({"pk": "f" * 32, "vid": "a" * 16, **outcome.fields})
    assert item_size(item) <= ITEM_BUDGET_BYTES
    # AWS gives a number's size only approximately: even counted at their largest, the numbers
    # leave the item inside one write unit.
    assert largest_possible_size(item) <= MAX_ITEM_BYTES
    for name in ("ts", "day", "kind", "src", "ttl", "pk", "vid"):
        assert name in item  # trimming never touches the fields every report needs
