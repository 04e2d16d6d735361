"""AWS's DynamoDB Local as a process on a free loopback port, for tests and `make bench`.

`make dynamodb-local` installs it into .dynamodb-local/ (the jar from the npm package
amplify-dynamodb-simulator, Java from Debian). It runs in memory with one database for every
client (`-sharedDb`), and sends no telemetry.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as ClientConfig
from botocore.exceptions import BotoCoreError, ClientError

ROOT = Path(__file__).resolve().parents[2]
# Where `make dynamodb-local` unpacks it; DYNAMODB_LOCAL_DIR points elsewhere.
EMULATOR_DIR = Path(os.environ.get("DYNAMODB_LOCAL_DIR", ROOT / ".dynamodb-local")) / "emulator"
STARTUP_TIMEOUT_S = 60
INSTALL_HINT = "run `make dynamodb-local` (it installs Java from Debian and the jar from npm)"


class DynamoDBLocalMissing(RuntimeError):
    """DynamoDB Local or Java is not installed; the message says how to install them."""


def missing_reason() -> str | None:
    """Why DynamoDB Local cannot start here, or None when it can."""
    if not (EMULATOR_DIR / "DynamoDBLocal.jar").is_file():
        return f"DynamoDB Local is not in {EMULATOR_DIR}: {INSTALL_HINT}"
    if shutil.which("java") is None:
        return f"DynamoDB Local needs Java, which is not on PATH: {INSTALL_HINT}"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def client(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=ClientConfig(connect_timeout=2, read_timeout=30, retries={"max_attempts": 1}),
    )


@contextlib.contextmanager
def running(log_path: Path, heap: str = "1g") -> Iterator[str]:
    """DynamoDB Local, running until the block ends; yields its endpoint URL."""
    reason = missing_reason()
    if reason is not None:
        raise DynamoDBLocalMissing(reason)
    port = free_port()
    command = [
        "java",
        f"-Xmx{heap}",
        f"-Djava.library.path={EMULATOR_DIR / 'DynamoDBLocal_lib'}",
        "-jar",
        str(EMULATOR_DIR / "DynamoDBLocal.jar"),
        "-inMemory",
        "-sharedDb",
        "-disableTelemetry",
        "-port",
        str(port),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=EMULATOR_DIR, stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, endpoint, log_path)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[bytes], endpoint: str, log_path: Path) -> None:
    probe = client(endpoint)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"DynamoDB Local exited with {process.returncode}:\n{log_path.read_text()}"
            )
        try:
            probe.list_tables()
        except (BotoCoreError, ClientError):
            time.sleep(0.1)
            continue
        return
    raise RuntimeError(
        f"DynamoDB Local not ready after {STARTUP_TIMEOUT_S} s:\n{log_path.read_text()}"
    )


def delete_every_table(endpoint: str) -> None:
    """Empty the shared database between tests: DynamoDB Local keeps it for the whole session."""
    dynamodb = client(endpoint)
    for name in dynamodb.list_tables()["TableNames"]:
        dynamodb.delete_table(TableName=name)


@dataclass
class DynamoDB:
    """The DynamoDB one test talks to: moto inside this process, or DynamoDB Local.

    With DynamoDB Local, AWS_ENDPOINT_URL_DYNAMODB points every client there, the handler's own
    included, and the test starts and ends with no table.
    """

    kind: str
    client: Any
    endpoint: str | None = None


DYNAMODB_KINDS = ("moto", "dynamodb-local")
