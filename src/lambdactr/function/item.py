"""The stored item: one DynamoDB item per hit, and the 1 KB bound that makes it one write unit.

The handler, the report, replay and the tests all read and write items through this module,
so the contract lives in one place; the README's "What is stored" section describes each field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, TypeAlias

PlainValue: TypeAlias = str | int | bool | dict[str, str]
PlainItem: TypeAlias = dict[str, PlainValue]

# DynamoDB bills a write per started KB of item size, so 1,024 bytes is one write request unit.
MAX_ITEM_BYTES = 1024
# AWS gives a number's size only approximately (about one byte per two significant digits, plus
# one), and DynamoDB takes numbers of up to 38 digits: at most 21 bytes. Items are fitted to a
# budget that leaves room for every number of a hit (ts, ttl) to count at that maximum, and
# more, so one item stays one write unit however DynamoDB really counts it.
NUMBER_MAX_BYTES = 21
ITEM_BUDGET_BYTES = MAX_ITEM_BYTES - 64
# Old deployments kept the daily salt in the hits table under `salt#YYYY-MM-DD`; those items
# expire by TTL, and the report and replay skip them. No hit key ever starts so.
SALT_KEY_PREFIX = "salt#"
# A page's view counter for the `/c.svg` badge: `n#` and a hash of its site and path, with the
# count in `n` and the site and path as attributes. Only `/c.svg` views move it.
COUNTER_KEY_PREFIX = "n#"
_COUNTER_HASH_HEX_CHARS = 32

# Per-field ceilings in UTF-8 bytes, applied when a hit is built. Together they can still exceed
# ITEM_BUDGET_BYTES for hostile input, which `fit` then trims in TRIM_ORDER.
FIELD_MAX_BYTES: Mapping[str, int] = {
    "site": 128,
    "path": 256,
    "ref": 256,
    "title": 128,
    "utm_source": 64,
    "utm_medium": 64,
    "utm_campaign": 64,
    "ua": 256,
    "lang": 16,
}
HEADER_VALUE_MAX_BYTES = 128

# Least useful first: what the report can best do without is given up first.
TRIM_ORDER = ("h", "title", "utm_campaign", "utm_medium", "utm_source", "ref", "ua", "path")
# Below this a trimmed field is dropped rather than kept as a meaningless stub.
_MIN_USEFUL_BYTES = 16


def is_salt_key(pk: str) -> bool:
    return pk.startswith(SALT_KEY_PREFIX)


def is_counter_key(pk: str) -> bool:
    return pk.startswith(COUNTER_KEY_PREFIX)


def counter_key(site: str, path: str) -> str:
    """The key of the (site, path) counter. Neither part can hold a newline (see `clean`)."""
    digest = hashlib.sha256(f"{site}\n{path}".encode()).hexdigest()
    return f"{COUNTER_KEY_PREFIX}{digest[:_COUNTER_HASH_HEX_CHARS]}"


def is_hit_key(pk: str) -> bool:
    """False for the reserved keys (salts, counters) that share the table with the hits."""
    return not (is_salt_key(pk) or is_counter_key(pk))


def item_size(item: Mapping[str, PlainValue]) -> int:
    """The item's size in bytes by DynamoDB's published rules: names plus values.

    The rules ("DynamoDB item sizes and formats" in the developer guide) are exact for strings,
    booleans and maps, and approximate for numbers; tests/unit/test_item.py checks each one.
    """
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: PlainValue) -> int:
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        # One byte per two significant digits, plus one. The rules say nothing of a sign: one
        # byte more for it errs on the safe side (the Lambda stores no negative number).
        digits = len(str(abs(value)).strip("0")) or 1
        return (digits + 1) // 2 + 1 + (1 if value < 0 else 0)
    if isinstance(value, str):
        return len(value.encode())
    # A map costs 3 bytes, plus one byte for each entry besides its name and value.
    return 3 + sum(len(k.encode()) + len(v.encode()) + 1 for k, v in value.items())


def fit(item: PlainItem, budget: int = ITEM_BUDGET_BYTES) -> PlainItem:
    """Trim optional fields, least useful first, until the item is within `budget` bytes."""
    excess = item_size(item) - budget
    for name in TRIM_ORDER:
        if excess <= 0:
            break
        value = item.get(name)
        if value is None:
            continue
        before = len(name.encode()) + _value_size(value)
        if isinstance(value, str) and len(value.encode()) - excess >= _MIN_USEFUL_BYTES:
            item[name] = value.encode()[: len(value.encode()) - excess].decode("utf-8", "ignore")
            excess -= before - (len(name.encode()) + _value_size(item[name]))
        else:
            del item[name]
            excess -= before
    return item


def to_dynamodb(item: Mapping[str, PlainValue]) -> dict[str, Any]:
    return {name: _to_attribute(value) for name, value in item.items()}


def _to_attribute(value: PlainValue) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    return {"M": {k: {"S": v} for k, v in value.items()}}


def from_dynamodb(attributes: Mapping[str, Any]) -> PlainItem:
    """The plain form of a stored item, skipping attribute types the contract never writes."""
    item: PlainItem = {}
    for name, attribute in attributes.items():
        if "S" in attribute:
            item[name] = attribute["S"]
        elif "N" in attribute:
            item[name] = int(attribute["N"])
        elif "BOOL" in attribute:
            item[name] = bool(attribute["BOOL"])
        elif "M" in attribute:
            item[name] = {k: v["S"] for k, v in attribute["M"].items() if "S" in v}
    return item
