"""The light "is this a browser" check: what the badge counter and the report agree on.

The Lambda uses it to keep obvious bots from moving a page's public count; the report's
classifier runs it first and adds heavier rules (crawler lists, missing browser headers) after
it, so a user agent this module calls a bot is a bot in the report too. Pure, standard library
only: it runs on every `/c.svg` view.
"""

from __future__ import annotations

import re

# The reasons, as the report lists them; each bot is counted under the first that applies.
NO_USER_AGENT = "no-user-agent"
SHORT_USER_AGENT = "short-user-agent"
HEADLESS = "headless"
CRAWLER = "crawler"
NOT_A_BROWSER = "not-a-browser"

# Every browser's user agent is far longer ("Mozilla/5.0 (" plus a platform); "curl/8.5.0",
# "Mozilla/5.0" alone or a bare library name are not.
MIN_BROWSER_UA_CHARS = 30
# Every browser in use starts its user agent so; HTTP libraries and apps do not.
BROWSER_PREFIXES = ("Mozilla/", "Opera/")
_HEADLESS = re.compile(r"headless|phantomjs|slimerjs", re.IGNORECASE)
# Crawlers that dress as browsers still name themselves: "Googlebot/2.1", "PetalBot;",
# "DuckDuckBot-Https", a spider, or the URL of a page about the bot, which no browser sends.
# "bot" must be followed by one of /;)- so that phone models such as "CUBOT X30" pass.
_CRAWLER_TOKEN = re.compile(r"bot[/;)-]|crawl|spider|slurp|https?://", re.IGNORECASE)


def light_bot_reason(user_agent: str) -> str | None:
    """Why this user agent is obviously not a person's browser, or None if it may be one."""
    if not user_agent:
        return NO_USER_AGENT
    if len(user_agent) < MIN_BROWSER_UA_CHARS:
        return SHORT_USER_AGENT
    if _HEADLESS.search(user_agent):
        return HEADLESS
    if _CRAWLER_TOKEN.search(user_agent):
        return CRAWLER
    if not user_agent.startswith(BROWSER_PREFIXES):
        return NOT_A_BROWSER
    return None
