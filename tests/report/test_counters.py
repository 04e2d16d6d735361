"""The badge counters in the table: the report skips them, and `--counters` lists them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from lambdactr.cli import main
from lambdactr.function.store import Store
from lambdactr.report.scan import scan_items
from tests.support.hits import hit
from tests.support.tables import HitsTable

RANGE = ["--since", "2026-11-01", "--until", "2026-11-30"]


@pytest.fixture
def counted(hits_table: HitsTable) -> HitsTable:
    """Hits of every kind, and the counters the Lambda keeps for the svg views among them."""
    hits_table.put(
        hit(vid="a", path="/posts/hello/", kind="svg"),
        hit(vid="b", path="/posts/hello/", kind="svg"),
        hit(vid="c", path="/posts/hello/", kind="css"),
        hit(vid="d", path="/about/", kind="gif"),
        hit(vid="e", path="/", site="docs.example.org", kind="svg"),
    )
    store = Store(hits_table.name, hits_table.client)
    for site, path in [
        ("blog.example.org", "/posts/hello/"),
        ("blog.example.org", "/posts/hello/"),
        ("docs.example.org", "/"),
        ("", "/no-site/"),
    ]:
        store.count_view(site, path)
    hits_table.put_salt("2026-11-20")
    return hits_table


def report(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main(["report", *args]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_the_report_skips_counters_and_lists_svg_among_the_kinds(
    counted: HitsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    items = list(scan_items(counted.client, counted.name))
    assert len(items) == 5
    assert not any(str(item.get("pk", "")).startswith("n#") for item in items)

    data = json.loads(report(capsys, "--table", counted.name, *RANGE, "--format", "json"))
    assert data["pageviews"] == 5
    assert {k["name"]: k["pageviews"] for k in data["kinds"]} == {"svg": 3, "css": 1, "gif": 1}
    assert {(p["site"], p["path"]) for p in data["pages"]} == {
        ("blog.example.org", "/posts/hello/"),
        ("blog.example.org", "/about/"),
        ("docs.example.org", "/"),
    }


def test_counters_lists_every_counter_by_site_and_path(
    counted: HitsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(report(capsys, "--table", counted.name, "--counters", "--format", "json"))
    assert data == {
        "counters": [
            {"site": "blog.example.org", "path": "/posts/hello/", "views": 2},
            {"site": None, "path": "/no-site/", "views": 1},
            {"site": "docs.example.org", "path": "/", "views": 1},
        ]
    }

    rows = list(
        csv.reader(
            io.StringIO(report(capsys, "--table", counted.name, "--counters", "--format", "csv"))
        )
    )
    assert rows == [
        ["site", "path", "views"],
        ["blog.example.org", "/posts/hello/", "2"],
        ["", "/no-site/", "1"],
        ["docs.example.org", "/", "1"],
    ]

    table = report(capsys, "--table", counted.name, "--counters")
    assert "Badge counters" in table
    for site, path in [("blog.example.org", "/posts/hello/"), ("(unknown)", "/no-site/")]:
        assert any(site in line and path in line for line in table.splitlines())


def test_counters_take_the_site_path_and_top_filters(
    counted: HitsTable, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    output = tmp_path / "counters.json"
    args = ["--table", counted.name, "--counters", "--format", "json", "-o", str(output)]
    report(capsys, *args, "--site", "*.example.org")
    assert [c["path"] for c in json.loads(output.read_text())["counters"]] == ["/posts/hello/", "/"]
    report(capsys, *args, "--path", "/posts")
    assert [c["views"] for c in json.loads(output.read_text())["counters"]] == [2]
    report(capsys, *args, "--top", "1")
    assert len(json.loads(output.read_text())["counters"]) == 1


def test_counters_have_no_html_form(counted: HitsTable, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--table", counted.name, "--counters", "--format", "html"]) == 2
    assert "--counters prints table, json, csv" in capsys.readouterr().err


def test_a_table_without_counters_says_so(
    hits_table: HitsTable, capsys: pytest.CaptureFixture[str]
) -> None:
    hits_table.put(hit(kind="css"))
    assert "No badge counters" in report(capsys, "--table", hits_table.name, "--counters")
    data = json.loads(report(capsys, "--table", hits_table.name, "--counters", "--format", "json"))
    assert data == {"counters": []}
