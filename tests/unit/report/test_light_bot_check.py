"""The light bot check the badge counter uses, and the report agreeing with it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdactr.function.bots import NOT_A_BROWSER, light_bot_reason
from lambdactr.report.classify import Classifier
from tests.support.hits import CHROME, FETCH, FIREFOX, GOOGLEBOT, HEADLESS, IPHONE

BROWSERS = [
    CHROME,
    FIREFOX,
    IPHONE,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    # A phone whose model name ends in "bot".
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30 Build/QP1A.190711.020) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36",
    "Opera/9.80 (Windows NT 6.1; U; en) Presto/2.12.388 Version/12.18",
]


@pytest.mark.parametrize("user_agent", BROWSERS)
def test_browsers_may_move_the_counter(user_agent: str) -> None:
    assert light_bot_reason(user_agent) is None


@pytest.mark.parametrize(
    ("user_agent", "reason"),
    [
        ("", "no-user-agent"),
        ("curl/8.5.0", "short-user-agent"),
        ("Mozilla/5.0", "short-user-agent"),
        (HEADLESS, "headless"),
        (GOOGLEBOT, "crawler"),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "crawler"),
        ("Mozilla/5.0 (compatible; PetalBot;+https://webmaster.petalsearch.com/site)", "crawler"),
        ("Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)", "crawler"),
        ("DuckDuckBot-Https/1.1; (+https://duckduckgo.com/duckduckbot)", "crawler"),
        ("python-requests/2.32.3 (a library, not a browser at all)", "not-a-browser"),
    ],
)
def test_obvious_bots_do_not(user_agent: str, reason: str) -> None:
    assert light_bot_reason(user_agent) == reason


user_agents = st.one_of(
    st.text(max_size=80),
    st.builds(lambda tail: f"Mozilla/5.0 ({tail}", st.text(max_size=120)),
    st.sampled_from([*BROWSERS, GOOGLEBOT, HEADLESS]),
)


@given(user_agents, st.booleans(), st.booleans())
def test_what_the_counter_calls_a_bot_the_report_calls_a_bot(
    user_agent: str, has_language: bool, has_fetch: bool
) -> None:
    light = light_bot_reason(user_agent)
    client = Classifier().classify(user_agent, has_language, FETCH if has_fetch else {})
    if light is not None:
        assert client.bot_reason is not None
        # The report may know the library for a crawler; every other reason is the same.
        if light != NOT_A_BROWSER:
            assert client.bot_reason == light
