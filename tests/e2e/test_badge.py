"""The `/c.svg` badge through `lambdactr serve`, over real HTTP and under concurrency."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.badge import read_badge
from tests.support.serve import Serve

# Every test here runs `lambdactr` as a process: not part of `make test-fast`.
pytestmark = pytest.mark.slow

SITE = "blog.example.org"
CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/142.0.0.0 Safari/537.36"
)
VIEWS = 50


def browser_headers(**extra: str) -> dict[str, str]:
    return {
        "Referer": f"https://{SITE}/",
        "User-Agent": CHROME_UA,
        "Accept-Language": "en-GB,en;q=0.9",
        **extra,
    }


def test_50_parallel_views_raise_a_new_counter_to_exactly_50(shared_serve: Serve) -> None:
    path = f"/posts/{uuid.uuid4().hex}/"

    def view(_: int) -> tuple[int, str]:
        answer = shared_serve.get(f"/c.svg?p={path}", browser_headers())
        return answer.status, read_badge(answer.body).count

    with ThreadPoolExecutor(max_workers=VIEWS) as pool:
        answers = list(pool.map(view, range(VIEWS)))

    assert {status for status, _ in answers} == {200}
    # Each view saw its own count: every number from 1 to 50, once.
    assert sorted(int(count) for _, count in answers) == list(range(1, VIEWS + 1))
    assert shared_serve.counter(SITE, path) == VIEWS
    assert len(shared_serve.hits_where(path=path, kind="svg")) == VIEWS

    # A view that is not counted shows the total and leaves it as it is.
    opted_out = shared_serve.get(f"/c.svg?p={path}", browser_headers(DNT="1"))
    assert opted_out.headers["X-Lambdactr-Ignored"] == "dnt"
    assert read_badge(opted_out.body).count == "50"
    assert shared_serve.counter(SITE, path) == VIEWS


def test_the_badge_over_http_is_an_uncached_svg_with_its_own_length(shared_serve: Serve) -> None:
    path = f"/posts/{uuid.uuid4().hex}/"
    logged_before = len(shared_serve.stdout().splitlines())
    answer = shared_serve.get(f"/c.svg?p={path}&label=reads", browser_headers())
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "image/svg+xml"
    assert answer.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert answer.headers["Cache-Control"] == "no-cache, no-store, must-revalidate, max-age=0"
    assert answer.headers["Content-Length"] == str(len(answer.body))
    badge = read_badge(answer.body)
    assert (badge.label, badge.count) == ("reads", "1")

    head = shared_serve.head(f"/c.svg?p={path}", browser_headers())
    assert head.status == 200
    assert head.body == b""
    assert head.headers["X-Lambdactr-Ignored"] == "head"
    assert shared_serve.counter(SITE, path) == 1
    # The access log names the route, never the query (which holds the page here).
    lines = shared_serve.stdout().splitlines()[logged_before:]
    assert [line.split()[1:3] for line in lines] == [["GET", "/c.svg"], ["HEAD", "/c.svg"]]
    assert path not in "\n".join(lines)
    assert lines[1].endswith("ignored=head")
