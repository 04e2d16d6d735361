"""How fast `lambdactr report` counts: aggregation of 1,000,000 synthetic items on one core.

Prints the aggregation rate, the rate of a bare loop that only counts paths over the same items
in the same run (the floor any Python aggregation stands on), their ratio, and peak memory.

    .venv/bin/python benchmarks/report_bench.py [--items N] [--seed S]

The items are plain items as `scan` yields them, shaped like a few small sites' month: three
sites, 30 UTC days, visitors who read one to a few pages, a few hundred distinct user agents
with the headers their browsers send, about 8% bots, 2% prefetches, external referrers,
campaigns, countries and languages.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date, timedelta

from lambdactr.function.item import PlainItem
from lambdactr.report.aggregate import aggregate
from lambdactr.report.classify import Classifier
from lambdactr.report.query import ReportQuery

LAST_DAY = date(2026, 11, 23)
DAYS = 30
SITES = (("blog.example.org", 6), ("docs.example.org", 3), ("example.com", 1))
PAGES_PER_SITE = 2_000
COUNTRIES = ("US", "DE", "GB", "FR", "IN", "NL", "CA", "BR", "JP", "SE", "PL", "ES", "IT", "AU")
LANGUAGES = ("en-US", "en-GB", "de-DE", "fr-FR", "en", "nl-NL", "pt-BR", "ja", "sv-SE", "es-ES")
REFERRER_HOSTS = (
    *(f"news{n}.example.net" for n in range(150)),
    "www.google.com",
    "duckduckgo.com",
    "news.ycombinator.com",
    "lobste.rs",
)
CAMPAIGNS = ("spring-sale", "newsletter-42", "launch", "webinar", "retargeting")

CHROME_PLATFORMS = (
    ("Windows NT 10.0; Win64; x64", '"Windows"', "?0"),
    ("Macintosh; Intel Mac OS X 10_15_7", '"macOS"', "?0"),
    ("X11; Linux x86_64", '"Linux"', "?0"),
    ("Linux; Android 10; K", '"Android"', "?1"),
)
FIREFOX_PLATFORMS = (
    "Windows NT 10.0; Win64; x64; rv:{v}.0",
    "Macintosh; Intel Mac OS X 10.15; rv:{v}.0",
    "X11; Linux x86_64; rv:{v}.0",
    "Android 14; Mobile; rv:{v}.0",
)
BOT_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/142.0.0.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "",
)

Browser = tuple[str, dict[str, str]]


def browsers() -> list[Browser]:
    """A few hundred distinct user agents, each with the headers that browser sends."""
    found: list[Browser] = []
    fetch = {"sec-fetch-dest": "style", "sec-fetch-mode": "no-cors", "sec-fetch-site": "cross-site"}
    for version in range(110, 143):
        for platform, platform_hint, mobile in CHROME_PLATFORMS:
            suffix = " Mobile" if mobile == "?1" else ""
            ua = (
                f"Mozilla/5.0 ({platform}) AppleWebKit/537.36 (KHTML, like Gecko) "
                f"Chrome/{version}.0.0.0{suffix} Safari/537.36"
            )
            hints = {
                "sec-ch-ua": f'"Chromium";v="{version}", "Google Chrome";v="{version}"',
                "sec-ch-ua-mobile": mobile,
                "sec-ch-ua-platform": platform_hint,
            }
            found.append((ua, hints | fetch))
    for version in range(115, 146):
        for platform in FIREFOX_PLATFORMS:
            ua = f"Mozilla/5.0 ({platform.format(v=version)}) Gecko/20100101 Firefox/{version}.0"
            found.append((ua, dict(fetch)))
    for major in (16, 17, 18):
        for minor in range(6):
            ios = f"{major}_{minor}"
            ua = (
                f"Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/605.1.15 "
                f"(KHTML, like Gecko) Version/{major}.{minor} Mobile/15E148 Safari/604.1"
            )
            found.append((ua, dict(fetch) if major > 16 else {}))
    return found


def synthetic_items(count: int, seed: int = 1) -> Iterator[PlainItem]:
    """`count` plain items, visitor by visitor, reproducible from `seed`."""
    rng = random.Random(seed)
    people = browsers()
    site_names = [name for name, _ in SITES]
    site_weights = [weight for _, weight in SITES]
    # Zipf-like page popularity: a few pages take most of the views.
    page_weights = list(itertools.accumulate(1 / rank for rank in range(1, PAGES_PER_SITE + 1)))
    pages = [f"/posts/{n:04d}-a-title-of-some-length/" for n in range(PAGES_PER_SITE)]
    pages[0] = "/"
    made = 0
    while made < count:
        day = LAST_DAY - timedelta(days=rng.randrange(DAYS))
        day_text = day.isoformat()
        midnight_ms = int(time.mktime(day.timetuple())) * 1000
        site = rng.choices(site_names, site_weights)[0]
        headers: dict[str, str] = {}
        lang = ""
        if rng.random() < 0.08:
            ua = rng.choice(BOT_AGENTS)
        else:
            ua, headers = rng.choice(people)
            lang = rng.choice(LANGUAGES)
        vid = f"{rng.getrandbits(64):016x}"
        cc = rng.choice(COUNTRIES)
        kind = "css" if rng.random() < 0.75 else "gif"
        ref = f"https://{rng.choice(REFERRER_HOSTS)}/item" if rng.random() < 0.3 else ""
        campaign = rng.choice(CAMPAIGNS) if rng.random() < 0.05 else ""
        for n in range(min(1 + int(rng.expovariate(0.6)), count - made)):
            ts = midnight_ms + rng.randrange(86_400_000)
            item: PlainItem = {
                "pk": f"{rng.getrandbits(128):032x}",
                "ts": ts,
                "day": day_text,
                "kind": kind,
                "site": site,
                "path": rng.choices(pages, cum_weights=page_weights)[0],
                "src": "p" if rng.random() < 0.7 else "referer",
                "cc": cc,
                "ttl": ts // 1000 + 400 * 86_400,
            }
            if rng.random() < 0.999:
                item["vid"] = vid
            else:
                item["novid"] = True
            if ua:
                item["ua"] = ua
            if lang:
                item["lang"] = lang
            if headers:
                item["h"] = headers
            if n == 0 and ref:
                item["ref"] = ref
            if campaign:
                item["utm_campaign"] = campaign
            if rng.random() < 0.02:
                item["spec"] = True
            yield item
            made += 1


def count_paths(items: list[PlainItem]) -> dict[object, int]:
    counts: dict[object, int] = {}
    for item in items:
        path = item.get("path")
        counts[path] = counts.get(path, 0) + 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    query = ReportQuery(since=LAST_DAY - timedelta(days=DAYS - 1), until=LAST_DAY)

    started = time.perf_counter()
    items = list(synthetic_items(args.items, args.seed))
    print(f"generated {len(items):,} items in {time.perf_counter() - started:.1f} s")

    # CPU time of this process: on a shared machine, wall time also counts other programs' turns.
    gc.collect()
    started, started_cpu = time.perf_counter(), time.process_time()
    count_paths(items)
    bare, bare_cpu = time.perf_counter() - started, time.process_time() - started_cpu

    gc.collect()
    classifier = Classifier()
    started, started_cpu = time.perf_counter(), time.process_time()
    report = aggregate(items, query, classifier)
    counted, counted_cpu = time.perf_counter() - started, time.process_time() - started_cpu

    print(
        f"report: {report.pageviews:,} pageviews, {report.visitors:,} visitors, "
        f"{len(report.pages):,} pages, {classifier.distinct_signatures} client signatures, "
        f"filtered {sum(report.filtered.values()):,}"
    )
    n = len(items)
    print(f"{'':24} {'items/s (CPU)':>14} {'items/s (wall)':>15}")
    print(f"{'bare loop (count paths)':24} {n / bare_cpu:>14,.0f} {n / bare:>15,.0f}")
    print(f"{'aggregation':24} {n / counted_cpu:>14,.0f} {n / counted:>15,.0f}")
    print(
        f"aggregation takes {counted_cpu / bare_cpu:.1f}x the bare loop's CPU time "
        f"({counted / bare:.1f}x its wall time)"
    )

    del items
    gc.collect()
    # The report's own memory, with items streamed as a scan yields them (not held in a list).
    tracemalloc.start()
    aggregate(synthetic_items(args.items, args.seed), query, Classifier())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"aggregation peak memory (items streamed): {peak / 2**20:,.0f} MiB")
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"process peak RSS (with all items in a list): {max_rss_kib / 2**10:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
