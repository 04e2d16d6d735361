"""Real headless browsers load a page from another origin that embeds the beacons.

What each browser sends as Referer decides the stored path when the tag has no `p=`:
- cross-site (page on `localhost`, beacon on `127.0.0.1`): Chromium honours
  `referrerpolicy="no-referrer-when-downgrade"` and sends the full URL; Firefox sends only the
  page's origin, so the path is `/` (the limitation the README documents);
- same-site (page on `blog.example.test`, beacon on `stats.example.test`): both send the full URL.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, quote_plus, urlsplit

import pytest

from lambdactr.function.badge import DEFAULT_LABEL, render_badge
from lambdactr.function.item import PlainItem
from lambdactr.snippet import snippet
from tests.support.badge import read_badge
from tests.support.http import serving
from tests.support.serve import Serve, StartServe, run_lambdactr

pytestmark = pytest.mark.browser

Browser = Literal["chromium", "firefox"]
BROWSERS: tuple[Browser, ...] = ("chromium", "firefox")
EXECUTABLES: dict[Browser, str] = {"chromium": "chromium", "firefox": "firefox-esr"}
USER_AGENT_MARK: dict[Browser, str] = {"chromium": "Chrome/", "firefox": "Firefox/"}
SAME_SITE_HOSTS = ("blog.example.test", "stats.example.test")
# Headless Chromium says "HeadlessChrome", which the report and the badge take for a bot; a site
# owner's visitors run the browser with a window, and this user agent.
CHROMIUM_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Safari/537.36"
)
BROWSER_TIMEOUT_S = 90
POLL_S = 0.2
# The test pages report their own `load` event, which fires once every stylesheet and image of
# the page has been fetched: then no beacon request of that view is still on its way.
LOADED_QUERY = "loaded"
REPORT_LOAD = (
    "<script>addEventListener('load', () => fetch(location.pathname + '?loaded'));</script>"
)


class _Pages(ThreadingHTTPServer):
    daemon_threads = True
    pages: dict[str, str]
    loaded: set[str]
    # Every path asked for, query included: a page's script can report back this way.
    requested: list[str]


class _PageHandler(BaseHTTPRequestHandler):
    server: _Pages

    def do_GET(self) -> None:
        self.server.requested.append(self.path)
        path, _, query = self.path.partition("?")
        if query == LOADED_QUERY:
            self.server.loaded.add(path)
            self.send_response(204)
            self.end_headers()
            return
        html = self.server.pages.get(path)
        body = html.encode() if html is not None else b"not found"
        self.send_response(200 if html is not None else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class PageServer:
    """The embedding site: another origin than the counter, on a port of its own."""

    server: _Pages

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def publish(self, path: str, tags: str, body: str = "<h1>A post</h1><p>Hello.</p>") -> None:
        """A page at `path` with `tags` in its head, which reports when it has loaded."""
        self.server.pages[path] = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A post</title>'
            f"{tags}{REPORT_LOAD}</head><body>{body}</body></html>"
        )

    def has_loaded(self, path: str) -> bool:
        return path in self.server.loaded


@pytest.fixture(scope="module")
def pages() -> Iterator[PageServer]:
    server = _Pages(("127.0.0.1", 0), _PageHandler)
    server.pages = {}
    server.loaded = set()
    server.requested = []
    with serving(server):
        yield PageServer(server)


def _executable(browser: Browser) -> str:
    found = shutil.which(EXECUTABLES[browser])
    if found is None:
        pytest.fail(f"{EXECUTABLES[browser]} is not installed: run `make system-deps`")
    return found


def _command(browser: Browser, url: str, profile: Path, user_agent: str | None = None) -> list[str]:
    if browser == "chromium":
        return [
            _executable(browser),
            *([f"--user-agent={user_agent}"] if user_agent else []),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--no-proxy-server",
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP *.example.test 127.0.0.1",
            # Virtual time runs until the page, its stylesheets and images have loaded; then
            # Chromium prints the DOM and exits.
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ]
    (profile / "user.js").write_text(
        f'user_pref("network.dns.localDomains", "{",".join(SAME_SITE_HOSTS)}");\n'
        'user_pref("network.proxy.type", 0);\n'
        'user_pref("browser.shell.checkDefaultBrowser", false);\n'
        'user_pref("datareporting.policy.dataSubmissionEnabled", false);\n'
        'user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);\n'
    )
    # Not `--screenshot`: to capture, it cancels and refetches images still loading, so a slow
    # beacon would be counted twice. The page stays open until its hits have arrived.
    return [_executable(browser), "--headless", "--no-remote", "--profile", str(profile), url]


def visit(
    browser: Browser,
    url: str,
    pages: PageServer,
    serve: Serve,
    work_dir: Path,
    expected: int,
    *,
    user_agent: str | None = None,
    and_then: Callable[[], bool] | None = None,
) -> list[PlainItem]:
    """Load `url` (a page of `pages`) headless in a fresh profile; return the hits it stored,
    sorted by kind.

    Waits until the page has loaded (so every beacon request it makes has been answered, and a
    duplicate would be in the table too), at least `expected` new hits are in and `and_then()`
    holds, or time is up. `user_agent` replaces Chromium's own, which names it headless.
    """
    before = {str(h["pk"]) for h in serve.hits()}
    profile = work_dir / f"{browser}-profile-{uuid.uuid4().hex[:8]}"
    profile.mkdir(parents=True)
    log = work_dir / f"{profile.name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            _command(browser, url, profile, user_agent),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a process group of its own, killed whole at the end
            env={**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1"},
        )
    try:
        deadline = time.monotonic() + BROWSER_TIMEOUT_S
        page = urlsplit(url).path
        hits: list[PlainItem] = []
        while time.monotonic() < deadline:
            # Chromium prints the DOM and exits once the page has loaded; Firefox stays open.
            status = process.poll()
            if status is not None and status != 0:
                pytest.fail(f"{browser} exited with {status}:\n{log.read_text()}")
            loaded = pages.has_loaded(page) or status == 0
            hits = [h for h in serve.hits() if h["pk"] not in before]
            if loaded and len(hits) >= expected and (and_then is None or and_then()):
                break
            time.sleep(POLL_S)
        else:
            pytest.fail(
                f"{browser}: loaded {pages.has_loaded(page)}, {len(hits)} of {expected} hits:\n"
                f"{log.read_text()}"
            )
    finally:
        # No helper process (a Chromium zygote, a Firefox content process) may outlive the test.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return sorted(hits, key=lambda h: str(h["kind"]))


def normal_agent(browser: Browser) -> str | None:
    """The user agent a person's copy of `browser` sends, where headless mode changes it."""
    return CHROMIUM_UA if browser == "chromium" else None


def assert_visitor_hit(hit: PlainItem, browser: Browser, *, site: str, path: str) -> None:
    assert hit["site"] == site
    assert hit["path"] == path
    assert USER_AGENT_MARK[browser] in str(hit["ua"])
    assert len(str(hit["vid"])) == 16
    stored = json.dumps(hit)
    assert "127.0.0.1" not in stored
    assert "cc" not in hit


@pytest.mark.parametrize("browser", BROWSERS)
def test_cross_site_with_p_stores_the_real_path(
    browser: Browser, shared_serve: Serve, pages: PageServer, tmp_path: Path
) -> None:
    path = f"/posts/{uuid.uuid4().hex}/"
    base = shared_serve.base_url  # http://127.0.0.1:PORT, another site than localhost
    pages.publish(
        path,
        f'<link rel="stylesheet" href="{base}/c.css?p={path}" media="none"'
        ' referrerpolicy="no-referrer-when-downgrade">'
        f'<img src="{base}/c.gif?p={path}" alt="" width="1" height="1"'
        ' referrerpolicy="no-referrer-when-downgrade">',
    )
    hits = visit(browser, f"http://localhost:{pages.port}{path}", pages, shared_serve, tmp_path, 2)
    assert [h["kind"] for h in hits] == ["css", "gif"]
    for hit in hits:
        assert hit["src"] == "p"
        assert_visitor_hit(hit, browser, site="localhost", path=path)
        # Browsers send Sec-Fetch-* only to a trustworthy origin, which 127.0.0.1 is; it is kept.
        assert hit["h"]["sec-fetch-site"] == "cross-site"


def both_tags(base_url: str) -> str:
    """The <link> and the <img>, for tests of what each beacon stores (never a real page's)."""
    return snippet(base_url, "link") + snippet(base_url, "img")


@pytest.mark.parametrize(("browser", "stored_path"), [("chromium", "page"), ("firefox", "/")])
def test_cross_site_snippet_path_depends_on_the_browser(
    browser: Browser, stored_path: str, shared_serve: Serve, pages: PageServer, tmp_path: Path
) -> None:
    path = f"/posts/{uuid.uuid4().hex}/"
    pages.publish(path, both_tags(shared_serve.base_url))
    hits = visit(browser, f"http://localhost:{pages.port}{path}", pages, shared_serve, tmp_path, 2)
    assert [h["kind"] for h in hits] == ["css", "gif"]
    for hit in hits:
        assert hit["src"] == "referer"
        # Chromium sends the whole page URL; Firefox only the origin to another site.
        assert_visitor_hit(
            hit, browser, site="localhost", path=path if stored_path == "page" else "/"
        )


@pytest.mark.parametrize("browser", BROWSERS)
def test_same_site_snippet_stores_the_real_path(
    browser: Browser, shared_serve: Serve, pages: PageServer, tmp_path: Path
) -> None:
    path = f"/posts/{uuid.uuid4().hex}/"
    beacon_port = shared_serve.base_url.rsplit(":", 1)[1]
    pages.publish(path, both_tags(f"http://stats.example.test:{beacon_port}"))
    page = f"http://blog.example.test:{pages.port}{path}"
    hits = visit(browser, page, pages, shared_serve, tmp_path, 2)
    assert [h["kind"] for h in hits] == ["css", "gif"]
    for hit in hits:
        assert hit["src"] == "referer"
        assert_visitor_hit(hit, browser, site="blog.example.test", path=path)


@pytest.mark.parametrize("browser", BROWSERS)
def test_opening_the_demo_page_counts_a_view(
    browser: Browser, shared_serve: Serve, pages: PageServer, tmp_path: Path
) -> None:
    # The demo page is opened in a frame of a test page, whose `load` waits for the frame's: so
    # the test knows when the demo page has finished loading. Its beacons see the same Referer.
    path = f"/demo/{uuid.uuid4().hex}/"
    pages.publish(path, "", f'<iframe src="{shared_serve.base_url}/"></iframe>')
    hits = visit(browser, f"http://localhost:{pages.port}{path}", pages, shared_serve, tmp_path, 1)
    # One tag, the live badge; the page names itself with ?p=/, so no warning takes it for a site
    # whose referrer policy is missing. (The module's other browser opens the same page of the
    # same server, so only this browser's hits are this view's.) Firefox, on a loaded machine,
    # now and then fetches the badge of this page twice when it sits in a frame: one load per
    # view on a real page is what test_the_printed_tag_counts_one_view_per_load and
    # test_the_badge_renders_and_counts_one_view_per_load hold, in both browsers.
    hits = [h for h in hits if USER_AGENT_MARK[browser] in str(h["ua"])]
    assert hits, "the demo page counted no view"
    assert {(h["kind"], h["site"], h["path"], h["src"]) for h in hits} == {
        ("svg", "127.0.0.1", "/", "p"),
    }, hits
    assert all(USER_AGENT_MARK[browser] in str(h["ua"]) for h in hits)


def test_views_by_real_browsers_come_out_in_the_report(
    serve_factory: StartServe, pages: PageServer, tmp_path: Path
) -> None:
    serve = serve_factory()
    path = f"/posts/{uuid.uuid4().hex}/"
    base = serve.base_url
    pages.publish(
        path,
        f'<link rel="stylesheet" href="{base}/c.css?p={path}" media="none">'
        f'<img src="{base}/c.gif?p={path}" alt="" width="1" height="1">',
    )
    stored = []
    for browser in BROWSERS:
        stored += visit(browser, f"http://localhost:{pages.port}{path}", pages, serve, tmp_path, 2)
    day = str(stored[0]["day"])
    headless = [h for h in stored if "HeadlessChrome" in str(h["ua"])]

    def report(*extra: str) -> dict[str, Any]:
        # As a site owner on a machine with no AWS account runs it against `serve`.
        return report_json(
            serve, tmp_path, day, *extra, env=NO_AWS_ACCOUNT | {"HOME": str(tmp_path)}
        )

    everything = report("--include-bots")
    assert everything["pageviews"] == 4
    assert everything["visitors"] == 2  # one per browser: same address, another user agent
    assert [(p["path"], p["pageviews"]) for p in everything["pages"]] == [(path, 4)]
    assert {k["name"]: k["pageviews"] for k in everything["kinds"]} == {"css": 2, "gif": 2}
    assert {b["name"] for b in everything["browsers"]} >= {"Firefox"}

    # By default a headless Chromium is a bot: counted out, with its reason.
    default = report()
    assert default["pageviews"] == 4 - len(headless)
    assert default["filtered"].get("headless", 0) == len(headless)


@pytest.mark.parametrize("browser", BROWSERS)
def test_the_badge_renders_and_counts_one_view_per_load(
    browser: Browser, shared_serve: Serve, pages: PageServer, tmp_path: Path
) -> None:
    path = f"/posts/{uuid.uuid4().hex}/"
    base = shared_serve.base_url
    # Once the badge has loaded (or failed to), the page reports its rendered width back.
    pages.publish(
        path,
        f'<img id="badge" src="{base}/c.svg?p={path}" alt="views of this page" height="20"'
        ' referrerpolicy="no-referrer-when-downgrade">'
        "<script>"
        'const badge = document.getElementById("badge");'
        "const tell = () => {"
        f' new Image().src = "/rendered?page={path}&width=" + badge.naturalWidth; }};'
        "if (badge.complete) tell(); else { badge.onload = tell; badge.onerror = tell; }"
        "</script>",
    )

    def rendered_widths() -> list[int]:
        prefix = f"/rendered?page={path}&width="
        return [int(r[len(prefix) :]) for r in pages.server.requested if r.startswith(prefix)]

    for load in (1, 2):
        hits = visit(
            browser,
            f"http://localhost:{pages.port}{path}",
            pages,
            shared_serve,
            tmp_path,
            1,
            user_agent=normal_agent(browser),
            and_then=lambda load=load: len(rendered_widths()) >= load,  # type: ignore[misc]
        )
        assert [(h["kind"], h["site"], h["path"]) for h in hits] == [("svg", "localhost", path)]
        assert shared_serve.counter("localhost", path) == load
        width = rendered_widths()[load - 1]
        assert width > 0
        # The image the browser drew is the badge of this count: its width is that badge's.
        assert width == read_badge(render_badge(DEFAULT_LABEL, load)).width


NO_AWS_ACCOUNT: dict[str, str | None] = {
    "AWS_ACCESS_KEY_ID": None,
    "AWS_SECRET_ACCESS_KEY": None,
    "AWS_SESSION_TOKEN": None,
}


def report_json(
    serve: Serve, cwd: Path, day: str, *extra: str, env: dict[str, str | None] | None = None
) -> dict[str, Any]:
    finished = run_lambdactr(
        "report",
        "--table",
        serve.table,
        "--endpoint-url",
        serve.endpoint,
        "--since",
        day,
        "--until",
        day,
        "--format",
        "json",
        *extra,
        cwd=cwd,
        env=env,
    )
    assert finished.returncode == 0, finished.stderr
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


def printed_snippet(base_url: str, *options: str, cwd: Path) -> str:
    """Exactly what `lambdactr snippet` prints on stdout, as the site owner pastes it."""
    printed = run_lambdactr("snippet", base_url, *options, cwd=cwd)
    assert printed.returncode == 0, printed.stderr
    return printed.stdout


@pytest.mark.parametrize("browser", BROWSERS)
def test_the_printed_tag_counts_one_view_per_load(
    browser: Browser, serve_factory: StartServe, pages: PageServer, tmp_path: Path
) -> None:
    serve = serve_factory()
    path = f"/posts/{uuid.uuid4().hex}/"
    pages.publish(path, printed_snippet(serve.base_url, cwd=tmp_path))
    loads = 2
    stored: list[PlainItem] = []
    for load in range(loads):
        stored += visit(
            browser,
            f"http://localhost:{pages.port}{path}",
            pages,
            serve,
            tmp_path,
            1,
            user_agent=normal_agent(browser),
        )
        assert len(stored) == load + 1

    report = report_json(serve, tmp_path, str(stored[0]["day"]))
    assert report["pageviews"] == loads
    assert report["filtered"] == {}
    assert [k["name"] for k in report["kinds"]] == ["css"]


def _as_hugo(path: str) -> str:
    # Go's html/template urlquery: a query value, "/" encoded.
    return quote_plus(path, safe="")


def _as_liquid(path: str) -> str:
    # Liquid's url_encode (Jekyll): CGI.escape, so spaces become "+".
    return quote_plus(path, safe="")


def _as_nunjucks(path: str) -> str:
    # Nunjucks' urlencode: JavaScript's encodeURIComponent.
    return quote(path, safe="-_.!~*'()")


def _as_tera(path: str) -> str:
    # Tera's urlencode_strict: everything but the unreserved characters.
    return quote(path, safe="-_.~")


def _as_astro(path: str) -> str:
    # Astro.url.pathname is already percent-encoded; encodeURIComponent encodes it once more.
    return quote(quote(path, safe="/+"), safe="-_.!~*'()")


# How each generator's template writes the path, with its expression rendered for one page.
RENDERED = {
    "hugo": ("{{ .RelPermalink | urlquery }}", _as_hugo),
    "jekyll": ("{{ page.url | url_encode }}", _as_liquid),
    "eleventy": ("{{ page.url | urlencode }}", _as_nunjucks),
    "zola": ("{{ current_path | urlencode_strict }}", _as_tera),
    "astro": ("encodeURIComponent(Astro.url.pathname)", _as_astro),
}


def render_template(tag: str, generator: str, path: str) -> str:
    """The tag as the generator builds it into a page: the expression replaced by its value."""
    expression, encode = RENDERED[generator]
    assert expression in tag
    if generator == "astro":
        # {`...?p=${expr}`} becomes an ordinary quoted attribute.
        rendered = tag.replace("{`", '"').replace("`}", '"')
        return rendered.replace("${" + expression + "}", encode(path))
    return tag.replace(expression, encode(path))


@pytest.mark.parametrize("generator", sorted(RENDERED))
def test_each_generator_tag_counts_its_page_in_firefox(
    generator: str, shared_serve: Serve, pages: PageServer, tmp_path: Path
) -> None:
    # Firefox, cross-site: the one browser that names no page without ?p=. A space, a "+" and
    # a non-ASCII letter show that the generator's encoding comes back as the path.
    path = f"/posts/{uuid.uuid4().hex}/caf\u00e9 + cr\u00e8me/"
    tag = printed_snippet(shared_serve.base_url, "--for", generator, cwd=tmp_path)
    pages.publish(quote(path), render_template(tag, generator, path))

    hits = visit(
        "firefox", f"http://localhost:{pages.port}{quote(path)}", pages, shared_serve, tmp_path, 1
    )

    [hit] = hits
    assert (hit["site"], hit["path"], hit["src"]) == ("localhost", path, "p")
