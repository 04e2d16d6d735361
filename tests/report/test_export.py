"""`lambdactr export`: a table in the export layout on disk, and the backfill into the bucket."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambdactr.cli import main
from lambdactr.export import backfill
from lambdactr.export_layout import data_files, partitions
from lambdactr.function.item import to_dynamodb
from lambdactr.report.coverage import Coverage
from lambdactr.report.duckdb_engine import duckdb_report
from tests.support.hits import hit, query
from tests.support.tables import create_hits_table

TABLE = "lambdactr-export-hits"
BUCKET = "lambdactr-exports"


def lines(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def test_to_dir_writes_every_item_as_a_full_export_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [hit(vid=f"{n:016x}") for n in range(5)]
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_hits_table(client, TABLE)
        for item in items:
            client.put_item(TableName=TABLE, Item=to_dynamodb(item))
        assert (
            main(["export", "--table", TABLE, "--to-dir", str(tmp_path), "--day", "2026-11-21"])
            == 0
        )
    assert "5 items" in capsys.readouterr().out
    (data,) = data_files(tmp_path)
    assert data.relative_to(tmp_path).parts[:4] == ("hits", "dt=2026-11-21", "AWSDynamoDB", "data")
    assert sorted(line["Item"]["pk"]["S"] for line in lines(data)) == sorted(
        str(i["pk"]) for i in items
    )
    assert partitions(tmp_path) == ["2026-11-21"]
    manifests = list(tmp_path.rglob("manifest-summary.json"))
    assert json.loads(manifests[0].read_text())["itemCount"] == 5
    assert duckdb_report(tmp_path, query()).pageviews == 5


def test_the_backfill_files_a_full_export_beside_the_daily_ones(tmp_path: Path) -> None:
    items = [hit(vid=f"{n:016x}") for n in range(4)]
    said: list[str] = []
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_hits_table(dynamodb, TABLE)
        dynamodb.update_continuous_backups(
            TableName=TABLE,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
        for item in items:
            dynamodb.put_item(TableName=TABLE, Item=to_dynamodb(item))
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)

        filed = backfill(
            dynamodb, s3, TABLE, BUCKET, "2026-11-21", say=said.append, sleep=lambda s: None
        )

        assert filed
        assert all(key.startswith("hits/dt=2026-11-21/AWSDynamoDB/data/") for key in filed)
        assert all(key.endswith(".json.gz") for key in filed)
        # Nothing is left in the staging prefix, and the copy is a local export again.
        keys = [entry["Key"] for entry in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        assert not [key for key in keys if key.startswith("backfill/") and "/data/" in key]
        for key in filed:
            target = tmp_path / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
        table_arn = dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"]
        exports = dynamodb.list_exports(TableArn=table_arn)["ExportSummaries"]
    assert len(exports) == 1
    assert any("started" in line for line in said)
    assert duckdb_report(tmp_path, query()).pageviews == 4


def test_full_needs_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--full"]) == 2
    assert "--stack" in capsys.readouterr().err


EXPORTED = frozenset({"2026-11-03", "2026-11-04", "2026-11-06", "2026-11-09"})


@pytest.mark.parametrize(
    ("since", "until", "missing"),
    [
        ("2026-11-01", "2026-11-30", ["2026-11-05", "2026-11-07", "2026-11-08"]),
        ("2026-11-06", "2026-11-06", []),  # a day that was exported
        ("2026-11-07", "2026-11-07", ["2026-11-07"]),
        ("2026-11-08", "2026-11-30", ["2026-11-08"]),
        ("2026-10-01", "2026-11-03", []),  # before the first export
        ("2026-11-10", "2026-11-30", []),  # after the last: not exported yet
    ],
)
def test_a_day_between_finished_exports_without_one_is_missing(
    since: str, until: str, missing: list[str]
) -> None:
    assert Coverage(EXPORTED, None).missing(query(since=since, until=until)) == missing


def test_a_full_export_covers_every_day_before_it() -> None:
    backfilled = Coverage(EXPORTED, "2026-11-07")
    assert backfilled.missing(query(since="2026-10-01", until="2026-11-30")) == ["2026-11-08"]
    assert backfilled.last_day == "2026-11-09"
    # Just backfilled, no daily export yet: everything is there.
    assert Coverage(frozenset(), "2026-11-29").missing(query("2026-01-01", "2026-11-29")) == []
    assert Coverage(frozenset(), "2026-11-29").last_day == "2026-11-29"
    assert Coverage(frozenset(), None).missing(query("2026-01-01", "2026-11-29")) == []
    assert Coverage(frozenset(), None).last_day is None
