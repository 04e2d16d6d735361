"""The parallel Scan: every hit once, salt items skipped, only the attributes the report reads."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from lambdactr.report.scan import FIELD_TYPES, TableSize, conform, scan_items, table_size
from tests.support.hits import hit, query
from tests.support.tables import HitsTable


def test_scan_reads_every_hit_once_and_skips_salt_items(hits_table: HitsTable) -> None:
    items = [hit(vid=f"{n:016x}", path=f"/p/{n}/") for n in range(25)]
    hits_table.put(*items)
    hits_table.put_salt("2026-11-20")
    hits_table.put_salt("2026-11-21")

    for segments in (1, 3):
        scanned = list(
            scan_items(hits_table.client, hits_table.name, segments=segments, page_size=4)
        )
        assert sorted(str(item["pk"]) for item in scanned) == sorted(
            str(item["pk"]) for item in items
        )


def test_scan_reads_only_the_attributes_the_report_uses(hits_table: HitsTable) -> None:
    hits_table.put(hit(title="Hello", utm_source="newsletter", utm_campaign="launch"))

    [item] = scan_items(hits_table.client, hits_table.name)

    assert "title" not in item
    assert "utm_source" not in item
    assert "ttl" not in item
    assert item["utm_campaign"] == "launch"
    assert set(item) <= set(FIELD_TYPES)
    assert item["h"] == hit()["h"]


def test_the_server_side_filter_keeps_the_days_asked_for_and_undated_items(
    hits_table: HitsTable,
) -> None:
    undated = hit(vid="undated")
    del undated["day"]
    hits_table.put(
        hit(day="2026-10-31", vid="before"),
        hit(day="2026-11-01", vid="first"),
        hit(day="2026-11-30", vid="last"),
        hit(day="2026-12-01", vid="after"),
        undated,
    )

    scanned = scan_items(hits_table.client, hits_table.name, query(), segments=2)

    assert sorted(str(item["vid"]) for item in scanned) == ["first", "last", "undated"]


def test_the_server_side_filter_narrows_sites_and_paths(hits_table: HitsTable) -> None:
    hits_table.put(
        hit(site="blog.example.org", path="/posts/a/", vid="a"),
        hit(site="blog.example.org", path="/about/", vid="b"),
        hit(site="docs.example.org", path="/posts/c/", vid="c"),
        hit(site="example.net", path="/posts/d/", vid="d"),
    )

    def vids(**filters: str) -> list[str]:
        scanned = scan_items(hits_table.client, hits_table.name, query(**filters))
        return sorted(str(item["vid"]) for item in scanned)

    assert vids(site="blog.example.org") == ["a", "b"]
    # A superset: the wildcard's exact rule is applied in Python, by the aggregation.
    assert vids(site="*.example.org") == ["a", "b", "c"]
    assert vids(path_prefix="/posts/") == ["a", "c", "d"]


def test_fields_of_the_wrong_type_are_dropped(hits_table: HitsTable) -> None:
    hits_table.put_raw(
        {
            "pk": {"S": "f" * 32},
            "day": {"N": "20261120"},
            "site": {"S": "blog.example.org"},
            "h": {"S": "not a map"},
            "spec": {"S": "true"},
            "ts": {"N": "1795420800123"},
        }
    )

    [item] = scan_items(hits_table.client, hits_table.name)

    assert item == {"pk": "f" * 32, "site": "blog.example.org", "ts": 1795420800123}
    assert conform({"ts": True, "novid": True}) == {"novid": True}


def test_progress_hears_of_every_item_examined(hits_table: HitsTable) -> None:
    hits_table.put(*(hit(vid=str(n)) for n in range(10)))
    hits_table.put_salt("2026-11-20")
    examined: list[int] = []

    scanned = list(
        scan_items(
            hits_table.client, hits_table.name, segments=2, page_size=3, on_page=examined.append
        )
    )

    assert len(scanned) == 10
    assert sum(examined) == 11
    assert table_size(hits_table.client, hits_table.name).items == 11


def test_a_worker_error_reaches_the_reader(hits_table: HitsTable) -> None:
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        list(scan_items(hits_table.client, "no-such-table", segments=2))


def test_a_reader_that_stops_early_stops_the_workers(hits_table: HitsTable) -> None:
    hits_table.put(*(hit(vid=str(n)) for n in range(30)))
    scanned = scan_items(hits_table.client, hits_table.name, segments=3, page_size=1)
    assert next(scanned)["pk"]
    scanned.close()  # returns only once every worker has stopped


def test_segments_follow_the_table_size() -> None:
    assert TableSize(items=0, bytes=0).segments == 1
    assert TableSize(items=10**5, bytes=50 * 2**20).segments == 1
    assert TableSize(items=10**6, bytes=500 * 2**20).segments == 8
    assert TableSize(items=10**9, bytes=10**12).segments == 16
