"""The item contract: DynamoDB's size arithmetic, trimming order and round trips."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lambdactr.function.item import (
    MAX_ITEM_BYTES,
    PlainItem,
    fit,
    from_dynamodb,
    item_size,
    to_dynamodb,
)


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
