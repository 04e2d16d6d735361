"""Hits for the report engines: real handler output, synthetic bulk with every odd case, and the
export layouts they are read from (a full export, daily incremental exports, a backfill)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lambdactr.export_layout import ExportWriter
from lambdactr.function.item import SALT_KEY_PREFIX, PlainItem, to_dynamodb
from tests.support.hits import CHROME, FETCH, FIREFOX, GOOGLEBOT, HEADLESS, IPHONE, hit

FIRST_DAY = date(2026, 11, 1)
DAYS = 20
SITES = ("blog.example.org", "docs.example.org", "example.org", "shop.example.com", None)
PATHS = ("/", "/posts/hello/", "/posts/other/", "/about/", "/docs/a_b%/", None)
AGENTS = (
    CHROME,
    FIREFOX,
    IPHONE,
    GOOGLEBOT,
    HEADLESS,
    "curl/8.5.0",
    "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A)",
    "",
    None,
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Safari/537.36",
    "Mozilla/5.0 (SMART-TV; Linux; Tizen 8.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/7.0 Chrome/120.0.0.0 TV Safari/537.36",
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) it\'s "quoted", with commas, and long',
)
REFERRERS = (
    "https://news.example.net/item",
    "https://www.google.com/",
    "https://Mixed.Example.NET:8443/x",
    "not a url at all",
    "",
)


def day_of(n: int) -> str:
    return (FIRST_DAY + timedelta(days=n)).isoformat()


def synthetic_hits(count: int, seed: int = 13) -> Iterator[dict[str, Any]]:
    """DynamoDB items: browsers, bots, prefetches, visitors seen under two signatures, hits
    without vid, day, ts, site or path, and fields of the wrong type, as old or foreign items
    have them."""
    rng = random.Random(seed)
    visitors = [f"{rng.getrandbits(64):016x}" for _ in range(count // 4 + 1)]
    previous: PlainItem | None = None
    for _ in range(count):
        lang = rng.choice(("en-US", "de", "", None))
        item = hit(
            day=day_of(rng.randrange(-2, DAYS + 2)),
            site=rng.choice(SITES),
            path=rng.choice(PATHS),
            vid=rng.choice((*visitors[:50], *visitors, "", None)),
            ua=rng.choice(AGENTS),
            lang=lang,
            h=rng.choice((FETCH, {"sec-fetch-mode": "no-cors"}, {"dnt": "1"}, None)),
            cc=rng.choice(("DE", "US", "FR", "", None)),
            kind=rng.choice(("css", "gif", "", None)),
            src=rng.choice(("p", "referer", None)),
        )
        if rng.random() < 0.05:
            item["spec"] = True
        if ref := rng.choice(REFERRERS):
            item["ref"] = ref
        if rng.random() < 0.1:
            item["utm_campaign"] = rng.choice(("launch", "news'letter", ""))
        if previous is not None and rng.random() < 0.3:
            # The same visitor again, on another page, maybe prefetched first or without
            # Accept-Language: one person under two signatures.
            for name in ("day", "ts", "site", "vid", "ua", "cc", "kind"):
                if name in previous:
                    item[name] = previous[name]
                else:
                    item.pop(name, None)
        previous = item
        attributes = to_dynamodb(item)
        odd = rng.random()
        if odd < 0.03:
            del attributes["day"]  # placed by its ts
        elif odd < 0.04:
            del attributes["day"]
            del attributes["ts"]  # no day at all
        elif odd < 0.05:
            # A wrong type is read as missing. (Not for `day`: DynamoDB's filter on the day
            # drops such an item before the scan engine sees it; moto's fails on it.)
            attributes["site"] = {"N": "7"}
        elif odd < 0.06:
            attributes["spec"] = {"S": "true"}  # wrong type: not a prefetch
            attributes["h"] = {"M": {"sec-fetch-dest": {"N": "1"}}}
        yield attributes


@dataclass
class Layout:
    """The same live hits written as a backfill plus daily incremental exports."""

    root: Path
    live: list[dict[str, Any]] = field(default_factory=list)


def write_incremental_layout(
    root: Path, live: list[dict[str, Any]], deleted: list[dict[str, Any]], seed: int = 7
) -> None:
    """`live` and `deleted` items as exports would hold them after some days:

    - a backfill (full export, `Item` lines) holding the first third of `live` and of `deleted`;
    - daily incremental exports holding every item's `NewImage`, some twice (a retried export),
      many of the backfill's items again (the day of the backfill is in both);
    - a delete record for each of `deleted`, on a later day.
    """
    rng = random.Random(seed)
    third = len(live) // 3
    with ExportWriter(root, day_of(0), items_per_file=97) as backfill:
        for attributes in [*live[:third], *deleted[: len(deleted) // 3]]:
            backfill.add_item(attributes)
        backfill.add_item(
            {"pk": {"S": f"{SALT_KEY_PREFIX}{day_of(0)}"}, "salt": {"B": b"\x00" * 32}}
        )
    writers = {
        n: ExportWriter(root, day_of(n), export_type="INCREMENTAL_EXPORT", items_per_file=113)
        for n in range(DAYS)
    }
    micros = 1_700_000_000_000_000
    for attributes in [*live, *deleted]:
        if attributes in live[:third] and rng.random() < 0.5:
            continue  # only in the backfill
        micros += rng.randrange(1, 10**6)
        keys = {"pk": attributes["pk"]}
        writer = writers[rng.randrange(DAYS - 2)]
        writer.add_new_image(keys, attributes, micros)
        if rng.random() < 0.1:
            writer.add_new_image(keys, attributes, micros)  # the same record, exported twice
    for attributes in deleted:
        micros += rng.randrange(1, 10**6)
        writers[DAYS - 1].add_delete({"pk": attributes["pk"]}, micros)
    for writer in writers.values():
        writer.close()


def plain(items: list[PlainItem]) -> list[dict[str, Any]]:
    return [to_dynamodb(item) for item in items]
