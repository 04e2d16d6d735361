"""Every engine gives the same report: `scan` over the table, `duckdb` over its exports.

The same hits (the handler's own output plus synthetic bulk with every odd case) go into a
table on moto, which `scan` reads. `lambdactr export --to-dir` writes that table as a full
export, and a second layout holds them as daily incremental exports with a backfill, retried
exports and deleted hits. The reports must match key by key, for every filter.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdactr.cli import main
from lambdactr.function.item import from_dynamodb, is_salt_key
from lambdactr.function.store import Store, make_client
from lambdactr.report.aggregate import aggregate
from lambdactr.report.command import read_report
from lambdactr.report.duckdb_engine import duckdb_report
from lambdactr.report.model import Report
from lambdactr.report.render_json import report_to_dict
from lambdactr.report.scan import conform
from lambdactr.report.sql import lookup_sql, records_sql, report_sql, to_duckdb
from tests.support.events import load_event
from tests.support.exports import DAYS, day_of, plain, synthetic_hits, write_incremental_layout
from tests.support.function import Wire, invoke
from tests.support.hits import FIREFOX, hit, query
from tests.support.tables import create_tables

TABLE = "lambdactr-engine-hits"
FULL_RANGE = query(since=day_of(0), until=day_of(DAYS - 1))
QUERIES = {
    "all": FULL_RANGE,
    "with bots": query(since=day_of(0), until=day_of(DAYS - 1), include_bots=True),
    "one site": query(since=day_of(0), until=day_of(DAYS - 1), site="blog.example.org"),
    "subdomains": query(since=day_of(0), until=day_of(DAYS - 1), site="*.example.org"),
    "path prefix": query(since=day_of(0), until=day_of(DAYS - 1), path_prefix="/posts/"),
    "odd prefix": query(since=day_of(0), until=day_of(DAYS - 1), path_prefix="/docs/a_b%"),
    "few days": query(since=day_of(3), until=day_of(5), include_bots=True),
    "no match": query(since=day_of(0), until=day_of(DAYS - 1), site="nowhere.example.net"),
    "the handler's days": query(since="2025-01-01", until="2026-12-31"),
}
BROWSER_HEADERS = (
    {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0"},
    {"accept-language": "", "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"},
    {"user-agent": "curl/8.5.0"},
    {"sec-purpose": "prefetch"},
)


def handler_items(wire_handler: Wire, client: Any) -> list[dict[str, Any]]:
    """What the deployed handler stores for the sample events and a few variations of them."""
    wire_handler(Store(TABLE, make_client()))
    for name in ("css", "gif", "origin-referer", "prefetch", "hostile"):
        for n, headers in enumerate(({}, *BROWSER_HEADERS)):
            event = load_event(name)
            event["headers"] = {**event.get("headers", {}), **headers}
            event["requestContext"]["http"]["sourceIp"] = f"81.2.69.{160 + n}"
            assert invoke(event)["statusCode"] in (200, 404)
    items = client.scan(TableName=TABLE)["Items"]
    assert len([i for i in items if not is_salt_key(i["pk"]["S"])]) >= 20
    return list(items)


@pytest.fixture
def table_and_exports(
    wire_handler: Wire, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[Any, Path, Path]]:
    """(client, the --to-dir export, the incremental layout) of one table on moto."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(client, TABLE)
        real = handler_items(wire_handler, client)
        bulk = list(synthetic_hits(3000))
        live, deleted = bulk[:2600], bulk[2600:]
        for attributes in live:
            client.put_item(TableName=TABLE, Item=attributes)

        full = tmp_path / "full"
        assert main(["export", "--table", TABLE, "--to-dir", str(full), "--day", "2026-11-29"]) == 0
        assert "written under" in capsys.readouterr().out
        incremental = tmp_path / "incremental"
        write_incremental_layout(incremental, [*real, *live], deleted)
        yield client, full, incremental


def assert_same_report(scan: Report, duck: Report, case: str) -> None:
    expected, got = report_to_dict(scan), report_to_dict(duck)
    for key in expected:
        assert got[key] == expected[key], f"{case}: {key} differs"
    assert dataclasses.replace(duck, footer=[]) == scan, case


@pytest.mark.slow
def test_duckdb_over_the_exports_gives_the_scan_engines_report(
    table_and_exports: tuple[Any, Path, Path],
) -> None:
    client, full, incremental = table_and_exports
    for name, report_query in QUERIES.items():
        scan = read_report(client, TABLE, report_query)
        assert scan.pageviews > 0 or name == "no match", name
        for layout in (full, incremental):
            assert_same_report(scan, duckdb_report(layout, report_query), f"{name}, {layout.name}")
    assert_every_odd_case_is_covered(incremental)


def assert_every_odd_case_is_covered(incremental: Path) -> None:
    """The comparison above is only worth what the data exercises."""
    report = duckdb_report(incremental, QUERIES["with bots"])
    assert {"speculative", "crawler", "headless", "no-user-agent", "short-user-agent"} <= set(
        report.filtered
    )
    assert {"no-day", "not-a-browser", "no-browser-headers"} <= set(report.filtered)
    assert {"desktop", "mobile", "tablet", "tv", "bot"} <= {row.name for row in report.devices}
    assert any("visitor id" in warning for warning in report.warnings)
    assert "(unknown)" in report.sites


def test_deleted_and_duplicated_records_are_counted_once(tmp_path: Path) -> None:
    bulk = list(synthetic_hits(400, seed=5))
    live, deleted = bulk[:300], bulk[300:]
    write_incremental_layout(tmp_path, live, deleted)
    only_live = tmp_path.parent / "only-live"
    write_incremental_layout(only_live, live, [])

    with_bots = QUERIES["with bots"]
    counted = duckdb_report(tmp_path, with_bots)
    assert counted == duckdb_report(only_live, with_bots)
    # The scan engine's counting over the live items alone, as a scan would yield them.
    assert counted == aggregate([conform(from_dynamodb(item)) for item in live], with_bots)
    assert counted.pageviews > 0


def test_one_visitor_under_two_signatures_of_one_class_is_one_visitor(tmp_path: Path) -> None:
    """With and without Accept-Language, and prefetched first: one person, one Chrome visitor."""
    items = [
        hit(path="/a/"),
        hit(path="/b/", lang=None),
        hit(path="/b/", spec=True),
        hit(path="/a/", vid="b" * 16, ua=FIREFOX, day="2026-11-21"),
    ]
    write_incremental_layout(tmp_path, plain(items), [])
    report = duckdb_report(tmp_path, query())
    assert report == aggregate(items, query())
    assert (report.pageviews, report.visitors) == (3, 2)
    assert {(row.name, row.pageviews, row.visitors) for row in report.browsers} == {
        ("Chrome", 2, 1),
        ("Firefox", 1, 1),
    }
    assert [(row.path, row.pageviews, row.visitors) for row in report.pages] == [
        ("/a/", 2, 2),
        ("/b/", 1, 1),
    ]
    assert [(row.day, row.visitors) for row in report.days if row.visitors] == [
        ("2026-11-20", 1),
        ("2026-11-21", 1),
    ]


@pytest.mark.parametrize("report_query", QUERIES.values(), ids=list(QUERIES))
def test_the_sql_avoids_what_trino_and_duckdb_read_differently(report_query: Any) -> None:
    statements = [
        records_sql("export"),
        lookup_sql("records", report_query),
        report_sql("records", "signatures", "referrers", report_query),
    ]
    for sql in statements:
        # Integer division (7/2 is 3 in Trino, 3.5 in DuckDB): the one division is by a double.
        code = re.sub(r"'[^']*'", "''", sql)  # string literals such as the path '/' aside
        assert re.findall(r"/(?!\s*1e3)", code) == []
        for different in ("approx_distinct", "url_extract", "format_datetime", "date_format"):
            assert different not in sql.lower()
        # Every statement is one that sqlglot reads as Trino and writes for DuckDB.
        assert to_duckdb(sql)


@pytest.mark.slow
def test_every_format_is_the_same_from_the_command_line(
    table_and_exports: tuple[Any, Path, Path], tmp_path: Path
) -> None:
    _, _, incremental = table_and_exports
    since_until = ["--since", day_of(0), "--until", day_of(DAYS - 1), "--site", "*.example.org"]
    duck_args = ["--engine", "duckdb", "--export-dir", str(incremental)]
    for output_format in ("json", "csv", "html", "table"):
        scan_out, duck_out = tmp_path / f"scan.{output_format}", tmp_path / f"duck.{output_format}"
        common = [*since_until, "--format", output_format]
        assert main(["report", "--table", TABLE, *common, "-o", str(scan_out)]) == 0
        assert main(["report", *duck_args, *common, "-o", str(duck_out)]) == 0
        scan_text, duck_text = scan_out.read_text(), duck_out.read_text()
        if output_format == "html":
            # Plotly gives every chart a random id.
            scan_text, duck_text = _without_plot_ids(scan_text), _without_plot_ids(duck_text)
        if output_format == "table":
            # The same tables, and a footer that says where the numbers came from.
            assert duck_text.startswith(scan_text.rstrip("\n")), output_format
            assert "Read from the export in" in duck_text.removeprefix(scan_text.rstrip("\n"))
        else:
            assert duck_text == scan_text, output_format
        if output_format == "json":
            assert json.loads(duck_text)["pageviews"] > 0


def _without_plot_ids(html: str) -> str:
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", html)


def test_a_day_whose_export_did_not_finish_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_incremental_layout(tmp_path, list(synthetic_hits(300, seed=4)), [])
    # That day's export failed: its data files are there, its summary manifest is not.
    for summary in (tmp_path / "hits" / f"dt={day_of(6)}").rglob("manifest-summary.json"):
        summary.unlink()
    since_until = ["--since", day_of(0), "--until", day_of(DAYS - 1), "--format", "json"]
    duck_args = ["--engine", "duckdb", "--export-dir", str(tmp_path)]
    assert main(["report", *duck_args, *since_until]) == 0
    err = capsys.readouterr().err
    (warning,) = [line for line in err.splitlines() if "no finished export" in line]
    assert warning.startswith(f"warning: no finished export for {day_of(6)}: this report may")
    assert "sync the copy again" in warning
    assert f"data up to {day_of(DAYS - 1)} (UTC)" in err
    assert (
        main(["report", *duck_args, "--since", day_of(7), "--until", day_of(9), "--format", "csv"])
        == 0
    )
    assert "no finished export" not in capsys.readouterr().err


def test_the_duckdb_engine_needs_an_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--engine", "duckdb"]) == 1
    assert "--export-dir" in capsys.readouterr().err
    assert main(["report", "--engine", "duckdb", "--export-dir", str(tmp_path)]) == 1
    assert "no export data files" in capsys.readouterr().err
