"""`/c.svg`: counts the view like the other beacons, and shows the page's count in a badge."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from lambdactr.function.item import PlainItem, counter_key
from lambdactr.function.store import Store, make_client
from lambdactr.local.event import LocalContext
from tests.support.badge import Badge, read_badge
from tests.support.counter import TABLE, Counter
from tests.support.hits import CHROME, GOOGLEBOT, HEADLESS

SITE = "blog.example.org"
PATH = "/posts/hello-world/"
NO_CACHE = "no-cache, no-store, must-revalidate, max-age=0"


class RecordingStore(Store):
    """The real store, noting each counter call: an increment is UpdateItem, a read GetItem."""

    def __init__(self) -> None:
        super().__init__(TABLE, make_client())
        self.calls: list[str] = []

    def count_view(self, site: str, path: str) -> int:
        self.calls.append("UpdateItem")
        return super().count_view(site, path)

    def views(self, site: str, path: str) -> int:
        self.calls.append("GetItem")
        return super().views(site, path)


class RefusingStore(RecordingStore):
    """DynamoDB refuses the hit's PutItem, every counter call, or both."""

    def __init__(self, *, hits: bool = True, counter: bool = True) -> None:
        super().__init__()
        self.refuse_hits = hits
        self.refuse_counter = counter

    def put_hit(self, item: PlainItem) -> None:
        if self.refuse_hits:
            raise _throttled("PutItem")
        super().put_hit(item)

    def count_view(self, site: str, path: str) -> int:
        self.calls.append("UpdateItem")
        if self.refuse_counter:
            raise _throttled("UpdateItem")
        return Store.count_view(self, site, path)

    def views(self, site: str, path: str) -> int:
        self.calls.append("GetItem")
        if self.refuse_counter:
            raise _throttled("GetItem")
        return Store.views(self, site, path)


def _throttled(operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
        operation,
    )


@pytest.fixture
def store(counter: Counter) -> RecordingStore:
    recording = RecordingStore()
    counter.configure(store=recording)
    return recording


def svg_event(
    event_named: Any,
    path: str = PATH,
    *,
    method: str = "GET",
    query: str = "",
    **headers: str | None,
) -> dict[str, Any]:
    event: dict[str, Any] = event_named("svg")
    event["rawQueryString"] = f"p={quote(path, safe='')}" + (f"&{query}" if query else "")
    event["requestContext"]["http"]["method"] = method
    for name, value in headers.items():
        header = name.replace("_", "-")
        if value is None:
            event["headers"].pop(header, None)
        else:
            event["headers"][header] = value
    return event


def view(counter: Counter, event: dict[str, Any]) -> tuple[dict[str, Any], Badge]:
    response = counter.invoke(event)
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is False
    return response, read_badge(response["body"])


def test_three_views_show_1_2_3_and_another_page_starts_at_1(
    counter: Counter, store: RecordingStore, event_named: Any
) -> None:
    shown = [view(counter, svg_event(event_named))[1] for _ in range(3)]
    assert [(b.label, b.count) for b in shown] == [("views", "1"), ("views", "2"), ("views", "3")]
    assert [b.spoken for b in shown] == ["views: 1", "views: 2", "views: 3"]
    assert all(b.title == b.spoken for b in shown)

    _, other = view(counter, svg_event(event_named, "/about/"))
    assert other.count == "1"
    assert counter.counters() == {(SITE, PATH): 3, (SITE, "/about/"): 1}
    assert store.calls == ["UpdateItem"] * 4
    assert [h["kind"] for h in counter.items()] == ["svg"] * 4


def test_the_counter_item_and_the_hit_item_are_both_stored(
    counter: Counter, store: RecordingStore, event_named: Any
) -> None:
    view(counter, svg_event(event_named))
    (hit,) = counter.items()
    assert (hit["kind"], hit["site"], hit["path"], hit["src"]) == ("svg", SITE, PATH, "p")
    scanned = counter.client.scan(TableName=TABLE)["Items"]
    (counter_item,) = [i for i in scanned if i["pk"]["S"].startswith("n#")]
    # Nothing but the key, the page and the count: no visitor data, and no TTL.
    assert counter_item == {
        "pk": {"S": counter_key(SITE, PATH)},
        "site": {"S": SITE},
        "path": {"S": PATH},
        "n": {"N": "1"},
    }


def test_the_answer_is_an_uncached_svg_that_can_run_nothing(
    counter: Counter, store: RecordingStore, event_named: Any
) -> None:
    first, _ = view(counter, svg_event(event_named))
    second, _ = view(counter, svg_event(event_named))
    for response in (first, second):
        headers = response["headers"]
        assert headers["Content-Type"] == "image/svg+xml"
        assert headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
        assert headers["Cache-Control"] == NO_CACHE
        assert headers["Pragma"] == "no-cache"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert "X-Lambdactr-Ignored" not in headers
        assert len(response["body"].encode()) < 1024
    assert first["headers"]["ETag"] != second["headers"]["ETag"]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [({"dnt": "1"}, "dnt"), ({"sec_gpc": "1"}, "gpc")],
)
def test_an_opted_out_view_shows_the_count_without_moving_it(
    counter: Counter,
    store: RecordingStore,
    event_named: Any,
    headers: dict[str, str],
    reason: str,
) -> None:
    view(counter, svg_event(event_named))
    store.calls.clear()
    response, badge = view(counter, svg_event(event_named, **headers))
    assert response["headers"]["X-Lambdactr-Ignored"] == reason
    assert badge.count == "1"
    assert store.calls == ["GetItem"]
    assert counter.counters() == {(SITE, PATH): 1}
    assert len(counter.items()) == 1


def test_a_prefetch_is_stored_and_shows_the_count_without_moving_it(
    counter: Counter, store: RecordingStore, event_named: Any
) -> None:
    view(counter, svg_event(event_named))
    store.calls.clear()
    response, badge = view(counter, svg_event(event_named, sec_purpose="prefetch"))
    assert "X-Lambdactr-Ignored" not in response["headers"]
    assert badge.count == "1"
    assert store.calls == ["GetItem"]
    assert counter.counters() == {(SITE, PATH): 1}
    assert sorted(bool(h.get("spec")) for h in counter.items()) == [False, True]


def test_head_answers_without_a_body_and_touches_no_counter(
    counter: Counter, store: RecordingStore, event_named: Any
) -> None:
    view(counter, svg_event(event_named))
    store.calls.clear()
    response = counter.invoke(svg_event(event_named, method="HEAD"))
    assert response["statusCode"] == 200
    assert response["body"] == ""
    assert response["headers"]["Content-Type"] == "image/svg+xml"
    assert response["headers"]["X-Lambdactr-Ignored"] == "head"
    assert store.calls == []
    assert counter.counters() == {(SITE, PATH): 1}
    assert len(counter.items()) == 1


def test_a_host_not_allowed_shows_the_count_and_stores_nothing(
    counter: Counter, event_named: Any
) -> None:
    view(counter, svg_event(event_named))
    counter.configure(allowed_hosts=("other.example.net",))
    response, badge = view(counter, svg_event(event_named))
    assert response["headers"]["X-Lambdactr-Ignored"] == "host"
    assert badge.count == "1"
    assert counter.counters() == {(SITE, PATH): 1}
    assert len(counter.items()) == 1


@pytest.mark.parametrize(
    "user_agent",
    [
        None,
        "curl/8.5.0",
        "python-requests/2.32.3 (a library, not a browser at all)",
        GOOGLEBOT,
        HEADLESS,
        "Mozilla/5.0 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
    ],
)
def test_a_bot_is_stored_and_shown_the_count_but_never_moves_it(
    counter: Counter, store: RecordingStore, event_named: Any, user_agent: str | None
) -> None:
    view(counter, svg_event(event_named, user_agent=CHROME))
    store.calls.clear()
    response, badge = view(counter, svg_event(event_named, user_agent=user_agent))
    assert "X-Lambdactr-Ignored" not in response["headers"]
    assert badge.count == "1"
    assert store.calls == ["GetItem"]
    assert counter.counters() == {(SITE, PATH): 1}
    # The report still sees the bot's hit, and judges it there.
    assert len(counter.items()) == 2


def test_the_label_is_taken_from_the_query_cleaned_and_escaped(
    counter: Counter, store: RecordingStore, event_named: Any
) -> None:
    label = 'reads <b>&"\u202e\x07 of this long, long, long page'
    response, badge = view(counter, svg_event(event_named, query=f"label={quote(label)}"))
    assert badge.label == 'reads <b>&" of this long'
    assert len(badge.label) == 24
    assert badge.spoken == 'reads <b>&" of this long: 1'
    assert "<b>" not in response["body"]


def test_a_view_without_a_page_stores_nothing_and_shows_a_dash(
    counter: Counter, store: RecordingStore, event_named: Any
) -> None:
    event = svg_event(event_named, referer=None)
    event["rawQueryString"] = ""
    response, badge = view(counter, event)
    assert response["headers"]["X-Lambdactr-Ignored"] == "no-page"
    assert badge.count == "\u2013"
    assert store.calls == []


def test_a_failing_dynamodb_still_answers_a_badge_and_logs_the_hit(
    counter: Counter, event_named: Any
) -> None:
    refusing = RefusingStore()
    counter.configure(store=refusing)
    response, badge = view(counter, svg_event(event_named))
    assert badge.count == "\u2013"
    assert badge.spoken == "views: \u2013"
    assert response["headers"]["Content-Type"] == "image/svg+xml"
    (line,) = [line for line in counter.log_lines() if "unsaved_hit" in line]
    assert line["level"] == "ERROR"
    assert line["unsaved_hit"]["kind"] == "svg"
    assert line["unsaved_hit"]["path"] == PATH
    # The hit is replayed later, the count never: the counter is not even tried.
    assert refusing.calls == []
    assert counter.counters() == {}


def test_a_failing_counter_after_a_stored_hit_shows_a_dash_and_says_so(
    counter: Counter, event_named: Any
) -> None:
    counter.configure(store=RefusingStore(hits=False, counter=True))
    _, badge = view(counter, svg_event(event_named))
    assert badge.count == "\u2013"
    assert len(counter.items()) == 1
    (line,) = [line for line in counter.log_lines() if "view counter" in line["message"]]
    assert line["level"] == "ERROR"
    assert (line["site"], line["path"]) == (SITE, PATH)
    assert "unsaved_hit" not in line


def test_the_counter_is_left_alone_when_too_little_time_is_left(
    counter: Counter, store: RecordingStore, event_named: Any
) -> None:
    from lambdactr.function import app

    # The template's timeout covers the hit's own calls; a fifth call that might time out is
    # not started, so the visitor still gets an answer in time.
    response = app.handler(svg_event(event_named), LocalContext(timeout_ms=6_000))  # type: ignore[arg-type]
    assert read_badge(response["body"]).count == "\u2013"
    assert store.calls == []
    assert len(counter.items()) == 1
    # The view that the badge missed is in the log, as for a failed update.
    (line,) = [line for line in counter.log_lines() if "view counter" in line["message"]]
    assert "TimeoutError" in line["error"]


def test_the_sample_event_counts_and_shows_its_page(
    counter: Counter, store: RecordingStore, event_named: Any
) -> None:
    _, badge = view(counter, event_named("svg"))
    assert badge.spoken == "views: 1"
    (hit,) = counter.items()
    assert (hit["kind"], hit["site"], hit["path"]) == ("svg", SITE, PATH)
    assert counter.counters() == {(SITE, PATH): 1}
