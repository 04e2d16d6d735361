"""How many parallel Scan segments `lambdactr report` should use: measured on DynamoDB Local.

Loads 1,000 and then 100,000 synthetic items (report_bench's) into AWS's DynamoDB Local, reads
each table with 1, 2, 4, 8 and 16 segments through the report's own client and scan, and prints
every time as a ratio to the best for that size. The report's default (DEFAULT_SEGMENTS) must
stay within 1.2x of the best for both sizes.

    .venv/bin/python -m benchmarks.scan_bench [--sizes 1000 100000] [--rounds 3]

Needs `make dynamodb-local`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.support import dynamodb_local
from tests.support.tables import create_hits_table

from benchmarks.report_bench import DAYS, LAST_DAY, synthetic_items
from lambdactr.aws import dynamodb_client
from lambdactr.function.item import to_dynamodb
from lambdactr.report.command import DEFAULT_SEGMENTS
from lambdactr.report.query import ReportQuery
from lambdactr.report.scan import scan_items

SEGMENTS = (1, 2, 4, 8, 16)
TARGET_RATIO = 1.2
_BATCH = 25


def load(client: Any, table: str, count: int) -> float:
    """Write `count` items with BatchWriteItem from a few threads; return the seconds it took."""
    items = [to_dynamodb(item) for item in synthetic_items(count)]
    batches = [items[n : n + _BATCH] for n in range(0, len(items), _BATCH)]

    def write(batch: list[dict[str, Any]]) -> None:
        requests: list[Any] = [{"PutRequest": {"Item": item}} for item in batch]
        while requests:
            answer = client.batch_write_item(RequestItems={table: requests})
            requests = list(answer.get("UnprocessedItems", {}).get(table, []))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, batches))
    return time.perf_counter() - started


def read_all(client: Any, table: str, query: ReportQuery, segments: int) -> tuple[float, int]:
    started = time.perf_counter()
    count = sum(1 for _ in scan_items(client, table, query, segments))
    return time.perf_counter() - started, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument(
        "--rounds", type=int, help="timed reads per segment count (default: 15, 3 above 10,000)"
    )
    args = parser.parse_args()
    query = ReportQuery(since=LAST_DAY - timedelta(days=DAYS - 1), until=LAST_DAY)
    reason = dynamodb_local.missing_reason()
    if reason is not None:
        print(f"scan_bench: {reason}", file=sys.stderr)
        return 1

    within = True
    with tempfile.TemporaryDirectory() as work:
        log = Path(work) / "dynamodb-local.log"
        with dynamodb_local.running(log, heap="2g") as endpoint:
            client = dynamodb_client(
                argparse.Namespace(profile=None, region=None, endpoint_url=endpoint)
            )
            print(f"DynamoDB Local at {endpoint}; report default: {DEFAULT_SEGMENTS} segments")
            for size in args.sizes:
                table = f"scan-bench-{size}"
                create_hits_table(client, table)
                took = load(client, table, size)
                print(f"\n{size:,} items loaded in {took:.1f} s")
                # One untimed round on the first table warms the JVM up; the timed rounds
                # interleave the segment counts, so a noisy moment hits them all alike.
                if size == args.sizes[0]:
                    for segments in SEGMENTS:
                        read_all(client, table, query, segments)
                rounds = args.rounds or (15 if size <= 10_000 else 3)
                times: dict[int, list[float]] = {segments: [] for segments in SEGMENTS}
                for _ in range(rounds):
                    for segments in SEGMENTS:
                        seconds, count = read_all(client, table, query, segments)
                        assert count == size, (count, size)
                        times[segments].append(seconds)
                # The fastest of the rounds: on a shared machine noise only ever adds time.
                fastest = {segments: min(t) for segments, t in times.items()}
                best = min(fastest.values())
                for segments, seconds in fastest.items():
                    median = statistics.median(times[segments])
                    mark = " <- default" if segments == DEFAULT_SEGMENTS else ""
                    print(
                        f"  {segments:2d} segments: fastest {seconds:7.3f} s,"
                        f" median {median:7.3f} s"
                        f"  {seconds / best:4.2f}x best  {size / seconds:9,.0f} items/s{mark}"
                    )
                ratio = fastest[DEFAULT_SEGMENTS] / best
                within = within and ratio <= TARGET_RATIO
                print(f"  default {DEFAULT_SEGMENTS}: {ratio:.2f}x best (target <= {TARGET_RATIO})")
                client.delete_table(TableName=table)
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
