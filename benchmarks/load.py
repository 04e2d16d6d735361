"""Load on `lambdactr serve` over loopback: a bounded mix of beacons, bad input and 404s.

The mix is tests/support/load.py's, the one `tests/e2e/test_load.py` checks for loss. Here it
runs against a fresh server and prints the throughput and the p50 and p99 latency.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.load import plan, run_load, summary

from lambdactr.function.config import DEFAULT_TABLE_NAME
from lambdactr.function.item import is_salt_key

_READY = re.compile(r"^Ready: listening on http://[^:]+:(\d+)/", re.MULTILINE)
_ENDPOINT = re.compile(r"--endpoint-url (http://\S+)")
STARTUP_TIMEOUT_SECONDS = 60


@contextmanager
def running_serve() -> Iterator[tuple[int, str]]:
    """`lambdactr serve` on free ports with a throw-away state dir: (HTTP port, DynamoDB URL)."""
    with tempfile.TemporaryDirectory(prefix="lambdactr-load-") as work:
        log_path = Path(work) / "serve.out"
        command = [
            str(Path(sys.executable).with_name("lambdactr")),
            "serve",
            "--port",
            "0",
            "--db-port",
            "0",
            "--state-dir",
            str(Path(work) / "state"),
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=work)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
            while not (ready := _READY.search(log_path.read_text(errors="replace"))):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("lambdactr serve did not start:\n" + log_path.read_text())
                time.sleep(0.05)
            endpoint = _ENDPOINT.search(log_path.read_text(errors="replace"))
            assert endpoint, log_path.read_text()
            yield int(ready.group(1)), endpoint.group(1)
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def count_hits(endpoint: str, table: str = DEFAULT_TABLE_NAME) -> int:
    import boto3

    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    count = 0
    for page in client.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression="pk", ConsistentRead=True
    ):
        count += sum(not is_salt_key(item["pk"]["S"]) for item in page["Items"])
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with running_serve() as (port, endpoint):
        result = run_load("127.0.0.1", port, plan(args.requests), args.concurrency)
        stored = count_hits(endpoint)
    print(summary(result, stored))
    ok = stored == result.expected_stored and not result.server_errors and not result.unexpected
    for problem in result.unexpected[:10]:
        print("  unexpected:", problem)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
