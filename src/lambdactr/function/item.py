"""The stored item: one DynamoDB item per hit, and the 1 KB bound that makes it one write unit.

The handler, the report, replay and the tests all read and write items through this module,
so the contract lives in one place; the README's "What is stored" section describes each field.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from typing import Any, TypeAlias

from .days import utc_day
from .sanitize import clean

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

# Every attribute a hit may hold, and its type (bool is not an int here). Nothing else is a hit.
FIELD_TYPES: Mapping[str, type] = {
    "pk": str,
    "ts": int,
    "day": str,
    "kind": str,
    "site": str,
    "path": str,
    "src": str,
    "ref": str,
    "title": str,
    "utm_source": str,
    "utm_medium": str,
    "utm_campaign": str,
    "cc": str,
    "lang": str,
    "ua": str,
    "vid": str,
    "novid": bool,
    "h": dict,
    "spec": bool,
    "ttl": int,
}
REQUIRED_FIELDS = ("pk", "ts", "day", "kind", "path", "ttl")
KINDS = ("css", "gif", "svg")
PAGE_SOURCES = ("p", "referer")
# Headers kept in the item's `h` map. User-Agent and Accept-Language are kept too, as `ua` and
# `lang`. Nothing else is ever read into an item: not Cookie, Authorization, If-None-Match,
# Host, nor any header that carries an address.
KEPT_HEADERS = (
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "sec-fetch-dest",
    "sec-fetch-mode",
    "sec-fetch-site",
    "sec-purpose",
    "purpose",
    "x-purpose",
    "x-moz",
    "dnt",
    "sec-gpc",
)
SECONDS_PER_DAY = 86_400
# The handler's log record of a hit DynamoDB refused: its `message`, and the key that holds the
# item. Replay takes items from such records only.
UNSAVED_MESSAGE = "hit not stored"
UNSAVED_KEY = "unsaved_hit"
# A hit's key is 128 random bits in hex; anything else (a salt key above all) is not a hit.
HIT_KEY = re.compile(r"[0-9a-f]{32}")
# Fields whose whole value has one shape; the other strings are free text, cleaned.
_SHAPES: Mapping[str, re.Pattern[str]] = {
    "day": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "cc": re.compile(r"[A-Z]{2}"),
    "lang": re.compile(r"[A-Za-z0-9-]{1,16}"),
    "vid": re.compile(r"[0-9a-f]{16}"),
}
# Earlier than this no hit was ever counted (2017); a hit from the future is forged.
_EARLIEST_MS = 1_500_000_000_000
_CLOCK_SKEW_SECONDS = SECONDS_PER_DAY

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


class InvalidItem(ValueError):
    """A value that is not a hit this counter could have written."""


def checked_hit(value: object, retention_days: int, now: float | None = None) -> PlainItem:
    """`value` as a hit item, every string run through the handler's `clean`; else InvalidItem.

    The schema the handler writes to: only the attributes above, of their types, a hit key, a
    `day` that is the day of `ts`, no `ts` from the future, and a `ttl` after `ts` and at most
    `retention_days` past it. Replay puts every logged item through it before writing it.
    """
    if not isinstance(value, dict):
        raise InvalidItem("not a JSON object")
    pk = value.get("pk")
    if not isinstance(pk, str) or not HIT_KEY.fullmatch(pk):
        raise InvalidItem(f"pk {pk!r} is not a hit key")
    unknown = sorted(str(name) for name in value if name not in FIELD_TYPES)
    if unknown:
        raise InvalidItem(f"attribute {unknown[0]!r} is not part of any hit")
    missing = [name for name in REQUIRED_FIELDS if name not in value]
    if missing:
        raise InvalidItem(f"no {missing[0]!r}, which every hit has")
    item: PlainItem = {}
    for name, field in value.items():
        if type(field) is not FIELD_TYPES[name]:
            raise InvalidItem(f"field {name!r} holds {field!r}, which no hit holds")
        checked = _checked_field(name, field)
        # Emptied by cleaning: left out, as the handler leaves out empty attributes.
        if checked not in ("", {}):
            item[name] = checked
    _check_times(item, retention_days, time.time() if now is None else now)
    if item["kind"] not in KINDS or item.get("src", "p") not in PAGE_SOURCES:
        raise InvalidItem(f"kind {item['kind']!r} or src {item.get('src')!r} is not a hit's")
    if "vid" in item and "novid" in item:
        raise InvalidItem("both vid and novid")
    if not str(item.get("path", "")).startswith("/"):
        raise InvalidItem(f"path {item.get('path')!r} is not a path")
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise InvalidItem(f"{size} bytes, more than the {MAX_ITEM_BYTES} of any hit")
    return item


def _checked_field(name: str, value: object) -> PlainValue:
    if isinstance(value, dict):
        return _checked_headers(value)
    if isinstance(value, bool | int):
        return value
    if not isinstance(value, str):
        raise InvalidItem(f"field {name!r} holds {value!r}, which no hit holds")
    if name == "pk":
        return value  # matched HIT_KEY already
    shape = _SHAPES.get(name)
    if shape is not None:
        if not shape.fullmatch(value):
            raise InvalidItem(f"field {name!r} holds {value!r}, which no hit holds")
        return value
    return _cleaned(name, value, FIELD_MAX_BYTES.get(name, 16))


def _checked_headers(headers: dict[Any, Any]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name, value in headers.items():
        if name not in KEPT_HEADERS or not isinstance(value, str):
            raise InvalidItem(f"header {name!r}: {value!r} is not one a hit keeps")
        cleaned = _cleaned(f"h.{name}", value, HEADER_VALUE_MAX_BYTES)
        if cleaned:
            kept[name] = cleaned
    return kept


def _cleaned(name: str, value: str, max_bytes: int) -> str:
    # JSON can spell a lone surrogate ("\udc80"), which the handler never writes.
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidItem(f"field {name!r} is not valid UTF-8") from None
    if size > max_bytes:
        raise InvalidItem(f"field {name!r} is {size} bytes, more than the {max_bytes} of any hit")
    return clean(value, max_bytes)


def _check_times(item: PlainItem, retention_days: int, now: float) -> None:
    ts, ttl = item["ts"], item["ttl"]
    assert isinstance(ts, int)
    assert isinstance(ttl, int)
    if not _EARLIEST_MS <= ts <= (now + _CLOCK_SKEW_SECONDS) * 1000:
        raise InvalidItem(f"ts {ts} is no time a hit was counted")
    if item["day"] != utc_day(ts):
        raise InvalidItem(f"day {item['day']!r} is not the day of ts {ts}")
    if not ts // 1000 < ttl <= ts // 1000 + retention_days * SECONDS_PER_DAY:
        raise InvalidItem(f"ttl {ttl} is not within {retention_days} days of ts {ts}")


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
