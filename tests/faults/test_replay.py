"""Take DynamoDB away, send N hits, bring it back, replay the log twice: exactly N hits stored.

Both runs of `lambdactr replay` are the real command: one through `lambdactr.cli.main`, one as
the installed console script in its own process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lambdactr import cli
from lambdactr.function.item import PlainItem
from tests.support.faults import TABLE, Function, MotoDynamoDB, client_for

COUNTED = ("css", "gif", "prefetch", "origin-referer", "hostile")
NOT_COUNTED = ("dnt", "gpc", "head", "not-found", "disallowed-host")
ALLOWED_HOSTS = ("blog.example.org",)
ROUNDS = 2
N = len(COUNTED) * ROUNDS
# What `lambdactr serve` prints around the handler's own JSON lines.
SERVE_NOISE = (
    "lambdactr serve: http://127.0.0.1:3000/ (DynamoDB at http://127.0.0.1:8000)",
    '127.0.0.1 - - [23/Nov/2026 00:00:00] "GET /c.css HTTP/1.1" 200 -',
    "{not json, but it starts like it",
    "",
)
HEALTHY_TABLE = "lambdactr-healthy-hits"


def events(event_named: Any) -> list[dict[str, Any]]:
    """The same views in every run: ROUNDS of each kind of request, each a millisecond apart."""
    sent: list[dict[str, Any]] = []
    for _ in range(ROUNDS):
        for name in COUNTED + NOT_COUNTED:
            event = event_named(name)
            event["requestContext"]["timeEpoch"] += len(sent)
            sent.append(event)
    return sent


def send(function: Function, sent: list[dict[str, Any]]) -> None:
    for event in sent:
        expected = 404 if event["rawPath"] == "/wp-login.php" else 200
        assert function.invoke(event)["statusCode"] == expected


def captured_log(function: Function, stdout: str, path: Path) -> Path:
    """The function's output as `lambdactr serve` shows it: its JSON log lines, its metric lines
    and the server's own lines, interleaved."""
    lines: list[str] = []
    for log_line, noise in zip(function.log_text().splitlines(), SERVE_NOISE * N, strict=False):
        lines += [noise, log_line]
    lines += stdout.splitlines()
    path.write_text("\n".join(lines) + "\n")
    return path


def replay_in_process(log: Path, moto_dynamodb: MotoDynamoDB, table: str = TABLE) -> int:
    options = ["--table", table, "--endpoint-url", moto_dynamodb.url, "--region", "us-east-1"]
    return cli.main(["replay", str(log), *options])


def replay_as_process(
    log: Path, moto_dynamodb: MotoDynamoDB, table: str = TABLE
) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("lambdactr")
    assert script.exists(), "the lambdactr console script is installed with the package"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    return subprocess.run(
        [str(script), "replay", str(log), "--table", table, "--endpoint-url", moto_dynamodb.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def by_ts(items: list[PlainItem]) -> list[PlainItem]:
    return sorted(items, key=lambda item: int(item["ts"]))


def without(item: PlainItem, *names: str) -> PlainItem:
    return {k: v for k, v in item.items() if k not in names}


@pytest.mark.slow
def test_replay_after_an_outage_stores_every_hit_once(
    function: Function,
    event_named: Any,
    unreachable_url: str,
    moto_dynamodb: MotoDynamoDB,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # 1. DynamoDB is away for a container that starts during the outage.
    function.wire(client_for(monkeypatch, unreachable_url), allowed_hosts=ALLOWED_HOSTS)
    # 2. N views arrive, among requests that are never counted.
    sent = events(event_named)
    send(function, sent)
    logged = function.unsaved_hits()
    assert len(logged) == N
    log = captured_log(function, capsys.readouterr().out, tmp_path / "serve.log")

    # 3. DynamoDB is back. 4. The log is replayed, twice.
    moto_dynamodb.create_table()
    assert replay_in_process(log, moto_dynamodb) == 0
    assert capsys.readouterr().out.strip() == f"wrote {N}, skipped 0 (already stored), failed 0"
    again = replay_as_process(log, moto_dynamodb)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"wrote 0, skipped {N} (already stored), failed 0"

    # 5. Exactly N items, each exactly what was logged, key included.
    stored = moto_dynamodb.hits()
    assert len(stored) == N
    assert sorted(stored, key=lambda i: str(i["pk"])) == sorted(logged, key=lambda i: str(i["pk"]))

    # ...and what a healthy run of the same views stores, but for the key and the visitor id:
    # the salt lives beside the table that was away, so these hits carry `novid`, not `vid`.
    moto_dynamodb.create_table(HEALTHY_TABLE)
    function.wire(
        client_for(monkeypatch, moto_dynamodb.url),
        table=HEALTHY_TABLE,
        allowed_hosts=ALLOWED_HOSTS,
    )
    send(function, sent)
    healthy = by_ts(moto_dynamodb.hits(HEALTHY_TABLE))
    assert len(healthy) == N
    for replayed, expected in zip(by_ts(stored), healthy, strict=True):
        assert replayed["novid"] is True
        assert "vid" not in replayed
        assert without(replayed, "pk", "novid") == without(expected, "pk", "vid")


@pytest.mark.slow
def test_replay_keeps_the_vid_of_a_container_that_had_the_salt(
    function: Function,
    event_named: Any,
    unreachable_url: str,
    moto_dynamodb: MotoDynamoDB,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # A warm container has read today's salt before DynamoDB goes away.
    moto_dynamodb.create_table()
    healthy_client = client_for(monkeypatch, moto_dynamodb.url)
    store = function.wire(healthy_client, allowed_hosts=ALLOWED_HOSTS)
    warm_up = event_named("css")
    warm_up["requestContext"]["timeEpoch"] -= 1000
    function.invoke(warm_up)
    (before,) = moto_dynamodb.hits()

    store.client = client_for(monkeypatch, unreachable_url)
    sent = events(event_named)
    send(function, sent)
    logged = function.unsaved_hits()
    assert len(logged) == N
    assert all("vid" in item and "novid" not in item for item in logged)
    log = captured_log(function, capsys.readouterr().out, tmp_path / "serve.log")

    first = replay_as_process(log, moto_dynamodb)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"wrote {N}, skipped 0 (already stored), failed 0"
    assert replay_in_process(log, moto_dynamodb) == 0
    assert capsys.readouterr().out.strip() == f"wrote 0, skipped {N} (already stored), failed 0"

    replayed = [item for item in moto_dynamodb.hits() if item["pk"] != before["pk"]]
    assert sorted(replayed, key=lambda i: str(i["pk"])) == sorted(
        logged, key=lambda i: str(i["pk"])
    )

    # A new container on the healthy table reads the same salt: every field but pk matches.
    function.wire(client_for(monkeypatch, moto_dynamodb.url), allowed_hosts=ALLOWED_HOSTS)
    send(function, sent)
    known = {before["pk"], *(item["pk"] for item in replayed)}
    healthy = by_ts([item for item in moto_dynamodb.hits() if item["pk"] not in known])
    assert len(healthy) == N
    for item, expected in zip(by_ts(replayed), healthy, strict=True):
        assert without(item, "pk") == without(expected, "pk")
