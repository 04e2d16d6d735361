"""Every route's exact answer: status, bytes and headers."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from tests.support.counter import Counter

NO_CACHE = "no-cache, no-store, must-revalidate, max-age=0"


def beacon_event(event_named: Any, kind: str, method: str = "GET") -> dict[str, Any]:
    event: dict[str, Any] = event_named("css")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/c.{kind}"
    event["requestContext"]["http"]["method"] = method
    return event


def assert_beacon_headers(headers: dict[str, str]) -> None:
    assert headers["Cache-Control"] == NO_CACHE
    assert headers["Pragma"] == "no-cache"
    assert headers["Expires"] == "0"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    etag = headers["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert len(bytes.fromhex(etag.strip('"'))) >= 16
    assert not any(name.lower() == "set-cookie" for name in headers)


def test_css_get_is_an_empty_stylesheet(counter: Counter, event_named: Any) -> None:
    response = counter.invoke(beacon_event(event_named, "css"))
    assert response["statusCode"] == 200
    assert response["body"] == ""
    assert response["isBase64Encoded"] is False
    assert response["headers"]["Content-Type"] == "text/css; charset=utf-8"
    assert_beacon_headers(response["headers"])
    assert response.get("cookies", []) == []
    assert len(counter.items()) == 1


def test_gif_get_is_a_transparent_pixel(counter: Counter, event_named: Any) -> None:
    response = counter.invoke(beacon_event(event_named, "gif"))
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert response["headers"]["Content-Type"] == "image/gif"
    assert_beacon_headers(response["headers"])
    gif = base64.b64decode(response["body"])
    assert 42 <= len(gif) <= 43
    image = Image.open(io.BytesIO(gif))
    assert image.format == "GIF"
    assert image.size == (1, 1)
    assert image.convert("RGBA").getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert len(counter.items()) == 1


@pytest.mark.parametrize("kind", ["css", "gif"])
def test_head_answers_without_a_body_and_is_not_a_view(
    counter: Counter, event_named: Any, kind: str
) -> None:
    response = counter.invoke(beacon_event(event_named, kind, method="HEAD"))
    assert response["statusCode"] == 200
    assert response["body"] == ""
    assert response["headers"]["Content-Type"].startswith(
        "text/css" if kind == "css" else "image/gif"
    )
    assert response["headers"]["X-Lambdactr-Ignored"] == "head"
    assert_beacon_headers(response["headers"])
    assert counter.items() == []


def test_etag_differs_on_every_answer(counter: Counter, event_named: Any) -> None:
    etags = {counter.invoke(beacon_event(event_named, "css"))["headers"]["ETag"] for _ in range(20)}
    assert len(etags) == 20


def test_if_none_match_still_gets_the_full_answer_and_counts(
    counter: Counter, event_named: Any
) -> None:
    first = counter.invoke(beacon_event(event_named, "gif"))
    event = beacon_event(event_named, "gif")
    event["headers"]["if-none-match"] = first["headers"]["ETag"]
    second = counter.invoke(event)
    assert second["statusCode"] == 200
    assert base64.b64decode(second["body"]).startswith(b"GIF89a")
    assert len(counter.items()) == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/c.js"),
        ("GET", "/C.CSS"),
        ("GET", "/c.css/extra"),
        ("POST", "/c.css"),
        ("PUT", "/c.gif"),
        ("DELETE", "/c.gif"),
        ("OPTIONS", "/c.css"),
        ("POST", "/wp-login.php"),
    ],
)
def test_any_other_route_is_an_empty_404_and_stores_nothing(
    counter: Counter, event_named: Any, method: str, path: str
) -> None:
    event = beacon_event(event_named, "css", method=method)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["body"] = "x=1"
    response = counter.invoke(event)
    assert response["statusCode"] == 404
    assert response["body"] == ""
    assert not any(name.lower() == "set-cookie" for name in response["headers"])
    assert counter.items() == []


def test_not_found_event_file_is_a_404(counter: Counter, event_named: Any) -> None:
    assert counter.invoke(event_named("not-found"))["statusCode"] == 404
    assert counter.items() == []
