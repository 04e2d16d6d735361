"""Load on `lambdactr serve` over loopback: a bounded mix of beacons, bad input and 404s.

Every request knows in advance whether it must be stored, so the run can check that exactly
that many items landed and that no answer was a 5xx. It prints p50 and p99 latency.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from lambdactr.function.config import DEFAULT_TABLE_NAME
from lambdactr.function.item import is_hit_key

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Safari/537.36"
)
# No request may hang the run: each one gives up after this, and counts as a failure.
REQUEST_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class PlannedRequest:
    method: str
    target: str
    headers: dict[str, str]
    stored: bool
    expected_status: int


@dataclass
class LoadResult:
    sent: int = 0
    expected_stored: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def plan(count: int, seed: int = 7) -> list[PlannedRequest]:
    """A reproducible mix: 60% good beacons, 10% HEAD, 15% bad input, 15% unknown routes."""
    rng = random.Random(seed)
    requests = []
    for index in range(count):
        roll = rng.random()
        kind = rng.choice(("css", "gif"))
        page = f"/load/{index % 97}/"
        browser = {"User-Agent": CHROME, "Accept-Language": "en-GB,en;q=0.9"}
        if roll < 0.30:
            headers = {**browser, "Referer": f"https://load.example.org{page}"}
            requests.append(PlannedRequest("GET", f"/c.{kind}", headers, True, 200))
        elif roll < 0.60:
            target = f"/c.{kind}?p={quote(page)}&t=Load+{index}&r=https%3A%2F%2Fref.example%2F"
            headers = {**browser, "Referer": "https://load.example.org/"}
            requests.append(PlannedRequest("GET", target, headers, True, 200))
        elif roll < 0.70:
            headers = {**browser, "Referer": f"https://load.example.org{page}"}
            requests.append(PlannedRequest("HEAD", f"/c.{kind}", headers, False, 200))
        elif roll < 0.78:
            # Hostile but countable: a huge header, control bytes and thousands of parameters.
            target = f"/c.{kind}?p=%2Fbad%00%FF{index}&" + "&".join(f"k{i}=v" for i in range(300))
            headers = {
                "User-Agent": "x" * 6000,
                "Referer": "https://load.example.org/",
                "Cookie": "session=secret",
                "X-Forwarded-For": "81.2.69.160",
            }
            requests.append(PlannedRequest("GET", target, headers, True, 200))
        elif roll < 0.85:
            # Nothing names a page: answered, not stored.
            requests.append(
                PlannedRequest("GET", f"/c.{kind}?x=%ZZ", {"User-Agent": "curl/8"}, False, 200)
            )
        else:
            method, path = rng.choice(
                (
                    ("GET", "/wp-login.php"),
                    ("POST", "/c.css"),
                    ("GET", "/c.css.map"),
                    ("DELETE", "/c.gif"),
                )
            )
            requests.append(PlannedRequest(method, path, {}, False, 404))
    return requests


def run_load(host: str, port: int, requests: list[PlannedRequest], concurrency: int) -> LoadResult:
    result = LoadResult(sent=len(requests), expected_stored=sum(r.stored for r in requests))

    def send(request: PlannedRequest) -> tuple[int, float, str]:
        connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
        started = time.perf_counter()
        try:
            connection.request(request.method, request.target, headers=request.headers)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            ignored = response.getheader("X-Lambdactr-Ignored")
            problem = ""
            if response.status != request.expected_status:
                problem = f"{request.method} {request.target[:60]}: {response.status}"
            elif request.expected_status == 200 and (ignored is None) != request.stored:
                problem = f"{request.method} {request.target[:60]}: ignored={ignored}"
            return response.status, elapsed, problem
        except OSError as error:
            return 599, (time.perf_counter() - started) * 1000, f"{request.target[:60]}: {error}"
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for status, elapsed, problem in pool.map(send, requests):
            result.statuses[status] += 1
            result.latencies_ms.append(elapsed)
            if problem:
                result.unexpected.append(problem)
    result.wall_seconds = time.perf_counter() - started
    return result


def summary(result: LoadResult, stored: int) -> str:
    return (
        f"load             {result.sent} requests in {result.wall_seconds:.1f} s "
        f"({result.sent / result.wall_seconds:.0f}/s); stored {stored} of {result.expected_stored}"
        f" expected; 5xx {result.server_errors}; p50 {result.percentile(0.5):.1f} ms, "
        f"p99 {result.percentile(0.99):.1f} ms, mean {statistics.mean(result.latencies_ms):.1f} ms"
    )


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
        count += sum(is_hit_key(item["pk"]["S"]) for item in page["Items"])
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
