"""Only the two beacon paths are beacons: a path that merely looks like one is a 404."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.counter import Counter


@pytest.mark.parametrize("path", ["/cXcss", "/c-css", "/c.cssx", "/cxgif", "/c_gif", "/c.gi"])
def test_a_near_miss_path_is_a_404_and_stores_nothing(
    counter: Counter, event_named: Any, path: str
) -> None:
    event = event_named("css")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    assert counter.invoke(event)["statusCode"] == 404
    assert counter.items() == []


@pytest.mark.parametrize(
    ("path", "content_type"), [("/c.css", "text/css"), ("/c.gif", "image/gif")]
)
def test_the_beacon_paths_still_count(
    counter: Counter, event_named: Any, path: str, content_type: str
) -> None:
    event = event_named("css")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    response = counter.invoke(event)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith(content_type)
    assert len(counter.items()) == 1
