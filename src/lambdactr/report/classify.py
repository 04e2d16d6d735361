"""Who sent a hit: browser, OS and device class, or the reason it looks like a bot.

The Lambda stores headers and leaves judgement to the report, so the rules here can improve
and old hits are judged again. A table holds far fewer distinct user agents than hits, so every
answer is cached per signature: the user agent, plus (only when Accept-Language is missing)
whether any Sec-Fetch-* header came with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import ua_parser
from crawlerdetect import CrawlerDetect

from ..function.bots import CRAWLER, NO_USER_AGENT, NOT_A_BROWSER, light_bot_reason
from .model import UNKNOWN

# Each bot hit is counted under exactly one reason, the first that applies, in this order:
# no-user-agent, short-user-agent, headless, crawler, not-a-browser (the light check that the
# badge counter shares, with crawler lists added here), then no-browser-headers.
NO_BROWSER_HEADERS = "no-browser-headers"
# Prefetch and prerender: a browser fetched the page ahead of a view that may never happen.
SPECULATIVE = "speculative"

FETCH_METADATA_HEADERS = ("sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site")
_TABLET = re.compile(r"iPad|Tablet|PlayBook|Kindle|Silk/", re.IGNORECASE)
_TV = re.compile(
    r"smart-?tv|android tv|hbbtv|appletv|googletv|crkey|bravia|netcast|web0s|aftb|aftm|aftt"
)
DESKTOP_OS = frozenset(
    {
        "Windows",
        "Mac OS X",
        "Linux",
        "Ubuntu",
        "Chrome OS",
        "Fedora",
        "Debian",
        "Red Hat",
        "Mint",
        "Arch Linux",
        "Gentoo",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Solaris",
    }
)

DEVICE_DESKTOP = "desktop"
DEVICE_MOBILE = "mobile"
DEVICE_TABLET = "tablet"
DEVICE_TV = "tv"
DEVICE_BOT = "bot"
DEVICE_OTHER = "other"


# eq=False: a Client is a cache entry, hashed by identity in the aggregation's hot loop.
@dataclass(frozen=True, slots=True, eq=False)
class Client:
    browser: str
    os: str
    device: str
    # None for what passes as a person's browser.
    bot_reason: str | None


# Gecko browsers: they trim a cross-site subresource's Referer to the origin, whatever the tag's
# referrerpolicy says. ("Firefox iOS" is WebKit, and behaves as Safari does.)
FIREFOX_FAMILIES = frozenset(
    {
        "Firefox",
        "Firefox Mobile",
        "Firefox Beta",
        "Firefox Alpha",
        "Firefox Nightly",
        "Firefox Developer Edition",
        "Firefox Focus",
        "Waterfox",
        "LibreWolf",
        "Pale Moon",
        "SeaMonkey",
        "IceCat",
        "Iceweasel",
    }
)


def is_firefox_family(client: Client) -> bool:
    return client.browser in FIREFOX_FAMILIES


def has_fetch_metadata(headers: object) -> bool:
    return (
        bool(headers)
        and isinstance(headers, Mapping)
        and any(name in headers for name in FETCH_METADATA_HEADERS)
    )


class Classifier:
    """Classifies hits by user agent and headers, each distinct signature once."""

    def __init__(self) -> None:
        # Public for the aggregation's hot loop, which looks here before calling `classify`.
        self.with_language: dict[str | None, Client] = {}
        self._without_language: dict[tuple[str | None, bool], Client] = {}
        self._crawlers = CrawlerDetect()

    @property
    def distinct_signatures(self) -> int:
        return len(self.with_language) + len(self._without_language)

    def classify(self, user_agent: str | None, has_language: bool, headers: object) -> Client:
        """`headers` is the item's `h` map; it is looked at only when the language is missing."""
        if has_language:
            client = self.with_language.get(user_agent)
            if client is None:
                client = self.with_language[user_agent] = self._judge(user_agent, True, True)
            return client
        return self.classify_signature(user_agent, False, has_fetch_metadata(headers))

    def classify_signature(
        self, user_agent: str | None, has_language: bool, has_fetch: bool
    ) -> Client:
        """A signature as the SQL engines list it: `has_fetch` counts only without a language."""
        if has_language:
            return self.classify(user_agent, True, None)
        key = (user_agent, has_fetch)
        client = self._without_language.get(key)
        if client is None:
            client = self._without_language[key] = self._judge(user_agent, False, has_fetch)
        return client

    def _judge(self, user_agent: str | None, has_language: bool, has_fetch: bool) -> Client:
        if not user_agent:
            return Client(UNKNOWN, UNKNOWN, DEVICE_BOT, NO_USER_AGENT)
        parsed = ua_parser.parse(user_agent)
        browser = parsed.user_agent.family if parsed.user_agent else "Other"
        os_family = parsed.os.family if parsed.os else "Other"
        device_family = parsed.device.family if parsed.device else "Other"
        reason = self._bot_reason(user_agent, device_family, has_language, has_fetch)
        device = DEVICE_BOT if reason else device_class(user_agent, os_family)
        return Client(browser, os_family, device, reason)

    def _bot_reason(
        self,
        user_agent: str,
        device_family: str,
        has_language: bool,
        has_fetch: bool,
    ) -> str | None:
        # The light check first, so that whatever the badge counter leaves out is a bot here too.
        light = light_bot_reason(user_agent)
        if light is not None and light != NOT_A_BROWSER:
            return light
        if device_family == "Spider" or self._crawlers.isCrawler(user_agent):
            return CRAWLER
        if light is not None:
            return light
        # Every browser sends Accept-Language; Chromium (76+), Firefox (90+) and Safari (16.4+)
        # also send Sec-Fetch-*. Requiring both to be missing spares older Safari and Firefox.
        if not has_language and not has_fetch:
            return NO_BROWSER_HEADERS
        return None


def device_class(user_agent: str, os_family: str) -> str:
    """desktop, mobile, tablet, tv or other, from the user agent as browsers write it."""
    if _TV.search(user_agent.lower()):
        return DEVICE_TV
    if _TABLET.search(user_agent) or (os_family == "Android" and "Mobile" not in user_agent):
        return DEVICE_TABLET
    if "Mobi" in user_agent or os_family in ("iOS", "Android"):
        return DEVICE_MOBILE
    if os_family in DESKTOP_OS:
        return DEVICE_DESKTOP
    return DEVICE_OTHER
