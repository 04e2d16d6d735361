"""The duckdb engine keeps each export file's records as Parquet: later reports read those, and
follow the copy of the export as files are added, expire or change."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from lambdactr.export_layout import ExportWriter, data_files
from lambdactr.report.duckdb_engine import CACHE_FOLDER, RECORDS_LAYOUT, duckdb_report
from tests.support.exports import DAYS, day_of, synthetic_hits
from tests.support.hits import query

RANGE = query(since=day_of(0), until=day_of(DAYS - 1))


def write_day(root: Path, day: int, items: list[dict[str, object]]) -> None:
    with ExportWriter(root, day_of(day), export_type="INCREMENTAL_EXPORT") as writer:
        for n, attributes in enumerate(items):
            writer.add_new_image({"pk": attributes["pk"]}, attributes, 1_700_000_000_000_000 + n)


def copies(root: Path) -> list[Path]:
    return sorted((root / CACHE_FOLDER / RECORDS_LAYOUT).glob("*.parquet"))


@pytest.fixture
def export(tmp_path: Path) -> Path:
    bulk = list(synthetic_hits(300, seed=11))
    write_day(tmp_path, 1, bulk[:150])
    write_day(tmp_path, 2, bulk[150:])
    return tmp_path


def test_the_next_report_reads_the_parquet_copy_not_the_json(export: Path) -> None:
    stages: list[str] = []
    first = duckdb_report(export, RANGE, progress=stages.append)
    assert stages[0].startswith("reading 2 new export files into Parquet")
    assert first == duckdb_report(export, RANGE, cache=False)
    assert len(copies(export)) == 1
    stages.clear()
    assert duckdb_report(export, RANGE, progress=stages.append) == first
    assert stages == ["counting the hits of 2 export files"]
    # Unreadable JSON with its size and time unchanged: only the copy can give the report now.
    for path in data_files(export):
        status = path.stat()
        path.write_bytes(b"\0" * status.st_size)
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert duckdb_report(export, RANGE) == first


def test_a_new_days_export_is_added_and_the_older_copy_kept(export: Path) -> None:
    duckdb_report(export, RANGE)
    (kept,) = copies(export)
    write_day(export, 3, list(synthetic_hits(80, seed=12)))
    report = duckdb_report(export, RANGE)
    assert report == duckdb_report(export, RANGE, cache=False)
    assert kept in copies(export)
    assert len(copies(export)) == 2


def test_an_expired_or_changed_file_is_read_again(export: Path) -> None:
    duckdb_report(export, RANGE)
    shutil.rmtree(export / "hits" / f"dt={day_of(1)}")  # S3's lifecycle expired that day
    fewer = duckdb_report(export, RANGE)
    assert fewer == duckdb_report(export, RANGE, cache=False)
    (path,) = data_files(export)  # the same file, with fewer records
    path.write_bytes(
        gzip.compress(b"".join(gzip.decompress(path.read_bytes()).splitlines(True)[:40]))
    )
    changed = duckdb_report(export, RANGE)
    assert changed == duckdb_report(export, RANGE, cache=False)
    assert changed.pageviews < fewer.pageviews
    assert len(copies(export)) == 1


def test_copies_of_another_layout_are_removed_unread(export: Path) -> None:
    cache = export / CACHE_FOLDER
    (cache / "0123456789ab").mkdir(parents=True)
    (cache / "0123456789ab" / "old.parquet").write_bytes(b"not parquet")
    (cache / "manifest.json").write_text('{"old.parquet": []}')  # an earlier version's layout
    assert duckdb_report(export, RANGE) == duckdb_report(export, RANGE, cache=False)
    assert sorted(path.name for path in cache.iterdir()) == [RECORDS_LAYOUT]


def test_a_copy_where_nothing_can_be_kept_is_reported_from_its_json(export: Path) -> None:
    # A file where the folder would go: as on read-only storage (which root could still write).
    (export / CACHE_FOLDER).write_text("")
    report = duckdb_report(export, RANGE)
    (note,) = report.footer
    assert str(export / CACHE_FOLDER) in note
    assert "reads the JSON again" in note
    report.footer.clear()
    assert report == duckdb_report(export, RANGE, cache=False)
    assert report.pageviews > 0


def test_a_damaged_manifest_or_copy_is_made_again(export: Path) -> None:
    expected = duckdb_report(export, RANGE)
    manifest = export / CACHE_FOLDER / RECORDS_LAYOUT / "manifest.json"
    manifest.write_text('{"cut short')  # a run killed while writing it
    assert duckdb_report(export, RANGE) == expected
    (copy,) = copies(export)
    copy.write_bytes(copy.read_bytes()[:100])  # a disk that lost the end of it
    assert duckdb_report(export, RANGE) == expected
    assert len(copies(export)) == 1


def test_a_report_that_changes_nothing_writes_nothing(export: Path) -> None:
    duckdb_report(export, RANGE)
    manifest = export / CACHE_FOLDER / RECORDS_LAYOUT / "manifest.json"
    (export / CACHE_FOLDER / RECORDS_LAYOUT / "x.parquet.123.partial").write_text("")
    write_day(export, 3, list(synthetic_hits(20, seed=15)))
    duckdb_report(export, RANGE)  # a new file: a new copy, and what a killed run left goes
    assert sorted(path.suffix for path in (export / CACHE_FOLDER / RECORDS_LAYOUT).iterdir()) == [
        ".json",
        ".parquet",
        ".parquet",
    ]
    written = manifest.stat().st_mtime_ns
    duckdb_report(export, RANGE)  # nothing new: read-only storage would do
    assert manifest.stat().st_mtime_ns == written


def test_an_export_file_cut_short_is_named(
    export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lambdactr.cli import main

    path = data_files(export)[0]
    path.write_bytes(path.read_bytes()[:200])  # an interrupted `aws s3 sync`
    assert main(["report", "--engine", "duckdb", "--export-dir", str(export)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"lambdactr report: cannot read the export in {export}: ")
    assert str(path) in err
    assert "syncing it again" in err
    assert main(["report", "--engine", "duckdb", "--export-dir", str(export)]) == 1
