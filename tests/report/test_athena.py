"""The `athena` engine's API flow on moto: start, poll, read every page, fail, cancel on Ctrl-C.

moto's Athena runs no SQL: it answers with canned results. They come from running the very
same statements on DuckDB over the same export, so the report must come out equal to the
`duckdb` engine's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager

from lambdactr.export_layout import data_files
from lambdactr.report.athena_engine import (
    MINIMUM_BILLED_BYTES,
    AthenaEngine,
    AthenaQueryFailed,
    AthenaTables,
    billed_bytes,
    export_coverage,
    export_reads,
    query_cost,
    reads,
)
from lambdactr.report.coverage import Coverage
from lambdactr.report.duckdb_engine import DuckDBEngine, duckdb_report
from lambdactr.report.relational import sql_report
from tests.support.exports import DAYS, day_of, synthetic_hits, write_incremental_layout
from tests.support.hits import query

REGION = "us-east-1"
BUCKET = "lambdactr-exports"
TABLES = AthenaTables(
    "lambdactr-analytics", "Lambdactr_Analytics", "hits", "signatures", "referrers", BUCKET
)
RANGE = query(since=day_of(0), until=day_of(DAYS - 1))


class RecordingDuckDB(DuckDBEngine):
    """DuckDB that keeps every result, with its column types, to serve as Athena's answers."""

    def __init__(self, files: list[Path]) -> None:
        super().__init__(files)
        self.results: list[QueryResults] = []

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        from lambdactr.report.sql import to_duckdb

        cursor = self.connection.execute(to_duckdb(sql))
        names = [column[0] for column in cursor.description or []]
        rows = cursor.fetchall()
        types = [_athena_type(rows, n) for n in range(len(names))]
        self.results.append(
            QueryResults(
                rows=[{"Data": [{"VarCharValue": name} for name in names]}]
                + [{"Data": [_cell(value) for value in row]} for row in rows],
                column_info=[
                    {"Name": name, "Label": name, "Type": kind}
                    for name, kind in zip(names, types, strict=True)
                ],
            )
        )
        return rows


def _athena_type(rows: list[tuple[Any, ...]], column: int) -> str:
    values = [row[column] for row in rows if row[column] is not None]
    if values and all(isinstance(value, bool) for value in values):
        return "boolean"
    if values and all(isinstance(value, int) for value in values):
        return "bigint"
    return "varchar"


def _cell(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"VarCharValue": "true" if value else "false"}
    return {"VarCharValue": str(value)}


@pytest.fixture
def export(tmp_path: Path) -> Path:
    bulk = list(synthetic_hits(500, seed=3))
    write_incremental_layout(tmp_path, bulk[:450], bulk[450:])
    return tmp_path


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    # Each query is QUEUED, then RUNNING for one poll, then SUCCEEDED.
    state_manager.set_transition(
        model_name="athena::execution", transition={"progression": "manual", "times": 1}
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        athena = boto3.client("athena", region_name=REGION)
        athena.create_work_group(Name=TABLES.workgroup)
        yield athena, s3
    state_manager.unset_transition(model_name="athena::execution")


def canned(results: list[QueryResults]) -> None:
    athena_backends[DEFAULT_ACCOUNT_ID][REGION].query_results_queue.extend(results)


def test_the_athena_engine_gives_the_duckdb_engines_report(
    export: Path, aws: tuple[Any, Any]
) -> None:
    athena, s3 = aws
    recording = RecordingDuckDB(data_files(export))
    expected = sql_report(recording, RANGE)
    assert expected == duckdb_report(export, RANGE)
    canned(recording.results)
    states: list[str] = []
    engine = AthenaEngine(
        athena,
        s3,
        TABLES,
        progress=lambda state, seconds, scanned: states.append(state),
        sleep=lambda seconds: None,
    )

    assert sql_report(engine, RANGE) == expected
    # Two statements (signatures, then the report), each polled until it succeeded, and read.
    assert states.count("SUCCEEDED") == 2
    assert "RUNNING" in states
    executions = athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions.values()
    statements = [execution.query for execution in executions]
    assert len(statements) == 2
    assert all(execution.workgroup.name == TABLES.workgroup for execution in executions)
    assert '"lambdactr_analytics"."hits"' in statements[0]
    assert f"run = '{engine.run}'" in statements[1]
    # The classifications went to the bucket, as JSON lines under the run's partition.
    body = s3.get_object(Bucket=BUCKET, Key=f"lookups/signatures/run={engine.run}/signatures.json")[
        "Body"
    ].read()
    rows = [json.loads(line) for line in body.decode().splitlines()]
    assert {"ua", "has_language", "has_fetch", "browser", "os", "device", "bot_reason"} == set(
        rows[0]
    )
    assert len(engine.scanned) == 2
    assert engine.cost() == pytest.approx(2 * MINIMUM_BILLED_BYTES * 5 / 10**12)


@pytest.mark.parametrize(
    ("state", "hint"),
    [
        ("FAILED", False),
        # What Athena does to a query that reaches the workgroup's bytes-scanned cutoff.
        ("CANCELLED", True),
    ],
)
def test_a_query_that_did_not_succeed_says_why(
    aws: tuple[Any, Any], state: str, hint: bool
) -> None:
    athena, s3 = aws
    backend = athena_backends[DEFAULT_ACCOUNT_ID][REGION]

    def end_while_running(seconds: float) -> None:
        for execution in backend.executions.values():
            execution.status = state

    engine = AthenaEngine(athena, s3, TABLES, sleep=end_while_running)
    with pytest.raises(AthenaQueryFailed, match=state) as failed:
        engine.rows("SELECT 1")
    assert ("AthenaBytesScannedCutoff" in str(failed.value)) is hint


def test_ctrl_c_cancels_the_running_query(aws: tuple[Any, Any]) -> None:
    athena, s3 = aws

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    engine = AthenaEngine(athena, s3, TABLES, sleep=interrupted)
    with pytest.raises(KeyboardInterrupt):
        engine.rows("SELECT 1")
    (execution,) = athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions.values()
    assert execution.status == "CANCELLED"


class _PagedAthena:
    """Results in three pages, as Athena returns more than 1,000 rows."""

    def __init__(self) -> None:
        info = [{"Name": "n", "Type": "bigint"}, {"Name": "name", "Type": "varchar"}]
        header = {"Data": [{"VarCharValue": "n"}, {"VarCharValue": "name"}]}

        def page(rows: list[dict[str, Any]]) -> dict[str, Any]:
            return {"ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": info}}}

        def row(n: int) -> dict[str, Any]:
            name = {} if n % 2 else {"VarCharValue": f"r{n}"}
            return {"Data": [{"VarCharValue": str(n)}, name]}

        self.pages = [page([header, row(1), row(2)]), page([row(3)]), page([row(4)])]

    def start_query_execution(self, **request: Any) -> dict[str, Any]:
        return {"QueryExecutionId": "q1"}

    def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
        return {
            "QueryExecution": {
                "Status": {"State": "SUCCEEDED"},
                "Statistics": {"DataScannedInBytes": 123_456_789},
            }
        }

    def get_paginator(self, name: str) -> Any:
        assert name == "get_query_results"
        pages = self.pages

        class Paginator:
            def paginate(self, **request: Any) -> list[dict[str, Any]]:
                return pages

        return Paginator()


def test_every_page_of_results_is_read_and_typed() -> None:
    engine = AthenaEngine(_PagedAthena(), None, TABLES)
    assert engine.rows("SELECT n, name") == [(1, None), (2, "r2"), (3, None), (4, "r4")]
    assert engine.scanned == [123_456_789]
    assert billed_bytes(123_456_789) == 124_000_000
    assert query_cost([123_456_789]) == pytest.approx(124e6 * 5 / 1e12)


def test_the_report_knows_which_days_the_exports_hold(aws: tuple[Any, Any]) -> None:
    _, s3 = aws
    assert export_coverage(s3, BUCKET) == Coverage(frozenset(), None)
    for day in ("2026-11-27", "2026-11-28", "2026-11-03"):
        s3.put_object(Bucket=BUCKET, Key=f"hits/dt={day}/AWSDynamoDB/data/a.json.gz", Body=b"")
        s3.put_object(
            Bucket=BUCKET, Key=f"hits/dt={day}/AWSDynamoDB/1-ab/manifest-summary.json", Body=b"{}"
        )
    # The next day's export has started (its data is coming in) but not finished.
    s3.put_object(Bucket=BUCKET, Key="hits/dt=2026-11-29/AWSDynamoDB/data/b.json.gz", Body=b"")
    s3.put_object(Bucket=BUCKET, Key="hits/dt=2026-11-29/AWSDynamoDB/2-cd/_started", Body=b"")
    # The backfill: its data files, filed by `export --full`, and no summary manifest here.
    s3.put_object(
        Bucket=BUCKET, Key="hits/dt=2026-11-02/AWSDynamoDB/data/backfill-x.json.gz", Body=b""
    )
    coverage = export_coverage(s3, BUCKET)
    assert coverage == Coverage(frozenset({"2026-11-03", "2026-11-27", "2026-11-28"}), "2026-11-02")
    assert coverage.missing(query("2026-11-01", "2026-11-30"))[:2] == ["2026-11-04", "2026-11-05"]


def test_report_engine_athena_finds_everything_from_the_stack(
    export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lambdactr.cli import main

    recording = RecordingDuckDB(data_files(export))
    sql_report(recording, RANGE)
    outputs = {
        "ExportBucket": BUCKET,
        "AnalyticsDatabase": TABLES.database,
        "AnalyticsTable": TABLES.hits,
        "SignaturesTable": TABLES.signatures,
        "ReferrersTable": TABLES.referrers,
        "AnalyticsWorkgroup": TABLES.workgroup,
    }
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    days = ["--since", day_of(0), "--until", day_of(DAYS - 1), "--format", "json"]
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        boto3.client("athena", region_name=REGION).create_work_group(Name=TABLES.workgroup)
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(StackName="counter", TemplateBody=json.dumps(template))
        canned(recording.results)
        assert main(["report", "--engine", "athena", "--stack", "counter", *days]) == 0
        athena_out = capsys.readouterr()
        assert main(["report", "--engine", "athena", "--stack", "nope", *days]) == 1
        assert "nope" in capsys.readouterr().err
    assert main(["report", "--engine", "duckdb", "--export-dir", str(export), *days]) == 0
    assert athena_out.out == capsys.readouterr().out
    assert "Athena: 2 queries scanned" in athena_out.err


def test_each_statement_reads_the_export_as_often_as_the_cost_table_says() -> None:
    # Trino computes a WITH query again wherever it is named: a statement that named the hits
    # twice would read (and Athena would bill) the whole export twice as often.
    assert export_reads(RANGE) == [1, 4]
    assert export_reads(query(since=day_of(3), until=day_of(5), include_bots=True)) == [1, 4]
    fan_out = "WITH a AS (SELECT * FROM r), b AS (SELECT * FROM a) SELECT * FROM b JOIN a ON true"
    assert reads(fan_out, "r") == 2
