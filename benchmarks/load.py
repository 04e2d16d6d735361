"""Load on `lambdactr serve` over loopback: a bounded mix of beacons, bad input and 404s.

The mix and the server are tests/support's, the ones `tests/e2e/test_load.py` checks for loss.
Here it runs against a fresh server and prints the throughput and the p50 and p99 latency.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.support.load import plan, run_load, summary
from tests.support.serve import start_serve


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lambdactr-load-") as work:
        serve = start_serve(Path(work))
        try:
            result = run_load("127.0.0.1", serve.port, plan(args.requests), args.concurrency)
            stored = len(serve.hits())
        finally:
            serve.stop()
    print(summary(result, stored))
    ok = stored == result.expected_stored and not result.server_errors and not result.unexpected
    for problem in result.unexpected[:10]:
        print("  unexpected:", problem)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
