"""`lambdactr report` from the command line, against tables on moto."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from rich.console import Console

from lambdactr.cli import main
from lambdactr.report import command
from tests.support.hits import GOOGLEBOT, hit, query
from tests.support.report import assert_plotly_js_inlined_once, total_shown
from tests.support.tables import HitsTable

RANGE = ["--since", "2026-11-01", "--until", "2026-11-30"]


def report_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["report", *args, "--format", "json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


@pytest.fixture
def filled(hits_table: HitsTable) -> HitsTable:
    hits_table.put(
        hit(vid="a", path="/", day="2026-11-20"),
        hit(vid="a", path="/posts/hello/", day="2026-11-20"),
        hit(vid="a", path="/posts/hello/", day="2026-11-21"),
        hit(vid="b", path="/posts/hello/", day="2026-11-21", site="docs.example.org"),
        hit(vid="g", path="/", day="2026-11-21", ua=GOOGLEBOT, lang=None, h=None),
    )
    hits_table.put_salt("2026-11-21")
    return hits_table


def test_json_report_of_a_table(filled: HitsTable, capsys: pytest.CaptureFixture[str]) -> None:
    data = report_json(capsys, "--table", filled.name, *RANGE, "--segments", "2")

    assert (data["pageviews"], data["visitors"]) == (4, 3)
    assert data["filtered"] == {"crawler": 1}
    assert [day for day in data["days"] if day["pageviews"]] == [
        {"day": "2026-11-20", "pageviews": 2, "visitors": 1},
        {"day": "2026-11-21", "pageviews": 2, "visitors": 2},
    ]
    assert data["pages"][0] == {
        "site": "blog.example.org",
        "path": "/posts/hello/",
        "pageviews": 2,
        "visitors": 2,
    }


def test_filters_from_the_command_line(
    filled: HitsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    data = report_json(
        capsys, "--table", filled.name, *RANGE, "--site", "Blog.Example.org", "--path", "posts"
    )
    assert (data["site"], data["pageviews"], data["visitors"]) == ("blog.example.org", 2, 2)

    one_day = report_json(
        capsys, "--table", filled.name, "--since", "2026-11-21", "--until", "2026-11-21"
    )
    assert (one_day["pageviews"], one_day["visitors"]) == (2, 2)

    with_bots = report_json(capsys, "--table", filled.name, *RANGE, "--include-bots")
    assert (with_bots["pageviews"], with_bots["visitors"]) == (5, 4)


def test_the_default_range_is_the_last_30_utc_days(
    hits_table: HitsTable, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(command, "utc_today", lambda: date(2026, 11, 30))
    hits_table.put(
        hit(vid="old", day="2026-10-31"),
        hit(vid="first", day="2026-11-01"),
        hit(vid="today", day="2026-11-30"),
    )
    data = report_json(capsys, "--table", hits_table.name)
    assert (data["since"], data["until"], data["visitors"]) == ("2026-11-01", "2026-11-30", 2)
    assert len(data["days"]) == 30

    last_week = report_json(capsys, "--table", hits_table.name, "--since", "7d")
    assert (last_week["since"], last_week["visitors"]) == ("2026-11-24", 1)


@pytest.mark.parametrize("output_format", ["table", "json", "csv", "html"])
def test_every_format_can_be_written_to_a_file(
    filled: HitsTable, tmp_path: Path, output_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / f"report.{output_format}"
    status = main(
        ["report", "--table", filled.name, *RANGE, "--format", output_format, "-o", str(target)]
    )
    assert status == 0
    assert capsys.readouterr().out == ""
    text = target.read_text(encoding="utf-8")
    if output_format == "json":
        assert json.loads(text)["pageviews"] == 4
    elif output_format == "csv":
        assert ["totals", "all", "4", "3"] in list(csv.reader(io.StringIO(text)))
    elif output_format == "html":
        assert "<table>" in text
        assert_plotly_js_inlined_once(text)
        assert (total_shown(text, "pageviews"), total_shown(text, "visitors")) == ("4", "3")
    else:
        assert "Pageviews 4" in text
        assert "/posts/hello/" in text
        assert "\x1b[" not in text


def test_the_table_goes_to_stdout_by_default(
    filled: HitsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--table", filled.name, *RANGE]) == 0
    out = capsys.readouterr().out
    assert "Pageviews 4" in out
    assert "Visitors 3" in out
    assert "crawler" in out


def test_warnings_go_to_stderr_beside_machine_readable_output(
    hits_table: HitsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    hits_table.put(*(hit(vid=v, path="/", src="referer") for v in "abc"))
    assert main(["report", "--table", hits_table.name, *RANGE, "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert 'were read as "/" from the Referer' in captured.err
    assert "Referer" not in captured.out


def test_a_missing_table_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        assert main(["report", "--table", "nope", *RANGE]) == 1
    assert "no table 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags",
    [
        ["--since", "last week"],
        ["--since", "2026-11-30", "--until", "2026-11-01"],
        ["--site", "*"],
        ["--segments", "0"],
        ["--top", "0"],
    ],
)
def test_bad_flags_are_explained(
    hits_table: HitsTable, flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--table", hits_table.name, *flags]) == 2
    assert capsys.readouterr().err.startswith("lambdactr report: ")


TEMPLATE = {
    "Resources": {
        "HitsTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": "lambdactr-stack-hits",
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            },
        }
    },
    "Outputs": {"TableName": {"Value": {"Ref": "HitsTable"}}},
}


def test_stack_reads_the_table_name_from_the_stack_outputs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name="us-east-1")
        cloudformation.create_stack(StackName="lambdactr", TemplateBody=json.dumps(TEMPLATE))
        table = HitsTable(boto3.client("dynamodb", region_name="us-east-1"), "lambdactr-stack-hits")
        table.put(hit(vid="a"), hit(vid="b"))

        data = report_json(capsys, "--stack", "lambdactr", *RANGE)
        assert (data["pageviews"], data["visitors"]) == (2, 2)

        cloudformation.create_stack(
            StackName="other",
            TemplateBody=json.dumps({**TEMPLATE, "Outputs": {}}).replace(
                "lambdactr-stack-hits", "other-hits"
            ),
        )
        assert main(["report", "--stack", "other", *RANGE]) == 1
        assert "has no TableName output" in capsys.readouterr().err
        assert main(["report", "--stack", "missing", *RANGE]) == 1
        assert "stack 'missing'" in capsys.readouterr().err


def test_a_slow_scan_shows_progress_on_a_terminal(
    filled: HitsTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=100)
    monkeypatch.setattr(command, "PROGRESS_DELAY_SECONDS", 0.0)
    report = command.read_report(filled.client, filled.name, query(), progress_console=console)
    assert report.pageviews == 4
    assert "scanning" in terminal.getvalue()


def test_a_quick_scan_or_a_pipe_shows_no_progress(
    filled: HitsTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = io.StringIO()
    monkeypatch.setattr(command, "PROGRESS_DELAY_SECONDS", 3600.0)
    quick = Console(file=terminal, force_terminal=True, width=100)
    command.read_report(filled.client, filled.name, query(), progress_console=quick)

    piped = io.StringIO()
    monkeypatch.setattr(command, "PROGRESS_DELAY_SECONDS", 0.0)
    command.read_report(filled.client, filled.name, query(), progress_console=Console(file=piped))
    assert terminal.getvalue() == piped.getvalue() == ""
