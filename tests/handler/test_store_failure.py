"""A write that fails still answers the beacon, and logs the whole item for replay."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdactr.function.item import PlainItem
from lambdactr.function.privacy import Salt
from lambdactr.function.store import Store, make_client
from tests.support.counter import TABLE, Counter
from tests.support.events import FORBIDDEN_HEADERS
from tests.support.function import json_lines


class ThrottledStore(Store):
    def __init__(self) -> None:
        super().__init__(TABLE, make_client())

    def put_hit(self, item: PlainItem) -> None:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "PutItem",
        )

    def get_salt(self) -> Salt | None:
        return Salt(b"s" * 32, expires_at=2**40)

    def create_salt(self, salt: Salt, now: int) -> Salt | None:
        return salt


@pytest.mark.parametrize("name", ["css", "gif", "hostile"])
def test_failed_write_answers_200_and_logs_the_whole_item(
    counter: Counter,
    event_named: Any,
    capsys: pytest.CaptureFixture[str],
    name: str,
) -> None:
    counter.configure(store=ThrottledStore())
    event = event_named(name)
    event["headers"].update(FORBIDDEN_HEADERS)
    event["cookies"] = ["session=s3cr3t-cookie"]
    response = counter.invoke(event)
    assert response["statusCode"] == 200
    assert "X-Lambdactr-Ignored" not in response["headers"]
    (line,) = [line for line in counter.log_lines() if "unsaved_hit" in line]
    assert line["level"] == "ERROR"
    assert "ProvisionedThroughputExceeded" in line["error"]
    unsaved = line["unsaved_hit"]
    assert set(unsaved) >= {"pk", "ts", "day", "kind", "site", "path", "src", "vid", "ttl"}
    assert unsaved["kind"] == ("css" if name == "css" else "gif")
    # The log line is as private as the table: no address, no cookie, no credential.
    text = json.dumps(line)
    for secret in ["81.2.69.160", "s3cr3t", *FORBIDDEN_HEADERS.values()]:
        assert secret not in text

    # The same request on a healthy table stores exactly what was logged, but for pk and vid salt.
    counter.configure()
    counter.invoke(event_named(name))
    (stored,) = counter.items()
    assert {k: v for k, v in stored.items() if k not in ("pk", "vid")} == {
        k: v for k, v in unsaved.items() if k not in ("pk", "vid")
    }
    (metric_line,) = [m for m in json_lines(capsys.readouterr().out) if "StoreFailed" in m]
    # Without a level Lambda would file it as INFO and drop it at the default WARN.
    assert metric_line["level"] == "ERROR"
    assert metric_line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Lambdactr"


def test_normal_stored_hit_logs_nothing_at_the_default_level(
    counter: Counter, event_named: Any
) -> None:
    counter.invoke(event_named("css"))
    assert counter.log_lines() == []
