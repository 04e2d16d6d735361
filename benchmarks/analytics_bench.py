"""The `duckdb` engine against the `scan` engine's counting, on the same synthetic items in the
export layout, and what a full-range report reads (the Athena cost table of the README).

    .venv/bin/python -m benchmarks.analytics_bench [--sizes 1000000,10000000] [--dir DIR]

For each size, the items of benchmarks/report_bench.py are written once as gzipped DynamoDB
JSON (`lambdactr export --to-dir`'s layout, kept in DIR for the next run). Then, each in its
own process so that peak memory is its own:

- `scan`: the scan engine's counting (`aggregate`) fed from those files, read and converted in
  Python as a scan's pages would be (gunzip, json.loads, from_dynamodb, conform);
- `duckdb`: `report --engine duckdb` over the same files: the first report (which reads the
  JSON and keeps a Parquet copy of it) and the next ones (which read that copy).

Both must give the same report; the ratio of their wall times is measured in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from lambdactr.export_layout import ExportWriter, data_files
from lambdactr.function.item import PlainItem, from_dynamodb, item_size, to_dynamodb
from lambdactr.report.aggregate import aggregate
from lambdactr.report.athena_engine import export_reads, query_cost
from lambdactr.report.classify import Classifier
from lambdactr.report.duckdb_engine import CACHE_FOLDER, duckdb_report
from lambdactr.report.query import ReportQuery
from lambdactr.report.render_json import render_json
from lambdactr.report.scan import conform

from .report_bench import DAYS, LAST_DAY, synthetic_items

ENGINES = ("scan", "duckdb-cold", "duckdb-warm")
QUERY = ReportQuery(since=LAST_DAY - timedelta(days=DAYS - 1), until=LAST_DAY)
EXPORT_DAY = (LAST_DAY + timedelta(days=1)).isoformat()
DOLLARS_PER_GB_EXPORTED = 0.10
# A full-range report's statements (the signatures, then the counts), each reading the whole
# export this many times.
EXPORT_READS = export_reads(QUERY)


def write_export(root: Path, count: int) -> tuple[float, int]:
    """The export of `count` items under root (reused when complete); (seconds, item bytes)."""
    marker = root / "complete.json"
    if marker.exists():
        written = json.loads(marker.read_text())
        if written["count"] == count:
            return 0.0, int(written["item_bytes"])
    # Whatever an interrupted run left would be read as part of the export.
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    item_bytes = 0
    with ExportWriter(root, EXPORT_DAY) as writer:
        for item in synthetic_items(count):
            attributes = to_dynamodb(item)
            # DynamoDB bills an export by the table's size: each item's names and values, plus
            # the 100 bytes per item that its size counts besides.
            item_bytes += item_size(item) + 100
            writer.add_item(attributes)
    marker.write_text(json.dumps({"count": count, "item_bytes": item_bytes}))
    return time.perf_counter() - started, item_bytes


def read_plain_items(root: Path) -> Iterator[PlainItem]:
    for path in data_files(root):
        with gzip.open(path, "rt", encoding="utf-8") as file:
            for line in file:
                yield conform(from_dynamodb(json.loads(line)["Item"]))


def run_engine(engine: str, root: Path) -> None:
    """One engine over `root`, in this process: prints seconds, peak RSS and the report's hash."""
    started = time.perf_counter()
    if engine == "scan":
        report = aggregate(read_plain_items(root), QUERY, Classifier())
    else:
        # duckdb-cold converts every file to its Parquet copy first; duckdb-warm reuses them.
        if engine == "duckdb-cold":
            shutil.rmtree(root / CACHE_FOLDER, ignore_errors=True)
        report = duckdb_report(root, QUERY)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = render_json(report)
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib, "report": hash(text)}))


def measure(engine: str, root: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.analytics_bench", "--run", engine, "--dir", str(root)],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONHASHSEED": "0", **_environment()},
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def _environment() -> dict[str, str]:
    import os

    return dict(os.environ)


def report_cost(compressed_bytes: float) -> float:
    return query_cost([round(reads * compressed_bytes) for reads in EXPORT_READS])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--dir", type=Path, default=Path(".lambdactr/bench-export"))
    parser.add_argument("--run", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_engine(args.run, args.dir)
        return 0

    per_million_compressed = 0.0
    per_million_items = 0.0
    for count in (int(size) for size in args.sizes.split(",")):
        root = args.dir / f"{count}"
        seconds, item_bytes = write_export(root, count)
        compressed = sum(path.stat().st_size for path in data_files(root))
        print(
            f"{count:,} items: export layout {compressed / 2**20:,.0f} MiB gzipped "
            f"({compressed / count:.0f} bytes per item; {item_bytes / count:.0f} bytes per item "
            f"as DynamoDB bills an export)" + (f", written in {seconds:.0f} s" if seconds else "")
        )
        scan = measure("scan", root)
        print(
            f"  {'scan (counting)':28} {scan['seconds']:7.1f} s, peak {scan['peak_mib']:,.0f} MiB"
        )
        for engine, label in (
            ("duckdb-cold", "duckdb, first report (JSON)"),
            ("duckdb-warm", "duckdb, next ones (Parquet)"),
        ):
            duck = measure(engine, root)
            same = "same report" if scan["report"] == duck["report"] else "DIFFERENT REPORT"
            print(
                f"  {label:28} {duck['seconds']:7.1f} s, peak {duck['peak_mib']:,.0f} MiB: "
                f"{scan['seconds'] / duck['seconds']:.1f}x the scan engine's speed ({same})"
            )
        per_million_compressed = compressed / count * 10**6
        per_million_items = item_bytes / count * 10**6

    print(
        f"a full-range report's statements read the export {' + '.join(map(str, EXPORT_READS))}"
        f" times: {sum(EXPORT_READS)} x {per_million_compressed / 1e6:.1f} MB per million items"
    )
    print(f"{'items':>12} {'Athena $/report':>16} {'export once $':>14} {'daily $/M new':>14}")
    for millions in (1, 10, 100):
        print(
            f"{millions * 10**6:>12,} {report_cost(per_million_compressed * millions):>16.4f} "
            f"{per_million_items * millions / 1e9 * DOLLARS_PER_GB_EXPORTED:>14.4f} "
            f"{per_million_items / 1e9 * DOLLARS_PER_GB_EXPORTED:>14.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
