"""Local hits survive a restart of `lambdactr serve`: saved on SIGINT/SIGTERM, loaded at start."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.support.serve import StartServe, browser_headers, unique_path

# Every test here runs `lambdactr` as a process: `-m "not slow"` leaves them out.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_hits_and_salt_survive_a_restart(
    serve_factory: StartServe, tmp_path: Path, signum: int
) -> None:
    state_dir = tmp_path / "state"
    first = serve_factory(state_dir=state_dir)
    paths = [unique_path() for _ in range(3)]
    for path in paths:
        assert first.get(f"/c.css?p={path}", browser_headers()).status == 200
    assert first.get(f"/c.gif?p={paths[0]}", browser_headers()).status == 200
    before = {str(hit["pk"]): hit for hit in first.hits()}
    salts_before = first.salt_items()
    assert len(before) == 4
    assert len(salts_before) == 1

    assert first.stop(signum) == 0
    assert "Saved 4 items" in first.stdout()  # the hits; the salt is saved beside them
    assert not (state_dir / "serve.json").exists()

    second = serve_factory(state_dir=state_dir)
    assert "4 items loaded" in second.stdout()
    assert (state_dir / "lambdactr-salts.json").is_file()
    after = {str(hit["pk"]): hit for hit in second.hits()}
    assert after == before
    salts_after = second.salt_items()
    assert salts_after == salts_before  # the binary salt, byte for byte

    # The same visitor on the same day keeps the same visitor id across the restart.
    later_path = unique_path()
    assert second.get(f"/c.css?p={later_path}", browser_headers()).status == 200
    [later] = second.hits_where(path=later_path)
    assert later["vid"] == before[next(iter(before))]["vid"]


def test_a_restart_with_another_state_dir_starts_empty(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    first = serve_factory(state_dir=tmp_path / "one")
    assert first.get(f"/c.css?p={unique_path()}", browser_headers()).status == 200
    assert first.stop() == 0

    second = serve_factory(state_dir=tmp_path / "two")
    assert second.hits() == []


def test_an_unreadable_state_file_is_left_alone_and_serve_refuses_to_start(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    state_file = state_dir / "lambdactr-hits.json"
    state_file.write_text('{"items": [')

    broken = serve_factory(state_dir=state_dir, wait_ready=False)

    assert broken.process.wait(60) == 1
    assert str(state_file) in broken.stderr()
    assert state_file.read_text() == '{"items": ['


def test_a_second_serve_on_the_same_state_dir_is_refused(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    running = serve_factory(state_dir=state_dir)
    marker = json.loads((state_dir / "serve.json").read_text())
    assert marker["endpoint"] == running.endpoint

    second = serve_factory(state_dir=state_dir, wait_ready=False)

    assert second.process.wait(60) == 1
    assert "already running" in second.stderr()
    # The first one is untouched and still counting.
    assert running.get(f"/c.gif?p={unique_path()}", browser_headers()).status == 200


def test_serve_on_another_dynamodb_creates_both_tables_and_saves_nothing(
    serve_factory: StartServe, moto_endpoint: str, tmp_path: Path
) -> None:
    # moto's tables are shared by the whole test process: names of this test's own.
    serve = serve_factory(
        "--endpoint-url",
        moto_endpoint,
        "--table",
        "elsewhere-hits",
        "--salts-table",
        "elsewhere-day-salts",
    )
    serve.table = "elsewhere-hits"
    assert "Salts       table elsewhere-day-salts" in serve.stdout()
    for _ in range(2):
        assert serve.get(f"/c.css?p={unique_path()}", browser_headers()).status == 200

    hits = serve.hits()
    assert len(hits) == 2
    assert hits[0]["vid"] == hits[1]["vid"]
    (salt,) = serve.raw_items("elsewhere-day-salts")
    assert len(bytes(salt["salt"]["B"])) == 32
    assert serve.stop() == 0
    assert not serve.state_dir.exists()
