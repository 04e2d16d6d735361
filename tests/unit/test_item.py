"""The item contract: the schema, DynamoDB's size arithmetic, trimming order and round trips."""

from __future__ import annotations

import re
import string
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdactr.function.item import (
    MAX_ITEM_BYTES,
    SECONDS_PER_DAY,
    TRIM_ORDER,
    InvalidItem,
    PlainItem,
    checked_hit,
    fit,
    from_dynamodb,
    item_size,
    to_dynamodb,
)
from lambdactr.function.sanitize import clean, strip_unprintable

# The published rules, "DynamoDB item sizes and formats":
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
# and the worked example under "Item size" in "Constraints in Amazon DynamoDB":
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-items


def test_the_documented_example_item_is_23_bytes() -> None:
    # "an item with two attributes: one attribute named "shirt-color" with value "R" and another
    # attribute named "shirt-size" with value "M". The total size of that item is 23 bytes."
    assert item_size({"shirt-color": "R", "shirt-size": "M"}) == 23


@pytest.mark.parametrize(
    ("item", "size", "rule"),
    [
        # "The size of a string is (number of UTF-8-encoded bytes of attribute name) + (number of
        # UTF-8-encoded bytes)."
        ({"ab": "xyz"}, 2 + 3, "string"),
        ({"é": "é"}, 2 + 2, "string: UTF-8 bytes, not characters, names included"),
        ({"path": "/€/"}, 4 + 5, "string: a three-byte character"),
        ({"ua": ""}, 2 + 0, "string: empty"),
        # "Numbers are variable length, with up to 38 significant digits. Leading and trailing
        # zeroes are trimmed. The size of a number is approximately (number of UTF-8-encoded
        # bytes of attribute name) + (1 byte per two significant digits) + (1 byte)."
        ({"n": 7}, 1 + 1 + 1, "number: one digit"),
        ({"n": 12}, 1 + 1 + 1, "number: two digits, one byte"),
        ({"n": 123}, 1 + 2 + 1, "number: three digits, two bytes"),
        ({"n": 1000}, 1 + 1 + 1, "number: trailing zeros are trimmed"),
        ({"n": 1001}, 1 + 2 + 1, "number: zeros between digits count"),
        ({"n": 0}, 1 + 1 + 1, "number: zero"),
        ({"ts": 1795420800123}, 2 + 7 + 1, "number: epoch milliseconds, 13 digits"),
        ({"ttl": 1830000000}, 3 + 2 + 1, "number: epoch seconds, trailing zeros trimmed"),
        ({"ttl": 1829952123}, 3 + 5 + 1, "number: epoch seconds, 10 digits"),
        # "The size of a null attribute or a Boolean attribute is (number of UTF-8-encoded bytes
        # of attribute name) + (1 byte)."
        ({"spec": True}, 4 + 1, "boolean"),
        ({"novid": False}, 5 + 1, "boolean: false"),
        # "An attribute of type List or Map requires 3 bytes of overhead, regardless of its
        # contents. The size of a List or Map is (number of UTF-8-encoded bytes of attribute
        # name) + sum (size of nested elements) + (3 bytes). The size of an empty List or Map is
        # (number of UTF-8-encoded bytes of attribute name) + (3 bytes)." and "Each List or Map
        # element also requires 1 byte of overhead." A map element is its name and its value.
        ({"h": {}}, 1 + 3, "map: empty"),
        ({"h": {"ab": "c"}}, 1 + 3 + (2 + 1) + 1, "map: one element"),
        (
            {"h": {"dnt": "1", "sec-fetch-dest": "image"}},
            1 + 3 + (3 + 1) + 1 + (14 + 5) + 1,
            "map: two elements",
        ),
        # "The total size of an item is the sum of the lengths of its attribute names and values"
        (
            {"pk": "f" * 32, "ts": 1795420800123, "spec": True, "h": {"dnt": "1"}},
            (2 + 32) + (2 + 7 + 1) + (4 + 1) + (1 + 3 + (3 + 1) + 1),
            "item: the sum of its attributes",
        ),
    ],
)
def test_sizes_follow_the_published_rules(item: PlainItem, size: int, rule: str) -> None:
    assert item_size(item) == size, rule


def test_a_negative_number_is_never_counted_smaller() -> None:
    # The rules say nothing of the sign; the Lambda stores no negative number, and counting
    # one byte more for it keeps the estimate on the safe side.
    assert item_size({"n": -12}) >= item_size({"n": 12})


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
def test_fit_meets_the_budget_or_trims_everything_it_may(item: PlainItem) -> None:
    item["path"] = "/" + "p" * 5000
    item["ua"] = "u" * 3000
    fitted = fit(dict(item))
    over_budget = item_size(fitted) > MAX_ITEM_BYTES
    trimmable_left = set(fitted) & set(TRIM_ORDER)
    # Over budget only when the item was too big even without every field fit may trim.
    assert not (over_budget and trimmable_left)
    assert {k: v for k, v in fitted.items() if k not in TRIM_ORDER} == {
        k: v for k, v in item.items() if k not in TRIM_ORDER
    }


# Fields fit never trims, small enough together that every item can be made to fit.
ascii_text = st.text(alphabet=string.printable, max_size=50)
untrimmable_fields = st.dictionaries(
    st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=12).filter(
        lambda name: name not in TRIM_ORDER
    ),
    st.one_of(
        ascii_text,
        st.integers(min_value=0, max_value=2**53),
        st.booleans(),
        st.dictionaries(
            st.text(alphabet=string.ascii_lowercase, max_size=10),
            st.text(alphabet=string.printable, max_size=20),
            max_size=3,
        ),
    ),
    max_size=8,
)


# Path and user agent alone are over the budget: fit has work to do in every example.
@given(
    untrimmable_fields, st.text(min_size=600, max_size=3000), st.text(min_size=600, max_size=3000)
)
def test_fit_always_meets_the_budget_when_the_rest_leaves_room(
    rest: PlainItem, path: str, ua: str
) -> None:
    assert item_size(rest) <= MAX_ITEM_BYTES - 100  # what the strategy promises
    item: PlainItem = {**rest, "path": "/" + path, "ua": ua, "title": "t" * 200}
    assert item_size(item) > MAX_ITEM_BYTES
    fitted = fit(dict(item))
    assert item_size(fitted) <= MAX_ITEM_BYTES
    assert {k: v for k, v in fitted.items() if k not in TRIM_ORDER} == rest
    for name in ("path", "ua", "title"):
        # A trimmed string is a prefix of the original (empty when dropped), never a changed one.
        assert str(item[name]).startswith(str(fitted.get(name, "")))


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
