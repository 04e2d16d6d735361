"""`lambdactr replay` reads the log however it was saved, and counts what it wrote, skipped and
failed: a real log line from the handler, in every shape CloudWatch and `serve` give it."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from lambdactr import cli
from lambdactr.function.item import PlainItem
from lambdactr.function.privacy import Salt
from lambdactr.function.sanitize import clean
from lambdactr.function.store import Store
from lambdactr.replay import unsaved_hits
from tests.support.faults import TABLE, Function, MotoDynamoDB, client_for
from tests.support.tables import create_hits_table

REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e812345678"


class RefusingStore(Store):
    """A table that refuses every hit, but has its salt: the handler logs items with a vid."""

    def __init__(self) -> None:
        super().__init__(TABLE, client=None)  # type: ignore[arg-type]

    def put_hit(self, item: PlainItem) -> None:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "PutItem",
        )

    def get_salt(self) -> Salt | None:
        return Salt(b"s" * 32, expires_at=2**40)


@pytest.fixture
def logged(function: Function, event_named: Any) -> list[str]:
    """Three real log lines of unsaved hits, as the handler wrote them."""
    function.wire(store=RefusingStore())
    for name in ("css", "gif", "hostile"):
        function.invoke(event_named(name))
    lines = [line for line in function.log_text().splitlines() if "unsaved_hit" in line]
    assert len(lines) == 3
    return lines


def record(item: dict[str, Any]) -> str:
    """A log line as the handler writes one for a hit it could not store."""
    return json.dumps({"level": "ERROR", "message": "hit not stored", "unsaved_hit": item})


def items_of(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line)["unsaved_hit"] for line in lines]


def lambda_json_wrapper(line: str, as_text: bool) -> str:
    """The line as Lambda's JSON log format carries a message: as an object or as its text."""
    message: Any = line if as_text else json.loads(line)
    return json.dumps(
        {
            "timestamp": "2026-11-23T00:00:00.123Z",
            "level": "ERROR",
            "message": message,
            "logger": "lambdactr",
            "requestId": REQUEST_ID,
        }
    )


SHAPES = {
    "bare JSON lines": lambda lines: "\n".join(lines),
    "Lambda JSON wrapper, message as object": lambda lines: "\n".join(
        lambda_json_wrapper(line, as_text=False) for line in lines
    ),
    "Lambda JSON wrapper, message as text": lambda lines: "\n".join(
        lambda_json_wrapper(line, as_text=True) for line in lines
    ),
    "aws logs tail": lambda lines: "\n".join(
        f"2026-11-23T00:00:00.123000+00:00 2026/11/23/[$LATEST]abc {line}" for line in lines
    ),
    "Lambda text format": lambda lines: "\n".join(
        f"[ERROR]\t2026-11-23T00:00:00.123Z\t{REQUEST_ID}\t{line}" for line in lines
    ),
    "S3 export": lambda lines: "\n".join(f"2026-11-23T00:00:00.123Z {line}" for line in lines),
    "aws logs filter-log-events": lambda lines: json.dumps(
        {
            "events": [
                {"logStreamName": "2026/11/23/[$LATEST]abc", "timestamp": 1, "message": line}
                for line in lines
            ],
            "searchedLogStreams": [],
        },
        indent=4,
    ),
    "serve stdout with other lines": lambda lines: "\n".join(
        [
            "lambdactr serve: listening on http://127.0.0.1:3000/",
            '127.0.0.1 - - [23/Nov/2026 00:00:00] "GET /c.css HTTP/1.1" 200 -',
            "{ not JSON at all",
            '{"_aws": {"CloudWatchMetrics": []}, "StoreFailed": [1.0]}',
            "Traceback (most recent call last): mentions unsaved_hit in passing",
        ]
        + [f"{line}\n\x1b[2mnoise {n}\x1b[0m" for n, line in enumerate(lines)]
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_log_shape_yields_every_unsaved_item(logged: list[str], shape: str) -> None:
    text = SHAPES[shape](logged)
    assert [found.value for found in unsaved_hits(text, "log")] == items_of(logged)


def replay(moto_dynamodb: MotoDynamoDB, *sources: str) -> int:
    return cli.main(["replay", *sources, "--table", TABLE, "--endpoint-url", moto_dynamodb.url])


def test_replay_counts_written_skipped_and_failed(
    logged: list[str],
    moto_dynamodb: MotoDynamoDB,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    good = items_of(logged)
    salt = {**good[0], "pk": "salt#2026-11-23"}
    not_hex = {**good[0], "pk": "not-a-key"}
    floating = {**good[1], "pk": "a" * 32, "ts": 1.5}
    nested = {**good[1], "pk": "b" * 32, "h": {"x": ["list"]}}
    # Every field within its own bound, but too much together.
    too_big = {
        **good[2],
        "pk": "c" * 32,
        **{name: "x" * 64 for name in ("utm_source", "utm_medium", "utm_campaign")},
        **{name: "/" + "x" * 255 for name in ("path", "ref", "ua")},
        "title": "x" * 128,
    }
    bad = [salt, not_hex, floating, nested, too_big]
    cut_short = logged[0][: len(logged[0]) // 2]
    lines = [
        logged[0],
        logged[0],  # the same hit twice: written once, then skipped
        *(record(item) for item in bad),
        cut_short,
        logged[1],
        "not JSON, no hit here",
    ]
    log = tmp_path / "lambda.log"
    log.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe not UTF-8 \n" + logged[2].encode())
    moto_dynamodb.create_table()

    assert replay(moto_dynamodb, str(log)) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "wrote 3, skipped 1 (already stored), failed 6"
    assert "lambda.log:3: not replayed: pk 'salt#2026-11-23' is not a hit key" in err
    assert "lambda.log:8: not replayed: the line holds the key but no readable JSON" in err
    assert "1.5" in err
    assert "more than the 1024" in err
    stored = sorted(moto_dynamodb.hits(), key=lambda item: str(item["pk"]))
    assert stored == sorted(good, key=lambda item: str(item["pk"]))

    # Replaying again writes nothing; only the same six bad lines fail again.
    assert replay(moto_dynamodb, str(log)) == 1
    assert capsys.readouterr().out.strip() == "wrote 0, skipped 4 (already stored), failed 6"
    assert len(moto_dynamodb.hits()) == 3


def test_replay_reads_stdin_and_several_files(
    logged: list[str],
    moto_dynamodb: MotoDynamoDB,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    first = tmp_path / "first.log"
    first.write_text(logged[0] + "\n")
    stdin = io.TextIOWrapper(io.BytesIO("\n".join(logged[1:]).encode()))
    monkeypatch.setattr("sys.stdin", stdin)
    moto_dynamodb.create_table()
    assert replay(moto_dynamodb, str(first), "-") == 0
    assert capsys.readouterr().out.strip() == "wrote 3, skipped 0 (already stored), failed 0"
    assert len(moto_dynamodb.hits()) == 3


def test_replay_fails_when_the_table_refuses_and_when_a_file_is_missing(
    logged: list[str],
    moto_dynamodb: MotoDynamoDB,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    log = tmp_path / "lambda.log"
    log.write_text("\n".join(logged) + "\n")
    # No table yet: every write fails, and says why.
    assert replay(moto_dynamodb, str(log)) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "wrote 0, skipped 0 (already stored), failed 3"
    assert err.count("ResourceNotFoundException") == 3

    moto_dynamodb.create_table()
    assert replay(moto_dynamodb, str(tmp_path / "missing.log"), str(log)) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "wrote 3, skipped 0 (already stored), failed 0"
    assert "cannot read" in err
    assert "missing.log" in err


def test_a_log_without_unsaved_hits_says_so(
    moto_dynamodb: MotoDynamoDB,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    log = tmp_path / "quiet.log"
    log.write_text('{"level": "WARNING", "message": "daily salt unavailable"}\n')
    assert replay(moto_dynamodb, str(log)) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "wrote 0, skipped 0 (already stored), failed 0"
    assert "no unsaved_hit found" in err


def test_the_unreachable_table_is_a_failure_not_a_skip(
    logged: list[str],
    unreachable_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    log = tmp_path / "lambda.log"
    log.write_text(logged[0] + "\n")
    # The operator's client retries with back-off; keep this one quick.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    client_for(monkeypatch, unreachable_url)
    assert cli.main(["replay", str(log), "--table", TABLE]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "wrote 0, skipped 0 (already stored), failed 1"
    assert "Could not connect" in err


def test_a_value_with_a_unicode_line_separator_stays_on_its_line(
    function: Function,
    event_named: Any,
    moto_dynamodb: MotoDynamoDB,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # The logger writes non-ASCII as is, so U+2028 and U+2029 reach the log raw: only "\n" ends
    # a log line. Today's handler strips them from every value (the title below), but a line
    # logged by an older version may still hold them.
    function.wire(store=RefusingStore())
    event = event_named("css")
    event["rawQueryString"] = "p=/a&t=one%E2%80%A8two%E2%80%A9three"
    function.invoke(event)
    (unsaved,) = function.unsaved_hits()
    assert unsaved["title"] == "one two three"
    older_log = function.log_text().replace("one two three", "one\u2028two\u2029three")
    assert "\u2028" in older_log
    log = tmp_path / "lambda.log"
    log.write_text("lambdactr serve: started\n" + older_log, encoding="utf-8")
    moto_dynamodb.create_table()
    capsys.readouterr()
    assert replay(moto_dynamodb, str(log)) == 0
    assert capsys.readouterr().out.strip() == "wrote 1, skipped 0 (already stored), failed 0"
    assert moto_dynamodb.hits() == [unsaved]


def test_replay_takes_only_the_handlers_records_and_writes_only_clean_hits(
    logged: list[str],
    moto_dynamodb: MotoDynamoDB,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    good = items_of(logged)
    forged = {**good[1], "pk": "d" * 32}
    hostile_title = "\x1b]52;c;SGk=\x07\x1b[2J[link=https://evil.example]x[/link]\u202e"
    lines = [
        logged[0],
        # The record's shape inside an exception text, and under another message: not records.
        json.dumps({"level": "ERROR", "message": "boom", "exception": record(forged)}),
        json.dumps({"level": "ERROR", "message": "other", "unsaved_hit": forged}),
        json.dumps(
            {"level": "ERROR", "message": "boom", "exception": {"x": json.loads(record(forged))}}
        ),
        # Records of the handler's shape that fail the item schema: failed, never written.
        record({**good[1], "pk": "e" * 32, "ip": "81.2.69.160"}),
        record({**good[1], "pk": "f" * 32, "ttl": 4_102_444_800}),
        # A record whose text holds control characters: written, cleaned as the handler would.
        record({**good[2], "pk": "a" * 32, "title": hostile_title}),
    ]
    log = tmp_path / "lambda.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    moto_dynamodb.create_table()

    assert replay(moto_dynamodb, str(log)) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "wrote 2, skipped 0 (already stored), failed 2"
    assert "attribute 'ip' is not part of any hit" in err
    assert "ttl 4102444800 is not within 400 days" in err
    stored = {str(item["pk"]): item for item in moto_dynamodb.hits()}
    assert set(stored) == {good[0]["pk"], "a" * 32}
    assert stored["a" * 32]["title"] == clean(hostile_title, 128)
    assert "\x1b" not in json.dumps(list(stored.values()), ensure_ascii=False)


def many_records(logged: list[str], count: int) -> list[str]:
    """`count` distinct records of unsaved hits, each a real one under a key of its own."""
    good = items_of(logged)
    return [record({**good[n % len(good)], "pk": f"{n:032x}"}) for n in range(count)]


def test_replay_stops_after_a_few_connection_failures_in_a_row(
    logged: list[str],
    unreachable_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    log = tmp_path / "lambda.log"
    log.write_text("\n".join(many_records(logged, 40)) + "\n")
    # Two attempts a call, as the Lambda makes: the count of calls is what is checked here.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")

    status = cli.main(["replay", str(log), "--table", TABLE, "--endpoint-url", unreachable_url])

    assert status == 1
    out, err = capsys.readouterr()
    assert out.strip() == "wrote 0, skipped 0 (already stored), failed 3, not tried 37"
    assert err.count("Could not connect") == 3
    assert "stopped after 3 connection failures in a row" in err
    assert "37 hits not tried" in err


def test_replay_from_a_stacks_log_group_on_moto(
    logged: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    now_ms = int(time.time() * 1000)
    records = many_records(logged, 5)
    forged = {**items_of(logged)[0], "pk": "f" * 32}
    with mock_aws():
        region = "us-east-1"
        cloudformation = boto3.client("cloudformation", region_name=region)
        cloudformation.create_stack(StackName="lambdactr-test", TemplateBody=json.dumps(STACK))
        dynamodb = boto3.client("dynamodb", region_name=region)
        create_hits_table(dynamodb, "lambdactr-test-hits")
        logs = boto3.client("logs", region_name=region)
        logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName="2026/11/29/[$LATEST]a")
        events = [
            # Older than --since: left alone.
            (now_ms - 3 * 86_400_000, records[0]),
            (now_ms - 60_000, "START RequestId: 1 Version: $LATEST"),
            (now_ms - 50_000, records[1]),
            # The handler's message inside an exception: not a record.
            (now_ms - 40_000, json.dumps({"message": "boom", "exception": record(forged)})),
            *((now_ms - 30_000 + n, line) for n, line in enumerate(records[2:])),
        ]
        logs.put_log_events(
            logGroupName=LOG_GROUP,
            logStreamName="2026/11/29/[$LATEST]a",
            logEvents=[{"timestamp": ts, "message": message} for ts, message in events],
        )

        status = cli.main(["replay", "--stack", "lambdactr-test", "--since", "1d"])
        out, err = capsys.readouterr()
        assert status == 0, err
        assert out.strip() == "wrote 4, skipped 0 (already stored), failed 0"
        stored = dynamodb.scan(TableName="lambdactr-test-hits")["Items"]
        assert sorted(i["pk"]["S"] for i in stored) == [f"{n:032x}" for n in range(1, 5)]

        # Twice is safe: all four are skipped.
        assert cli.main(["replay", "--stack", "lambdactr-test", "--since", "1d"]) == 0
        assert capsys.readouterr().out.strip() == "wrote 0, skipped 4 (already stored), failed 0"


LOG_GROUP = "/aws/lambda/lambdactr-test"
# The parts of template.yaml replay reads: the log group, the table output, the retention.
STACK = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"RetentionDays": {"Type": "Number", "Default": 400}},
    "Resources": {
        "BeaconLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": LOG_GROUP, "RetentionInDays": 30},
        }
    },
    "Outputs": {"TableName": {"Value": "lambdactr-test-hits"}},
}
