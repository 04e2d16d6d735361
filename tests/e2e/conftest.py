"""`lambdactr serve` as a real process on free ports, started and stopped for each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.serve import Serve, StartServe, start_serve


@pytest.fixture
def serve_factory(tmp_path: Path) -> Iterator[StartServe]:
    """Start as many servers as a test needs; every one is stopped afterwards, pass or fail."""
    started: list[Serve] = []

    def start(*extra_args: str, **options: Any) -> Serve:
        options.setdefault("work_dir", tmp_path)
        work_dir = options.pop("work_dir")
        serve = start_serve(work_dir, *extra_args, **options)
        started.append(serve)
        return serve

    try:
        yield start
    finally:
        for serve in started:
            try:
                serve.stop()
            finally:
                serve.kill()


@pytest.fixture(scope="module")
def shared_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """One server for a module's tests; each test tells its hits apart by a path of its own."""
    serve = start_serve(tmp_path_factory.mktemp("serve"))
    try:
        yield serve
    finally:
        try:
            serve.stop()
        finally:
            serve.kill()
