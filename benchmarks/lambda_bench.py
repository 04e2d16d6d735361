"""The Lambda's own costs, each measured side by side with its floor in one run.

1. Cold start: a fresh process that imports the handler and answers its first event, against a
   fresh process that only imports boto3 and creates a DynamoDB client.
2. Warm cost per hit: the handler in-process with DynamoDB stubbed, against a bare handler that
   returns the same CSS answer with no Powertools and no processing; and a counted `/c.svg`
   view (hit, counter and badge) beside a `/c.gif` one.
3. Write cost: the largest item over a hostile corpus (at most 1,024 bytes is one write unit),
   the mean item of realistic traffic (storage), and the log bytes per hit that CloudWatch bills
   at the default WARN level.
4. Cost per million hits, from those measurements.

Prints a table and writes the numbers as JSON (for BENCHMARKS.md) with --json FILE.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import string
import subprocess
import sys
import time
from contextlib import redirect_stdout
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
TABLE = "lambdactr-bench"

# Public on-demand prices, us-east-1, as listed on the AWS pricing pages (taken 2026-11-23).
PRICE_HTTP_API_PER_MILLION = 1.00  # first 300 million requests a month
PRICE_LAMBDA_REQUESTS_PER_MILLION = 0.20
PRICE_LAMBDA_ARM_GB_SECOND = 0.0000133334
PRICE_DYNAMODB_WRITE_UNITS_PER_MILLION = 0.625  # on-demand, since the November 2024 cut
PRICE_DYNAMODB_STORAGE_GB_MONTH = 0.25
PRICE_DYNAMODB_PITR_GB_MONTH = 0.20
# DynamoDB bills each stored item 100 bytes above its own size.
DYNAMODB_ITEM_OVERHEAD_BYTES = 100
PRICE_LOGS_INGESTED_GB = 0.50
LAMBDA_MEMORY_GB = 128 / 1024
FLOOR_PER_MILLION = (
    PRICE_HTTP_API_PER_MILLION
    + PRICE_LAMBDA_REQUESTS_PER_MILLION
    + PRICE_DYNAMODB_WRITE_UNITS_PER_MILLION
)

_FLOOR_COLD = "import boto3; boto3.client('dynamodb')"
_HANDLER_COLD = """
import json, sys
from lambdactr.function import app
class Context:
    function_name = "bench"; memory_limit_in_mb = 128; aws_request_id = "r"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
response = app.handler(json.loads(sys.argv[1]), Context())
assert response["statusCode"] == 200 and "X-Lambdactr-Ignored" not in response["headers"], response
"""


@dataclass
class Results:
    cold_handler_ms: float
    cold_floor_ms: float
    cold_ratio: float
    warm_handler_us: float
    warm_floor_us: float
    warm_ratio: float
    warm_gif_us: float
    warm_svg_us: float
    warm_svg_to_gif: float
    largest_item_bytes: int
    hostile_corpus_size: int
    mean_item_bytes: float
    log_bytes_per_hit_emitted: float
    log_bytes_per_hit_billed: float
    cost_per_million: dict[str, float]
    svg_cost_per_million: dict[str, float]


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


def cold_start(runs: int) -> tuple[float, float]:
    """Median wall time of whole fresh processes, alternating the two so noise hits both."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": TABLE,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    try:
        import boto3

        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        from lambdactr.function.privacy import Salt, end_of_utc_day
        from lambdactr.function.store import Store

        store = Store(TABLE, client)
        for table in (store.table_name, store.salts_table_name):
            client.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        # Only the first container of each day creates the salt; every other cold start reads it.
        now = time.time()
        store.create_salt(Salt(os.urandom(32), end_of_utc_day(now)), int(now))
        event = json.dumps(load_event("css"))
        handler_times, floor_times = [], []
        for _ in range(runs):
            handler_times.append(_time_process([sys.executable, "-c", _HANDLER_COLD, event], env))
            floor_times.append(_time_process([sys.executable, "-c", _FLOOR_COLD], env))
    finally:
        server.stop()
    return statistics.median(handler_times) * 1000, statistics.median(floor_times) * 1000


def _time_process(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


class _StubStore:
    table_name = TABLE

    def put_hit(self, item: Any) -> None:
        return None

    def get_salt(self) -> Any:
        from lambdactr.function.privacy import Salt

        return Salt(b"s" * 32, expires_at=2**40)

    def create_salt(self, salt: Any, now: int) -> Any:
        return salt

    def count_view(self, site: str, path: str) -> int:
        return 1234

    def views(self, site: str, path: str) -> int:
        return 1234


def _bench_context() -> Any:
    return type(
        "Context",
        (),
        {
            "function_name": "bench",
            "memory_limit_in_mb": 128,
            "aws_request_id": "r",
            "invoked_function_arn": "arn:aws:lambda:::function:bench",
        },
    )()


def warm_by_kind(hits: int) -> tuple[float, float]:
    """Per-hit handler time in µs of a counted `/c.gif` view and of a counted `/c.svg` view.

    The same page, visitor and headers; the svg view also adds to its counter and draws the
    badge. Alternating batches, so that noise hits both.
    """
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from lambdactr.function import app
    from lambdactr.function.config import Config

    stub: Any = _StubStore()
    app.collaborators = app.Collaborators.over(Config(table_name=TABLE), stub)
    context = _bench_context()
    gif = load_event("svg")
    gif["rawPath"] = gif["requestContext"]["http"]["path"] = "/c.gif"
    svg = load_event("svg")
    sink = io.StringIO()
    with redirect_stdout(sink):
        answers = [app.handler(event, context) for event in (gif, svg)]
    for response in answers:
        assert response["statusCode"] == 200
        assert "X-Lambdactr-Ignored" not in response["headers"]
    assert "1,234" in answers[1]["body"]
    samples: dict[str, list[float]] = {"gif": [], "svg": []}
    for _ in range(5):
        for name, event in (("gif", gif), ("svg", svg)):
            started = time.perf_counter()
            with redirect_stdout(sink):
                for _ in range(hits):
                    app.handler(event, context)
            samples[name].append((time.perf_counter() - started) / hits)
    return statistics.median(samples["gif"]) * 1e6, statistics.median(samples["svg"]) * 1e6


def warm_cost(hits: int) -> tuple[float, float, float, float]:
    """Per-hit handler time and its floor in µs, plus log bytes per hit: emitted and billed."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from lambdactr.function import app
    from lambdactr.function.config import Config

    stub: Any = _StubStore()
    app.collaborators = app.Collaborators.over(Config(table_name=TABLE), stub)
    context = _bench_context()
    events = [load_event(name) for name in ("css", "gif", "origin-referer", "prefetch")]
    answer = {
        "statusCode": 200,
        "body": "",
        "isBase64Encoded": False,
        "headers": {
            "Content-Type": "text/css; charset=utf-8",
            "ETag": '"x"',
            "Cache-Control": "no-cache, no-store, must-revalidate, max-age=0",
            "Pragma": "no-cache",
            "Expires": "0",
        },
    }

    def floor(event: dict[str, Any], _: Any) -> dict[str, Any]:
        return answer

    captured = io.StringIO()
    for event in events:  # warm up
        with redirect_stdout(captured):
            app.handler(event, context)
    captured = io.StringIO()
    handler_samples, floor_samples = [], []
    for _ in range(5):
        started = time.perf_counter()
        with redirect_stdout(captured):
            for index in range(hits):
                app.handler(events[index % len(events)], context)
        handler_samples.append((time.perf_counter() - started) / hits)
        started = time.perf_counter()
        for index in range(hits):
            floor(events[index % len(events)], context)
        floor_samples.append((time.perf_counter() - started) / hits)
    lines = [line for line in captured.getvalue().splitlines() if line.strip()]
    emitted = sum(len(line) + 1 for line in lines) / (hits * 5)
    billed = sum(len(line) + 1 for line in lines if _survives_warn_filter(line)) / (hits * 5)
    return (
        statistics.median(handler_samples) * 1e6,
        statistics.median(floor_samples) * 1e6,
        emitted,
        billed,
    )


def _survives_warn_filter(line: str) -> bool:
    """Lambda's filter at WARN: a JSON line without a level counts as INFO and is dropped."""
    try:
        level = str(json.loads(line).get("level", "INFO")).upper()
    except (json.JSONDecodeError, AttributeError):
        level = "INFO"
    return level in ("WARN", "WARNING", "ERROR", "CRITICAL", "FATAL")


def item_sizes(corpus_size: int) -> tuple[int, float]:
    """Largest item over a hostile corpus, and the mean item over the realistic events."""
    from lambdactr.function.config import Config
    from lambdactr.function.hit import KEPT_HEADERS, BeaconRequest, Hit, hit_from_request
    from lambdactr.function.item import fit, item_size

    config = Config()
    rng = random.Random(1)
    alphabet = string.printable + "é中\U0001f600\x00\u202e\udc80"

    def text(limit: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, limit)))

    def finished(hit: Hit) -> dict[str, Any]:
        return fit({"pk": "f" * 32, "vid": "a" * 16, **hit.fields})

    largest = 0
    for _ in range(corpus_size):
        headers = {name: text(400) for name in KEPT_HEADERS if name not in ("dnt", "sec-gpc")}
        headers["user-agent"] = text(3000)
        headers["accept-language"] = text(100)
        headers["referer"] = "https://" + text(300).replace("/", "") + "/" + text(3000)
        query = f"p=/{text(3000)}&r=https://{text(200)}/{text(500)}&t={text(2000)}"
        outcome = hit_from_request(
            BeaconRequest("gif", "GET", query, headers, "81.2.69.160", 1795420800123), config
        )
        if isinstance(outcome, Hit):
            largest = max(largest, item_size(finished(outcome)))
    realistic = []
    for name in ("css", "gif", "origin-referer", "prefetch"):
        event = load_event(name)
        outcome = hit_from_request(
            BeaconRequest(
                "css",
                "GET",
                event["rawQueryString"],
                event["headers"],
                event["requestContext"]["http"]["sourceIp"],
                1795420800123,
            ),
            config,
        )
        assert isinstance(outcome, Hit)
        realistic.append(item_size(finished(outcome)))
    return largest, statistics.mean(realistic)


def cost_per_million(
    warm_us: float, log_bytes: float, mean_item: float, writes_per_hit: int = 1
) -> dict[str, float]:
    # Lambda bills duration in 1 ms steps; a warm hit also waits on its writes (a PutItem, and
    # for a counted badge view an UpdateItem), which the stub leaves out, so the duration assumed
    # here is the measured handler time plus 10 ms per write.
    billed_ms = max(1.0, float(int(warm_us / 1000 + 10 * writes_per_hit) + 1))
    lambda_duration = billed_ms / 1000 * LAMBDA_MEMORY_GB * PRICE_LAMBDA_ARM_GB_SECOND * 1e6
    logs = log_bytes * 1e6 / 1e9 * PRICE_LOGS_INGESTED_GB
    stored_gb = (mean_item + DYNAMODB_ITEM_OVERHEAD_BYTES) * 1e6 / 1e9
    storage = stored_gb * (PRICE_DYNAMODB_STORAGE_GB_MONTH + PRICE_DYNAMODB_PITR_GB_MONTH)
    parts = {
        "http_api": PRICE_HTTP_API_PER_MILLION,
        "lambda_requests": PRICE_LAMBDA_REQUESTS_PER_MILLION,
        "lambda_duration": lambda_duration,
        # A counter item is far below 1 KB: its UpdateItem is one more write unit.
        "dynamodb_writes": PRICE_DYNAMODB_WRITE_UNITS_PER_MILLION * writes_per_hit,
        "cloudwatch_logs": logs,
        "dynamodb_storage_per_month": storage,
        "assumed_billed_ms": billed_ms,
    }
    # Storage is paid per month for as long as the hits are kept, not once per hit.
    parts["total"] = sum(
        v for k, v in parts.items() if k not in ("assumed_billed_ms", "dynamodb_storage_per_month")
    )
    parts["floor"] = FLOOR_PER_MILLION
    parts["ratio_to_floor"] = parts["total"] / FLOOR_PER_MILLION
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--warm-hits", type=int, default=2000)
    parser.add_argument("--corpus", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    cold_handler, cold_floor = cold_start(args.cold_runs)
    warm_handler, warm_floor, emitted, billed = warm_cost(args.warm_hits)
    warm_gif, warm_svg = warm_by_kind(args.warm_hits)
    largest, mean_item = item_sizes(args.corpus)
    results = Results(
        cold_handler_ms=round(cold_handler, 1),
        cold_floor_ms=round(cold_floor, 1),
        cold_ratio=round(cold_handler / cold_floor, 3),
        warm_handler_us=round(warm_handler, 1),
        warm_floor_us=round(warm_floor, 3),
        warm_ratio=round(warm_handler / warm_floor, 1),
        warm_gif_us=round(warm_gif, 1),
        warm_svg_us=round(warm_svg, 1),
        warm_svg_to_gif=round(warm_svg / warm_gif, 2),
        largest_item_bytes=largest,
        hostile_corpus_size=args.corpus,
        mean_item_bytes=round(mean_item, 1),
        log_bytes_per_hit_emitted=round(emitted, 1),
        log_bytes_per_hit_billed=round(billed, 1),
        cost_per_million={
            k: round(v, 4) for k, v in cost_per_million(warm_handler, billed, mean_item).items()
        },
        svg_cost_per_million={
            k: round(v, 4)
            for k, v in cost_per_million(warm_svg, billed, mean_item, writes_per_hit=2).items()
        },
    )
    cost = results.cost_per_million
    print(
        f"cold start       handler {cold_handler:7.1f} ms   floor {cold_floor:7.1f} ms   "
        f"ratio {results.cold_ratio:.2f} (target <= 1.3)"
    )
    print(
        f"warm per hit     handler {warm_handler:7.1f} µs   floor {warm_floor:7.3f} µs   "
        f"ratio {results.warm_ratio:.0f}"
    )
    print(
        f"warm svg vs gif  svg {warm_svg:7.1f} µs   gif {warm_gif:7.1f} µs   "
        f"ratio {results.warm_svg_to_gif:.2f} (a counted view: hit, counter, badge)"
    )
    print(
        f"write cost       largest item {largest} B over {args.corpus} hostile requests "
        f"(limit 1024: {'one write unit' if largest <= 1024 else 'OVER'}); "
        f"mean realistic item {mean_item:.0f} B"
    )
    print(f"log bytes/hit    emitted {emitted:.0f} B, billed at WARN {billed:.0f} B")
    print(
        f"cost per 1M hits ${cost['total']:.3f} (floor ${cost['floor']:.3f}, "
        f"ratio {cost['ratio_to_floor']:.3f}; Lambda billed {cost['assumed_billed_ms']:.0f} ms "
        f"assumed); keeping them costs ${cost['dynamodb_storage_per_month']:.3f} a month with PITR"
    )
    svg_cost = results.svg_cost_per_million
    print(
        f"cost per 1M svg  ${svg_cost['total']:.3f} (gif ${cost['total']:.3f}: one more write "
        f"unit per counted view; Lambda billed {svg_cost['assumed_billed_ms']:.0f} ms assumed)"
    )
    if args.json:
        args.json.write_text(json.dumps(asdict(results), indent=2) + "\n")
    return 0 if largest <= 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
