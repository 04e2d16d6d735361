"""The item contract: the schema, DynamoDB's size arithmetic, trimming order and round trips."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdactr.function.item import (
    MAX_ITEM_BYTES,
    SECONDS_PER_DAY,
    InvalidItem,
    PlainItem,
    checked_hit,
    fit,
    from_dynamodb,
    item_size,
    to_dynamodb,
)
from lambdactr.function.sanitize import clean, strip_unprintable


def test_sizes_follow_dynamodb_rules() -> None:
    assert item_size({"ab": "xyz"}) == 5
    assert item_size({"é": "é"}) == 4  # UTF-8 bytes, names included
    assert item_size({"b": True}) == 2
    assert item_size({"n": 1795420800123}) == 1 + 7 + 1  # 13 significant digits: 7 bytes + 1
    assert item_size({"n": 1000}) == 1 + 1 + 1  # trailing zeros are not significant
    assert item_size({"h": {"ab": "c"}}) == 1 + 3 + (2 + 1 + 1)


def test_fit_trims_the_least_useful_fields_first() -> None:
    item: PlainItem = {
        "pk": "f" * 32,
        "path": "/p" * 100,
        "ua": "u" * 250,
        "title": "t" * 120,
        "h": {"sec-ch-ua": "x" * 120, "sec-fetch-dest": "image"},
        "ref": "https://r.example/" + "r" * 200,
    }
    before = dict(item)
    fitted = fit(dict(item), budget=item_size(before) - 100)
    assert "h" not in fitted
    assert fitted["path"] == before["path"]
    assert fitted["ua"] == before["ua"]
    smaller = fit(dict(before), budget=400)
    assert item_size(smaller) <= 400
    assert smaller["pk"] == before["pk"]
    assert "path" in smaller


def test_fit_leaves_small_items_alone() -> None:
    item: PlainItem = {"pk": "a", "path": "/", "h": {"dnt": "0"}}
    assert fit(dict(item)) == item


plain_items = st.dictionaries(
    st.text(min_size=1, max_size=12),
    st.one_of(
        st.text(max_size=50),
        st.integers(min_value=0, max_value=2**53),
        st.booleans(),
        st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4),
    ),
    max_size=10,
)


@given(plain_items)
def test_round_trip_through_dynamodb_types(item: PlainItem) -> None:
    assert from_dynamodb(to_dynamodb(item)) == item


@given(plain_items)
def test_fit_always_meets_the_budget_when_trimmable(item: PlainItem) -> None:
    item = {k: v for k, v in item.items() if k not in ("h", "title", "ref", "ua", "path")}
    item["path"] = "/" + "p" * 5000
    item["ua"] = "u" * 3000
    fitted = fit(dict(item))
    if (
        item_size({k: v for k, v in item.items() if k not in ("path", "ua")})
        <= MAX_ITEM_BYTES - 100
    ):
        assert item_size(fitted) <= MAX_ITEM_BYTES


# A hit exactly as the handler writes one, on 2026-11-23 at 08:00 UTC.
TS = 1_795_420_800_123
NOW = TS / 1000 + 3600
GOOD: PlainItem = {
    "pk": "0123456789abcdef0123456789abcdef",
    "ts": TS,
    "day": "2026-11-23",
    "kind": "css",
    "site": "blog.example.org",
    "path": "/posts/hello/",
    "src": "referer",
    "ref": "https://news.example/",
    "title": "Hello",
    "utm_source": "newsletter",
    "cc": "GB",
    "lang": "en-GB",
    "ua": "Mozilla/5.0 (X11; Linux x86_64) Chrome/142.0.0.0 Safari/537.36",
    "vid": "0123456789abcdef",
    "h": {"sec-fetch-dest": "style", "sec-ch-ua-mobile": "?0"},
    "spec": True,
    "ttl": TS // 1000 + 400 * SECONDS_PER_DAY,
}


def check(item: object, retention_days: int = 400) -> PlainItem:
    return checked_hit(item, retention_days, now=NOW)


def test_a_hit_as_the_handler_writes_it_passes_unchanged() -> None:
    assert check(dict(GOOD)) == GOOD
    assert check({**GOOD, "ttl": TS // 1000 + 30 * SECONDS_PER_DAY}, retention_days=30)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"ip": "81.2.69.160"}, "attribute 'ip' is not part of any hit"),
        ({"pk": "salt#2026-11-23"}, "is not a hit key"),
        ({"ts": 1.5}, "holds 1.5"),
        ({"ts": True}, "holds True"),
        ({"spec": 1}, "holds 1"),
        ({"h": {"cookie": "a=b"}}, "header 'cookie'"),
        ({"h": {"dnt": ["1"]}}, "header 'dnt'"),
        ({"title": "x" * 129}, "more than the 128"),
        ({"title": "\udc80"}, "not valid UTF-8"),
        ({"ttl": 4_102_444_800}, "not within 400 days"),
        ({"ttl": TS // 1000}, "not within 400 days"),
        ({"ts": int(NOW + 2 * SECONDS_PER_DAY) * 1000}, "no time a hit was counted"),
        ({"day": "2026-11-24"}, "not the day of ts"),
        ({"kind": "js"}, "kind 'js'"),
        ({"src": "cookie"}, "src 'cookie'"),
        ({"cc": "\x1b]52;c;SGk=\x07"}, "field 'cc'"),
        ({"vid": "not-hex"}, "field 'vid'"),
        ({"novid": True}, "both vid and novid"),
        ({"path": "no-slash"}, "is not a path"),
    ],
)
def test_an_item_the_handler_could_not_have_written_is_refused(
    change: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidItem, match=re.escape(reason)):
        check({**GOOD, **change})


def test_a_missing_required_field_is_refused() -> None:
    for name in ("pk", "ts", "day", "kind", "path", "ttl"):
        with pytest.raises(InvalidItem):
            check({k: v for k, v in GOOD.items() if k != name})


def test_free_text_goes_through_the_handlers_clean() -> None:
    hostile = "\x1b]52;c;SGk=\x07\x1b[2J[link=https://evil.example]x[/link]\u202e"
    checked = check({**GOOD, "title": hostile, "ua": "\x1b[31mred", "h": {"dnt": "\x00"}})
    assert checked["title"] == clean(hostile, 128)
    assert checked["ua"] == clean("\x1b[31mred", 256)
    assert not any("\x1b" in str(value) for value in checked.values())
    # A value that cleans to nothing is left out, as the handler leaves out empty attributes.
    assert "h" not in checked


def test_strip_unprintable_matches_unicode_categories() -> None:
    unprintable = {"Cc", "Cf", "Zl", "Zp"}
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        category = unicodedata.category(char)
        stripped = strip_unprintable(char) == ""
        if category in unprintable:
            assert stripped, f"U+{code:04X} ({category}) is kept"
        elif category != "Cn":
            # Unassigned in this Python's Unicode may be a format character in a newer one.
            assert not stripped, f"U+{code:04X} ({category}) is stripped"
    assert strip_unprintable("a\u200db\u2028c\U000e0041d\x9be") == "abcde"
