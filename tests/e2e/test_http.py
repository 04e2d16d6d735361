"""`lambdactr serve` over real HTTP: beacons, 404s, the demo page, a burst, a DynamoDB outage."""

from __future__ import annotations

import io
import json
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from lambdactr.snippet import ONE_TAG_NOTE, snippet
from tests.support.function import json_lines
from tests.support.hits import CHROME
from tests.support.serve import Serve, StartServe, browser_headers, request, unique_path

# Every test here runs `lambdactr` as a process: `-m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

NO_CACHE = "no-cache, no-store, must-revalidate, max-age=0"


def assert_no_address(item: Any) -> None:
    text = json.dumps(item)
    assert "127.0.0.1" not in text
    assert "sourceIp" not in text


@pytest.mark.parametrize(
    ("kind", "content_type"), [("css", "text/css; charset=utf-8"), ("gif", "image/gif")]
)
def test_get_beacon_answers_and_stores_one_hit(
    shared_serve: Serve, kind: str, content_type: str
) -> None:
    path = unique_path()
    answer = shared_serve.get(f"/c.{kind}?p={path}&t=Hello", browser_headers())

    assert answer.status == 200
    assert answer.headers["Content-Type"] == content_type
    assert answer.headers["Cache-Control"] == NO_CACHE
    assert answer.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert answer.headers["Content-Length"] == str(len(answer.body))
    assert answer.headers.get("Set-Cookie") is None
    assert answer.headers.get("X-Lambdactr-Ignored") is None
    [hit] = shared_serve.hits_where(path=path)
    assert hit["kind"] == kind
    assert hit["site"] == "blog.example.org"
    assert hit["src"] == "p"
    assert hit["title"] == "Hello"
    assert hit["ua"] == CHROME
    assert hit["lang"] == "en-GB"
    assert len(str(hit["vid"])) == 16
    assert "cc" not in hit  # a loopback client has no country
    assert_no_address(hit)


def test_gif_decodes_to_one_transparent_pixel(shared_serve: Serve) -> None:
    answer = shared_serve.get(f"/c.gif?p={unique_path()}", browser_headers())

    image = Image.open(io.BytesIO(answer.body))
    assert image.format == "GIF"
    assert image.size == (1, 1)
    assert image.convert("RGBA").getpixel((0, 0))[3] == 0  # type: ignore[index]


def test_css_body_is_an_empty_stylesheet(shared_serve: Serve) -> None:
    answer = shared_serve.get(f"/c.css?p={unique_path()}", browser_headers())
    assert answer.body == b""


@pytest.mark.parametrize("kind", ["css", "gif"])
def test_head_is_answered_without_body_and_not_stored(shared_serve: Serve, kind: str) -> None:
    path = unique_path()
    answer = shared_serve.head(f"/c.{kind}?p={path}", browser_headers())

    assert answer.status == 200
    assert answer.body == b""
    assert answer.headers["X-Lambdactr-Ignored"] == "head"
    assert answer.headers["Cache-Control"] == NO_CACHE
    assert shared_serve.hits_where(path=path) == []


@pytest.mark.parametrize("target", ["/nope", "/c.js", "/c.css/extra", "/favicon.ico", "/C.CSS"])
def test_unknown_paths_are_404_and_store_nothing(shared_serve: Serve, target: str) -> None:
    before = len(shared_serve.hits())
    answer = shared_serve.get(target, browser_headers())

    assert answer.status == 404
    assert answer.body == b""
    assert len(shared_serve.hits()) == before


def test_post_to_a_beacon_is_not_counted(shared_serve: Serve) -> None:
    path = unique_path()
    answer = request(shared_serve.base_url, "POST", f"/c.css?p={path}", browser_headers())
    assert answer.status == 404
    assert shared_serve.hits_where(path=path) == []


class _TagFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_demo_page_counts_itself_with_the_badge_and_shows_the_one_tag(shared_serve: Serve) -> None:
    answer = shared_serve.get("/")

    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    finder = _TagFinder()
    finder.feed(answer.body.decode())
    links = [a for t, a in finder.tags if t == "link" and a.get("rel") == "stylesheet"]
    images = [a for t, a in finder.tags if t == "img"]
    # One counting tag, so one hit per load: the live badge, naming its page, the site's only one.
    assert links == []
    assert [a["src"] for a in images] == [f"{shared_serve.base_url}/c.svg?p=/"]
    assert images[0]["referrerpolicy"] == "no-referrer-when-downgrade"
    page = answer.body.decode()
    # The tag to paste is the plain one, shown once, the badge's as the alternative, with why
    # one is enough.
    assert escape(snippet(shared_serve.base_url)) in page
    assert escape(snippet(shared_serve.base_url, tag="svg")) in page
    assert page.count("&lt;link") == 1
    assert ONE_TAG_NOTE in page
    assert f"--endpoint-url {shared_serve.endpoint}" in page


def test_banner_prints_beacons_snippet_and_report_command(shared_serve: Serve) -> None:
    out = shared_serve.stdout()
    base = shared_serve.base_url
    assert f"CSS beacon  {base}/c.css" in out
    assert f"GIF beacon  {base}/c.gif" in out
    assert f"SVG badge   {base}/c.svg" in out
    # Exactly one tag to paste, and why not two.
    assert f'<link rel="stylesheet" href="{base}/c.css" media="none"' in out
    assert "<img " not in out
    assert "One tag per page: two would count each view twice." in out
    # Report commands that work as pasted: the program named so that the shell finds it (the
    # venv's script by its path unless `lambdactr` on PATH is that very script), the second one
    # from any directory.
    local = re.search(rf"^  (\S+) report --local --state-dir {shared_serve.state_dir}$", out, re.M)
    anywhere = re.search(
        rf"^  (\S+) report --table lambdactr-hits --endpoint-url {shared_serve.endpoint}$",
        out,
        re.M,
    )
    assert local is not None, out
    assert anywhere is not None, out
    assert shutil.which(local.group(1)) is not None
    assert anywhere.group(1) == "lambdactr" or Path(anywhere.group(1)).is_absolute()
    assert shutil.which(anywhere.group(1)) is not None


def test_burst_of_500_at_concurrency_20_stores_500_without_5xx(shared_serve: Serve) -> None:
    path = unique_path()

    def hit(number: int) -> int:
        kind = "css" if number % 2 else "gif"
        headers = browser_headers()
        headers["User-Agent"] = f"{CHROME} burst/{number}"
        return shared_serve.get(f"/c.{kind}?p={path}", headers).status

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(hit, range(500)))

    assert [s for s in statuses if s >= 500] == []
    assert statuses.count(200) == 500
    hits = shared_serve.hits_where(path=path)
    assert len(hits) == 500
    assert len({h["pk"] for h in hits}) == 500
    # Each hit is its own request's: the user agent's number and the beacon kind still match.
    numbers = {int(str(h["ua"]).rsplit("/", 1)[1]): h["kind"] for h in hits}
    assert numbers == {n: "css" if n % 2 else "gif" for n in range(500)}


def test_another_dynamodb_by_environment_and_unsaved_hits_when_it_fails(
    serve_factory: StartServe,
) -> None:
    database = serve_factory()
    counter = serve_factory(env={"AWS_ENDPOINT_URL_DYNAMODB": database.endpoint})

    assert counter.endpoint == database.endpoint
    assert "embedded" not in counter.stdout()
    stored_path = unique_path()
    assert counter.get(f"/c.css?p={stored_path}", browser_headers()).status == 200
    assert len(database.hits_where(path=stored_path)) == 1

    assert database.stop() == 0
    lost_path = unique_path()
    answer = counter.get(f"/c.gif?p={lost_path}", browser_headers())

    # The visitor still gets the pixel; the hit waits in stdout for `lambdactr replay`.
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "image/gif"
    deadline = time.monotonic() + 10
    unsaved: list[dict[str, Any]] = []
    while not unsaved and time.monotonic() < deadline:
        unsaved = [
            line["unsaved_hit"]
            for line in json_lines(counter.stdout())
            if line.get("unsaved_hit", {}).get("path") == lost_path
        ]
        time.sleep(0.05)
    [item] = unsaved
    assert item["kind"] == "gif"
    assert item["site"] == "blog.example.org"
    assert len(item["pk"]) == 32
    assert_no_address(item)


def test_serves_on_a_machine_without_any_aws_configuration(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    nowhere = str(tmp_path / "no-such-file")
    bare = serve_factory(
        env={
            "AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None,
            "AWS_SESSION_TOKEN": None,
            "AWS_DEFAULT_REGION": None,
            "AWS_REGION": None,
            "AWS_PROFILE": None,
            "AWS_CONFIG_FILE": nowhere,
            "AWS_SHARED_CREDENTIALS_FILE": nowhere,
        }
    )
    path = unique_path()

    assert bare.get(f"/c.css?p={path}", browser_headers()).status == 200
    assert len(bare.hits_where(path=path)) == 1
