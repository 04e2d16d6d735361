"""`lambdactr invoke EVENT.json`, the Docker-free `sam local invoke`, as a process."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.support.paths import EVENTS_DIR
from tests.support.serve import Serve, StartServe, run_lambdactr

# Every test here runs `lambdactr` as a process: `-m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

EVENTS = sorted(path.stem for path in EVENTS_DIR.glob("*.json"))


def saved_items(state_dir: Path) -> list[dict[str, object]]:
    state = json.loads((state_dir / "lambdactr-hits.json").read_text())
    return [i for i in state["items"] if not i["pk"]["S"].startswith("salt#")]


@pytest.mark.parametrize("name", EVENTS)
def test_every_sample_event_runs_and_prints_the_response(
    shared_serve: Serve, tmp_path: Path, name: str
) -> None:
    # Against a running serve's table, which spares each call starting a DynamoDB of its own.
    result = run_lambdactr(
        "invoke",
        str(EVENTS_DIR / f"{name}.json"),
        "--state-dir",
        str(shared_serve.state_dir),
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["statusCode"] == (404 if name == "not-found" else 200)
    assert isinstance(response["headers"], dict)
    assert not (tmp_path / ".lambdactr").exists()


def test_gif_event_prints_the_pixel_and_saves_the_hit(tmp_path: Path) -> None:
    result = run_lambdactr(
        "invoke", str(EVENTS_DIR / "gif.json"), "--state-dir", "state", cwd=tmp_path
    )

    response = json.loads(result.stdout)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]).startswith(b"GIF89a")
    [item] = saved_items(tmp_path / "state")
    assert item["kind"] == {"S": "gif"}
    # The function's own log lines go to stderr, as with `sam local invoke`.
    assert '"Hit"' in result.stderr

    again = run_lambdactr(
        "invoke", str(EVENTS_DIR / "css.json"), "--state-dir", "state", cwd=tmp_path
    )
    assert again.returncode == 0
    assert sorted(i["kind"]["S"] for i in saved_items(tmp_path / "state")) == ["css", "gif"]


def test_invoke_shares_the_table_of_a_running_serve(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    serve = serve_factory(state_dir=state_dir)

    result = run_lambdactr(
        "invoke", str(EVENTS_DIR / "css.json"), "--state-dir", str(state_dir), cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    [hit] = serve.hits()
    assert hit["path"] == "/posts/hello-world/"
    assert serve.stop() == 0
    assert len(saved_items(state_dir)) == 1


def test_hits_from_invoke_are_there_when_serve_starts(
    serve_factory: StartServe, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    run_lambdactr(
        "invoke", str(EVENTS_DIR / "gif.json"), "--state-dir", str(state_dir), cwd=tmp_path
    )

    serve = serve_factory(state_dir=state_dir)

    assert [hit["kind"] for hit in serve.hits()] == ["gif"]


def test_a_missing_event_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_lambdactr("invoke", "no-such-event.json", cwd=tmp_path)

    assert result.returncode == 2
    assert "no-such-event.json" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / ".lambdactr").exists()


def test_the_event_is_never_logged_even_when_powertools_is_told_to(tmp_path: Path) -> None:
    # POWERTOOLS_LOGGER_LOG_EVENT=true would have Powertools log each event whole, with the
    # visitor's address and cookies; the handler pins that off.
    event = json.loads((EVENTS_DIR / "css.json").read_text())
    address = event["requestContext"]["http"]["sourceIp"]
    event["headers"]["cookie"] = "session=s3cr3t-cookie"
    event["cookies"] = ["session=s3cr3t-cookie"]
    (tmp_path / "event.json").write_text(json.dumps(event))

    result = run_lambdactr(
        "invoke",
        "event.json",
        "--state-dir",
        "state",
        cwd=tmp_path,
        env={"POWERTOOLS_LOGGER_LOG_EVENT": "true", "POWERTOOLS_LOG_LEVEL": "DEBUG"},
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["statusCode"] == 200
    assert '"Hit"' in result.stderr  # the function's log did reach stderr
    for secret in (address, "s3cr3t"):
        assert secret not in result.stderr
        assert secret not in result.stdout


def test_invoke_keeps_the_salt_in_a_table_and_a_file_of_its_own(tmp_path: Path) -> None:
    for _ in range(2):
        result = run_lambdactr(
            "invoke",
            str(EVENTS_DIR / "css.json"),
            "--state-dir",
            "state",
            "--salts-table",
            "my-salts",
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr

    state_dir = tmp_path / "state"
    hits = json.loads((state_dir / "lambdactr-hits.json").read_text())["items"]
    assert len(hits) == 2
    assert all("salt" not in item for item in hits)
    (salt,) = json.loads((state_dir / "my-salts.json").read_text())["items"]
    assert set(salt) == {"pk", "salt", "ttl"}
    # The second run read back the salt the first one saved: the same visitor, the same vid.
    assert hits[0]["vid"] == hits[1]["vid"]
