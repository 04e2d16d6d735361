"""`lambdactr serve` and the `lambdactr` command as real processes, as a user runs them."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from lambdactr.function.config import default_salts_table
from lambdactr.function.item import PlainItem, counter_key, from_dynamodb, is_hit_key
from tests.support.hits import CHROME

STARTUP_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
_READY = re.compile(r"^Ready: listening on (http://\S+?)/?$", re.MULTILINE)
_ENDPOINT = re.compile(r"--endpoint-url (http://\S+)")


def lambdactr_command() -> list[str]:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).with_name("lambdactr")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lambdactr.cli"]


def unique_path() -> str:
    """A page path no other test uses, so a test on a shared server tells its hits apart."""
    return f"/posts/{uuid.uuid4().hex}/"


def browser_headers(page: str = "https://blog.example.org/") -> dict[str, str]:
    """What a browser sends with a beacon request from `page`."""
    return {"Referer": page, "User-Agent": CHROME, "Accept-Language": "en-GB,en;q=0.9"}


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def request(
    base_url: str, method: str, target: str, headers: Mapping[str, str] | None = None
) -> Answer:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request(method, target, headers=dict(headers or {}))
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


@dataclass
class Serve:
    process: subprocess.Popen[bytes]
    state_dir: Path
    stdout_path: Path
    stderr_path: Path
    base_url: str = ""
    endpoint: str = ""
    table: str = "lambdactr-hits"
    _client: Any = field(default=None, repr=False)

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def get(self, target: str, headers: Mapping[str, str] | None = None) -> Answer:
        return request(self.base_url, "GET", target, headers)

    def head(self, target: str, headers: Mapping[str, str] | None = None) -> Answer:
        return request(self.base_url, "HEAD", target, headers)

    @property
    def port(self) -> int:
        return int(urlsplit(self.base_url).port or 0)

    @property
    def client(self) -> Any:
        if self._client is None:
            # The embedded DynamoDB takes any credentials: placeholders, so that a run outside
            # pytest (the load benchmark) needs no AWS account either.
            self._client = boto3.client(
                "dynamodb",
                endpoint_url=self.endpoint,
                region_name="us-east-1",
                aws_access_key_id="local",
                aws_secret_access_key="local",
            )
        return self._client

    def raw_items(self, table: str | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.client.get_paginator("scan").paginate(
            TableName=table or self.table, ConsistentRead=True
        ):
            items.extend(page["Items"])
        return items

    def salt_items(self) -> list[dict[str, Any]]:
        """The salts table beside the hits table: the day's salt."""
        return self.raw_items(default_salts_table(self.table))

    def hits(self) -> list[PlainItem]:
        return [from_dynamodb(i) for i in self.raw_items() if is_hit_key(i["pk"]["S"])]

    def counter(self, site: str, path: str) -> int:
        """The page's badge count in the table: 0 for a page never counted."""
        answer = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": counter_key(site, path)}}, ConsistentRead=True
        )
        return int(answer["Item"]["n"]["N"]) if "Item" in answer else 0

    def hits_where(self, **fields: Any) -> list[PlainItem]:
        return [h for h in self.hits() if all(h.get(k) == v for k, v in fields.items())]

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                return self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"lambdactr serve ignored signal {signum}:\n{self.stderr()}")
        return int(self.process.returncode)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_serve(
    work_dir: Path,
    *extra_args: str,
    state_dir: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    wait_ready: bool = True,
) -> Serve:
    """Start `lambdactr serve` on free ports (port 0) and wait until it says it is ready."""
    work_dir.mkdir(parents=True, exist_ok=True)
    state_dir = state_dir or work_dir / "state"
    runs = len(list(work_dir.glob("serve-*.out")))
    stdout_path = work_dir / f"serve-{runs}.out"
    stderr_path = work_dir / f"serve-{runs}.err"
    command = [
        *lambdactr_command(),
        "serve",
        "--port",
        "0",
        "--db-port",
        "0",
        "--state-dir",
        str(state_dir),
        *extra_args,
    ]
    # Output goes to files, not pipes: a pipe nobody drains would stall the server mid-burst.
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            stdout=stdout,
            stderr=stderr,
            cwd=work_dir,
            env=_environment(env or {}),
        )
    serve = Serve(process, state_dir, stdout_path, stderr_path)
    if wait_ready:
        _wait_ready(serve)
    return serve


def _environment(changes: Mapping[str, str | None]) -> dict[str, str]:
    """This process's environment with `changes` applied; a None value removes the variable."""
    environment = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


def _wait_ready(serve: Serve) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        out = serve.stdout()
        ready = _READY.search(out)
        if ready:
            serve.base_url = ready.group(1)
            endpoint = _ENDPOINT.search(out)
            assert endpoint, out
            serve.endpoint = endpoint.group(1)
            return
        if serve.process.poll() is not None:
            pytest.fail(
                f"lambdactr serve exited with {serve.process.returncode}:\n{serve.stderr()}"
            )
        time.sleep(0.05)
    serve.kill()
    pytest.fail(f"lambdactr serve not ready after {STARTUP_TIMEOUT_S} s:\n{serve.stderr()}")


StartServe = Callable[..., Serve]


def run_lambdactr(
    *args: str, cwd: Path, timeout: float = 60, env: Mapping[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*lambdactr_command(), *args],
        env=_environment(env or {}),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
