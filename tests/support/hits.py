"""Plain hit items as the Lambda stores them, for reports with answers known in advance."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lambdactr.function.item import PlainItem
from lambdactr.report.query import ReportQuery

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:145.0) Gecko/20100101 Firefox/145.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/142.0.0.0 Safari/537.36"
)
FETCH = {"sec-fetch-dest": "style", "sec-fetch-mode": "no-cors", "sec-fetch-site": "cross-site"}

DAY = "2026-11-20"
_counter = iter(range(10**9))


def hit(
    day: str | None = DAY,
    site: str | None = "blog.example.org",
    path: str | None = "/posts/hello/",
    vid: str | None = "a" * 16,
    ua: str | None = CHROME,
    lang: str | None = "en-US",
    h: dict[str, str] | None = FETCH,
    cc: str | None = "DE",
    kind: str | None = "css",
    src: str | None = "p",
    **extra: str | int | bool | dict[str, str],
) -> PlainItem:
    """A browser's hit; pass None to leave a field out, as old or hostile items do."""
    ts = int(datetime.fromisoformat(day or DAY).replace(tzinfo=UTC).timestamp() * 1000)
    fields: dict[str, str | int | bool | dict[str, str] | None] = {
        "pk": f"{next(_counter):032x}",
        "ts": ts + 3_600_000,
        "day": day,
        "site": site,
        "path": path,
        "vid": vid,
        "ua": ua,
        "lang": lang,
        "h": h,
        "cc": cc,
        "kind": kind,
        "src": src,
        "ttl": ts // 1000 + 400 * 86_400,
        **extra,
    }
    return {name: value for name, value in fields.items() if value is not None}


def query(
    since: str = "2026-11-01",
    until: str = "2026-11-30",
    site: str | None = None,
    path_prefix: str | None = None,
    include_bots: bool = False,
) -> ReportQuery:
    return ReportQuery(
        since=date.fromisoformat(since),
        until=date.fromisoformat(until),
        site=site,
        path_prefix=path_prefix,
        include_bots=include_bots,
    )
