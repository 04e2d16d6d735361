"""The item stored for each sample event in events/."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lambdactr.function.item import MAX_ITEM_BYTES, item_size
from tests.support.counter import Counter

CHROME_CLIENT_HINTS = {
    "sec-ch-ua": '"Chromium";v="142", "Google Chrome";v="142", "Not_A Brand";v="99"',
    "sec-ch-ua-mobile": "?0",
    "sec-ch-ua-platform": '"Linux"',
}
EVENT_TIME_MS = 1795420800123
RETENTION_SECONDS = 400 * 86_400


def only_item(counter: Counter) -> dict[str, Any]:
    items = counter.items()
    assert len(items) == 1
    item = dict(items[0])
    assert re.fullmatch(r"[0-9a-f]{32}", str(item.pop("pk")))
    assert re.fullmatch(r"[0-9a-f]{16}", str(item.pop("vid")))
    return item


def test_css_event_with_full_referer(counter: Counter, event_named: Any) -> None:
    event = event_named("css")
    counter.invoke(event)
    assert only_item(counter) == {
        "ts": EVENT_TIME_MS,
        "day": "2026-11-23",
        "kind": "css",
        "site": "blog.example.org",
        "path": "/posts/hello-world/",
        "src": "referer",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "cc": "GB",
        "lang": "en-GB",
        "ua": event["headers"]["user-agent"],
        "h": {
            **CHROME_CLIENT_HINTS,
            "sec-fetch-dest": "style",
            "sec-fetch-mode": "no-cors",
            "sec-fetch-site": "cross-site",
        },
        "ttl": EVENT_TIME_MS // 1000 + RETENTION_SECONDS,
    }


def test_gif_event_with_page_referrer_title_and_campaign(
    counter: Counter, event_named: Any
) -> None:
    event = event_named("gif")
    counter.invoke(event)
    assert only_item(counter) == {
        "ts": EVENT_TIME_MS,
        "day": "2026-11-23",
        "kind": "gif",
        "site": "blog.example.org",
        "path": "/posts/hello-world/",
        "src": "p",
        "ref": "https://news.ycombinator.com/item",
        "title": "Hello, world",
        "utm_source": "mastodon",
        "utm_medium": "social",
        "utm_campaign": "launch",
        "cc": "DE",
        "lang": "de-DE",
        "ua": event["headers"]["user-agent"],
        "h": {
            "sec-fetch-dest": "image",
            "sec-fetch-mode": "no-cors",
            "sec-fetch-site": "cross-site",
        },
        "ttl": EVENT_TIME_MS // 1000 + RETENTION_SECONDS,
    }


def test_origin_only_referer_is_stored_as_the_root(counter: Counter, event_named: Any) -> None:
    counter.invoke(event_named("origin-referer"))
    item = only_item(counter)
    assert (item["site"], item["path"], item["src"]) == ("blog.example.org", "/", "referer")
    assert "cc" not in item  # 203.0.113.0/24 is a documentation range, not a country


def test_prefetch_is_stored_and_marked_speculative(counter: Counter, event_named: Any) -> None:
    response = counter.invoke(event_named("prefetch"))
    assert "X-Lambdactr-Ignored" not in response["headers"]
    item = only_item(counter)
    assert item["spec"] is True
    assert item["path"] == "/about/"
    assert item["h"]["sec-purpose"] == "prefetch;prerender"


@pytest.mark.parametrize(("name", "reason"), [("dnt", "dnt"), ("gpc", "gpc"), ("head", "head")])
def test_opted_out_and_head_requests_are_answered_not_stored(
    counter: Counter, event_named: Any, name: str, reason: str
) -> None:
    response = counter.invoke(event_named(name))
    assert response["statusCode"] == 200
    assert response["headers"]["X-Lambdactr-Ignored"] == reason
    assert counter.items() == []


def test_dnt_is_stored_when_the_operator_turns_respect_off(
    counter: Counter, event_named: Any
) -> None:
    counter.configure(respect_dnt=False)
    counter.invoke(event_named("dnt"))
    counter.invoke(event_named("gpc"))
    items = counter.items()
    assert len(items) == 2
    assert sorted(str(item["h"].get("dnt") or item["h"].get("sec-gpc")) for item in items) == [
        "1",
        "1",
    ]  # type: ignore[union-attr]


def test_disallowed_host_is_answered_not_stored(counter: Counter, event_named: Any) -> None:
    counter.configure(allowed_hosts=("example.org", "*.example.org"))
    response = counter.invoke(event_named("disallowed-host"))
    assert response["statusCode"] == 200
    assert response["headers"]["X-Lambdactr-Ignored"] == "host"
    assert counter.items() == []
    counter.invoke(event_named("css"))
    assert [item["site"] for item in counter.items()] == ["blog.example.org"]


def test_without_allowed_hosts_every_site_counts(counter: Counter, event_named: Any) -> None:
    counter.invoke(event_named("disallowed-host"))
    assert [item["site"] for item in counter.items()] == ["copycat.example.net"]


def test_hostile_event_is_stored_small_clean_and_without_secrets(
    counter: Counter, event_named: Any
) -> None:
    response = counter.invoke(event_named("hostile"))
    assert response["statusCode"] == 200
    items = counter.items()
    assert len(items) == 1
    item = items[0]
    assert item_size(item) <= MAX_ITEM_BYTES
    assert str(item["path"]).startswith("/hostile path")
    text = repr(item)
    for secret in ("secret", "81.2.69.160", '"abc"', "x-junk"):
        assert secret not in text
    for value in (v for v in item.values() if isinstance(v, str)):
        assert not re.search("[\x00-\x1f\x7f-\x9f\u202e]", value)
        value.encode("utf-8")  # valid UTF-8: no lone surrogates
