"""Telling people's browsers from bots, by user agent and the headers browsers always send."""

from __future__ import annotations

import pytest

from lambdactr.report.classify import Classifier, device_class
from lambdactr.report.countries import country_name
from tests.support.hits import CHROME, FETCH, FIREFOX, GOOGLEBOT, HEADLESS, IPHONE

IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Safari/537.36"
)
SAMSUNG_TV = (
    "Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/5.0 Chrome/94.0.4606.31 TV Safari/537.36"
)
OLD_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/15.6 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("user_agent", "browser", "os", "device"),
    [
        (CHROME, "Chrome", "Linux", "desktop"),
        (FIREFOX, "Firefox", "Windows", "desktop"),
        (OLD_SAFARI, "Safari", "Mac OS X", "desktop"),
        (IPHONE, "Mobile Safari", "iOS", "mobile"),
        (IPAD, "Mobile Safari", "iOS", "tablet"),
        (ANDROID_PHONE, "Chrome Mobile", "Android", "mobile"),
        (ANDROID_TABLET, "Chrome", "Android", "tablet"),
        (SAMSUNG_TV, "Samsung Internet", "Tizen", "tv"),
    ],
)
def test_browsers_get_their_family_os_and_device_class(
    user_agent: str, browser: str, os: str, device: str
) -> None:
    client = Classifier().classify(user_agent, True, FETCH)
    assert (client.browser, client.os, client.device, client.bot_reason) == (
        browser,
        os,
        device,
        None,
    )


@pytest.mark.parametrize(
    ("user_agent", "has_language", "headers", "reason"),
    [
        (None, True, FETCH, "no-user-agent"),
        ("", True, FETCH, "no-user-agent"),
        ("curl/8.5.0", False, None, "short-user-agent"),
        ("Mozilla/5.0", True, FETCH, "short-user-agent"),
        (HEADLESS, True, FETCH, "headless"),
        (GOOGLEBOT, False, None, "crawler"),
        # Lighthouse and friends dress as Chrome; crawlerdetect knows them.
        (CHROME + " Chrome-Lighthouse", True, FETCH, "crawler"),
        (
            "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A.240105.004)",
            True,
            None,
            "not-a-browser",
        ),
        (CHROME, False, None, "no-browser-headers"),
        (CHROME, False, {"sec-ch-ua": '"Chromium";v="142"'}, "no-browser-headers"),
    ],
)
def test_bots_get_a_reason(
    user_agent: str | None, has_language: bool, headers: dict[str, str] | None, reason: str
) -> None:
    client = Classifier().classify(user_agent, has_language, headers)
    assert client.bot_reason == reason
    assert client.device == "bot"


@pytest.mark.parametrize(
    ("user_agent", "has_language", "headers"),
    [
        # Safari before 16.4 and Firefox before 90 send no Sec-Fetch-*; all send a language.
        (OLD_SAFARI, True, None),
        (FIREFOX, True, None),
        # A language missing (a privacy setting) but fetch metadata present.
        (FIREFOX, False, {"sec-fetch-mode": "no-cors"}),
    ],
)
def test_browsers_missing_one_of_the_usual_headers_still_count(
    user_agent: str, has_language: bool, headers: dict[str, str] | None
) -> None:
    assert Classifier().classify(user_agent, has_language, headers).bot_reason is None


def test_each_signature_is_judged_once() -> None:
    classifier = Classifier()
    first = classifier.classify(CHROME, True, FETCH)
    # With a language, the headers do not matter, so this is the same signature.
    assert classifier.classify(CHROME, True, None) is first
    assert classifier.distinct_signatures == 1
    without_language = classifier.classify(CHROME, False, None)
    assert without_language.bot_reason == "no-browser-headers"
    assert classifier.classify(CHROME, False, {}) is without_language
    assert classifier.classify(CHROME, False, FETCH).bot_reason is None
    assert classifier.distinct_signatures == 3


def test_device_class_reads_the_mobile_token() -> None:
    assert device_class("Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1) Mobile", "Windows") == (
        "mobile"
    )
    assert device_class("Mozilla/5.0 (PlayStation 5)", "Other") == "other"


@pytest.mark.parametrize(
    ("code", "name"),
    [("DE", "Germany"), ("TW", "Taiwan"), ("GB", "United Kingdom"), ("XK", "Kosovo"), ("ZZ", "ZZ")],
)
def test_country_names_come_from_iso_3166(code: str, name: str) -> None:
    assert country_name(code) == name
