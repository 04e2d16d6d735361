"""Every command finds the local table as `invoke` does, and gives up fast on a dead endpoint."""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambdactr.function.days import utc_day
from lambdactr.function.item import SECONDS_PER_DAY, UNSAVED_KEY, UNSAVED_MESSAGE
from tests.support.paths import EVENTS_DIR
from tests.support.serve import Serve, StartServe, browser_headers, run_lambdactr, unique_path

# Every test here runs `lambdactr` as a process: not part of `make test-fast`.
pytestmark = pytest.mark.slow

# The bound for a command against an endpoint nobody answers.
UNREACHABLE_BOUND_S = 5


def no_aws_account(home: Path) -> dict[str, str | None]:
    """The environment of someone who never configured AWS: no keys, no files, no profile."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_CONFIG_FILE": str(home / "none" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "none" / "credentials"),
        "AWS_ENDPOINT_URL_DYNAMODB": None,
        "TABLE_NAME": None,
    }


def count_views(serve: Serve, views: int) -> str:
    path = unique_path()
    for _ in range(views):
        assert serve.get(f"/c.css?p={path}", browser_headers()).status == 200
    return path


def report_json(cwd: Path, *args: str, env: dict[str, str | None]) -> tuple[dict[str, Any], str]:
    finished = run_lambdactr("report", "--since", "1d", "--format", "json", *args, cwd=cwd, env=env)
    assert finished.returncode == 0, finished.stderr
    data: dict[str, Any] = json.loads(finished.stdout)
    return data, finished.stderr


def test_report_without_flags_or_aws_account_reads_the_running_serve(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    # As the README has it: `make serve` in the project directory, then `report` beside it.
    serve = serve_factory(state_dir=tmp_path / ".lambdactr")
    path = count_views(serve, 3)

    data, stderr = report_json(tmp_path, env=no_aws_account(tmp_path / "home"))

    assert data["pageviews"] == 3
    assert [(page["path"], page["pageviews"]) for page in data["pages"]] == [(path, 3)]
    # One line says which table was read, and why.
    [notice] = stderr.strip().splitlines()
    assert "no AWS credentials" in notice
    assert f"of lambdactr serve (pid {serve.process.pid})" in notice


def test_report_local_reads_the_saved_table_once_serve_has_stopped(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    serve = serve_factory(state_dir=tmp_path / ".lambdactr")
    count_views(serve, 2)
    assert serve.stop() == 0

    # --local even with AWS credentials about: the flag says which table.
    data, stderr = report_json(tmp_path, "--local", env={"HOME": str(tmp_path / "home")})

    assert data["pageviews"] == 2
    assert "saved in .lambdactr/lambdactr-hits.json" in stderr
    assert "no AWS credentials" not in stderr


def test_an_explicit_endpoint_wins_over_the_local_table(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    local = serve_factory(state_dir=tmp_path / ".lambdactr")
    count_views(local, 1)
    other = serve_factory(state_dir=tmp_path / "other", work_dir=tmp_path / "elsewhere")
    count_views(other, 4)

    data, stderr = report_json(
        tmp_path,
        "--endpoint-url",
        other.endpoint,
        env=no_aws_account(tmp_path / "home"),
    )

    assert data["pageviews"] == 4
    assert "no AWS credentials" not in stderr


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_report_gives_up_fast_on_an_unreachable_endpoint(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"

    # The subprocess timeout is the bound: it raises if the command takes longer.
    finished = run_lambdactr(
        "report", "--endpoint-url", endpoint, cwd=tmp_path, timeout=UNREACHABLE_BOUND_S
    )

    assert finished.returncode != 0
    assert f"cannot reach DynamoDB at {endpoint}" in finished.stderr
    assert "is `lambdactr serve`" in finished.stderr
    assert "Traceback" not in finished.stderr


def unsaved_line(pk: str, path: str) -> str:
    """The handler's own log line for a hit it could not store, as replay takes it."""
    now_ms = int(time.time() * 1000)
    item = {
        "pk": pk,
        "ts": now_ms,
        "day": utc_day(now_ms),
        "kind": "css",
        "site": "blog.example.org",
        "path": path,
        "src": "p",
        "ttl": now_ms // 1000 + 400 * SECONDS_PER_DAY,
    }
    return json.dumps({"level": "ERROR", "message": UNSAVED_MESSAGE, UNSAVED_KEY: item}) + "\n"


@pytest.mark.parametrize(
    "command",
    [
        ["invoke", str(EVENTS_DIR / "css.json")],
        ["replay", "unsaved.log"],
        ["serve", "--port", "0"],
    ],
)
def test_every_command_gives_up_fast_on_an_unreachable_endpoint(
    command: list[str], tmp_path: Path
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    (tmp_path / "unsaved.log").write_text(unsaved_line("0" * 31 + "1", "/"))

    finished = run_lambdactr(
        *command, "--endpoint-url", endpoint, cwd=tmp_path, timeout=UNREACHABLE_BOUND_S
    )

    assert finished.returncode != 0
    assert endpoint.removeprefix("http://") in finished.stderr


def test_replay_local_writes_into_the_running_serve(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    serve = serve_factory(state_dir=tmp_path / ".lambdactr")
    path = unique_path()
    (tmp_path / "unsaved.log").write_text(unsaved_line("ab" * 16, path))

    finished = run_lambdactr("replay", "--local", "unsaved.log", cwd=tmp_path)

    assert finished.returncode == 0, finished.stderr
    assert "wrote 1" in finished.stdout
    assert [hit["pk"] for hit in serve.hits_where(path=path)] == ["ab" * 16]


def test_invoke_takes_several_events_and_prints_one_response_each(tmp_path: Path) -> None:
    events = [str(EVENTS_DIR / name) for name in ("css.json", "gif.json", "not-found.json")]

    finished = run_lambdactr("invoke", *events, "--state-dir", "state", cwd=tmp_path)

    assert finished.returncode == 0, finished.stderr
    decoder = json.JSONDecoder()
    responses, at = [], 0
    text = finished.stdout
    while at < len(text.rstrip()):
        response, end = decoder.raw_decode(text, at)
        responses.append(response)
        at = end + 1
    assert [response["statusCode"] for response in responses] == [200, 200, 404]
    state = json.loads((tmp_path / "state" / "lambdactr-hits.json").read_text())
    kinds = sorted(i["kind"]["S"] for i in state["items"] if "kind" in i)
    assert kinds == ["css", "gif"]


def test_sighup_saves_the_table_like_sigterm(serve_factory: StartServe, tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    first = serve_factory(state_dir=state_dir)
    path = count_views(first, 3)

    # A closed terminal sends SIGHUP.
    assert first.stop(signal.SIGHUP) == 0

    second = serve_factory(state_dir=state_dir)
    assert len(second.hits_where(path=path)) == 3


def test_autosave_keeps_the_hits_through_a_kill_9(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    first = serve_factory("--autosave", "0.2", state_dir=state_dir)
    path = count_views(first, 2)
    state_file = state_dir / "lambdactr-hits.json"

    def saved_paths() -> list[str]:
        try:
            items = json.loads(state_file.read_text())["items"]
        except (OSError, ValueError):
            return []
        return [i["path"]["S"] for i in items if "path" in i]

    wait_until(lambda: saved_paths().count(path) == 2)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()

    second = serve_factory(state_dir=state_dir)
    assert len(second.hits_where(path=path)) == 2


def wait_until(condition: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the condition never held")
        time.sleep(0.05)
