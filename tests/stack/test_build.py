"""`sam build` with no Docker: what goes into the Lambda, how big it is, and that it answers."""

from __future__ import annotations

import email.parser
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from packaging.tags import Tag, cpython_tags, parse_tag
from packaging.utils import canonicalize_name

from lambdactr.function.item import from_dynamodb
from tests.support.paths import EVENTS_DIR
from tests.support.stack import (
    FUNCTION_ID,
    STACK_NAME,
    SUMMARY,
    function_package_files,
    locked_requirements,
    parameter_defaults,
    resolve,
)
from tests.support.tables import create_hits_table

# Each build takes a few seconds, more with a cold pip cache: `make test` runs them, `make
# test-fast` does not.
pytestmark = pytest.mark.slow

# What the Lambda downloads and unpacks on a cold start. Today: about 1.2 MB zipped, 4.0 MB
# unpacked; most of it is Powertools and iptocc's country database.
MAX_ZIPPED_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 6 * 1024 * 1024

# What the python3.13 runtime ships and the artifact therefore leaves out: botocore and what it
# imports. boto3 is left out here too, so the test also proves that the handler does without it.
RUNTIME_MODULES = ("botocore", "dateutil", "jmespath", "six", "urllib3")
# Lambda (Amazon Linux 2023) takes wheels for glibc up to 2.34.
LAMBDA_GLIBC_MINORS = range(34, 16, -1)
ELF_MACHINE_AARCH64 = 183

# Runs in a fresh interpreter with no site-packages, as the Lambda runtime would: the artifact
# first on sys.path, then what the runtime provides, then the standard library.
INVOKE = """
import importlib, json, sys
artifact, runtime, handler_name, event_path, result_path = sys.argv[1:]
sys.path[:0] = [artifact, runtime]
module_name, function_name = handler_name.rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), function_name)

class Context:
    function_name = "lambdactr-BeaconFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:lambdactr"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name = "/aws/lambda/lambdactr"
    log_stream_name = "2026/11/23/[$LATEST]0123"

with open(event_path) as event_file:
    response = handler(json.load(event_file), Context())
files = {
    name: getattr(sys.modules.get(name), "__file__", None)
    for name in ("lambdactr.function.app", "aws_lambda_powertools", "iptocc", "botocore")
}
with open(result_path, "w") as result_file:
    json.dump({"response": response, "files": files}, result_file)
"""


def files_under(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file())


def elf_machine(shared_object: Path) -> int:
    header = shared_object.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", f"{shared_object} is not an ELF file"
    return int.from_bytes(header[18:20], "little")


def wheel_tags(artifact: Path, distribution: str) -> set[Tag]:
    (dist_info,) = artifact.glob(f"{distribution}-*.dist-info")
    lines = (dist_info / "WHEEL").read_text().splitlines()
    return {
        tag
        for line in lines
        if line.startswith("Tag: ")
        for tag in parse_tag(line.removeprefix("Tag: "))
    }


def test_the_artifact_holds_the_lambda_path_and_nothing_of_the_operators_half(
    arm64_artifact: Path,
) -> None:
    shipped = {
        path.relative_to(arm64_artifact).as_posix()
        for path in (arm64_artifact / "lambdactr").rglob("*")
        if path.is_file()
    }
    assert shipped == function_package_files()
    top_level = {path.name for path in arm64_artifact.iterdir()}
    for unwanted in ("boto3", "botocore", "moto", "rich", "ua_parser", "crawlerdetect", "tests"):
        assert unwanted not in top_level
    assert not [path for path in arm64_artifact.rglob("*") if path.name == "__pycache__"]
    assert not [
        path for path in files_under(arm64_artifact) if re.match(r"test_.*\.py$", path.name)
    ]
    for operator_module in ("cli", "aws", "snippet", "local", "report", "replay"):
        assert not list(arm64_artifact.rglob(f"lambdactr/{operator_module}*"))


def test_the_artifact_has_powertools_and_an_iptocc_built_for_cp313_on_arm64(
    arm64_artifact: Path,
) -> None:
    assert (arm64_artifact / "aws_lambda_powertools" / "logging" / "logger.py").is_file()
    assert (arm64_artifact / "aws_lambda_powertools" / "event_handler" / "api_gateway.py").is_file()

    lambda_tags = set(
        cpython_tags(
            python_version=(3, 13),
            abis=["cp313"],
            platforms=[f"manylinux_2_{minor}_aarch64" for minor in LAMBDA_GLIBC_MINORS],
        )
    )
    iptocc_tags = wheel_tags(arm64_artifact, "iptocc")
    assert iptocc_tags & lambda_tags, f"iptocc wheel {iptocc_tags} cannot load on Lambda"
    shared_objects = list((arm64_artifact / "iptocc").glob("*.so"))
    assert shared_objects
    assert all(elf_machine(path) == ELF_MACHINE_AARCH64 for path in shared_objects)


def test_the_artifact_holds_exactly_the_locked_distributions(arm64_artifact: Path) -> None:
    # The build installs with --require-hashes from the lock: this build passing proves the lock
    # holds the hash of every arm64 wheel it downloaded.
    installed = {}
    for dist_info in arm64_artifact.glob("*.dist-info"):
        metadata = email.parser.Parser().parsestr((dist_info / "METADATA").read_text())
        installed[canonicalize_name(metadata["Name"])] = metadata["Version"]
    locked = {
        name: str(requirement.specifier).removeprefix("==")
        for name, (requirement, _) in locked_requirements().items()
    }
    assert installed == locked


def test_the_artifact_stays_small(arm64_artifact: Path) -> None:
    files = files_under(arm64_artifact)
    unpacked = sum(path.stat().st_size for path in files)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in files:
            zipped.write(path, path.relative_to(arm64_artifact))
    zipped_bytes = archive.getbuffer().nbytes
    line = (
        f"{FUNCTION_ID}: {zipped_bytes} bytes zipped, {unpacked} bytes unpacked, {len(files)} files"
    )
    SUMMARY.append(line)
    print(line)
    assert zipped_bytes <= MAX_ZIPPED_BYTES
    assert unpacked <= MAX_UNPACKED_BYTES


def runtime_site(directory: Path) -> Path:
    """A directory with only what the Lambda runtime adds to sys.path for the handler."""
    directory.mkdir()
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        assert spec is not None, name
        assert spec.origin is not None, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (directory / source.name).symlink_to(source)
    return directory


def lambda_environment(template: dict[str, Any], endpoint: str, home: Path) -> dict[str, str]:
    """The function's environment from template.yaml at its defaults, plus what Lambda sets."""
    variables = template["Resources"][FUNCTION_ID]["Properties"]["Environment"]["Variables"]
    defaults = parameter_defaults(template)
    return {
        **{name: str(resolve(value, defaults)) for name, value in variables.items()},
        # What Lambda derives from LoggingConfig at the default LogLevel.
        "AWS_LAMBDA_LOG_LEVEL": defaults["LogLevel"],
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        # No ~/.aws of the developer's can leak in.
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
    }


def test_the_templates_handler_serves_a_beacon_and_stores_the_hit_from_the_built_artifact(
    native_artifact: Path, template: dict[str, Any], moto_endpoint: str, tmp_path: Path
) -> None:
    environment = lambda_environment(template, moto_endpoint, tmp_path)
    table_name = environment["TABLE_NAME"]
    salts_table = environment["SALTS_TABLE"]
    assert (table_name, salts_table) == (f"{STACK_NAME}-hits", f"{STACK_NAME}-salts")
    client = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name="us-east-1")
    for name in (table_name, salts_table):
        create_hits_table(client, name)
    handler_name = template["Resources"][FUNCTION_ID]["Properties"]["Handler"]
    result_path = tmp_path / "result.json"
    run = subprocess.run(
        [
            sys.executable,
            "-I",  # no PYTHON* variables, no user site
            "-S",  # no site-packages: the project's .venv stays out of reach
            "-c",
            INVOKE,
            str(native_artifact),
            str(runtime_site(tmp_path / "runtime")),
            handler_name,
            str(EVENTS_DIR / "css.json"),
            str(result_path),
        ],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(result_path.read_text())

    # The handler, Powertools and iptocc all came from the artifact, not from the project.
    for module in ("lambdactr.function.app", "aws_lambda_powertools", "iptocc"):
        assert Path(result["files"][module]).is_relative_to(native_artifact), result["files"]

    response = result["response"]
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/css")
    assert "X-Lambdactr-Ignored" not in response["headers"]

    scanned = client.scan(TableName=table_name)["Items"]
    (hit,) = [from_dynamodb(item) for item in scanned]
    assert (hit["kind"], hit["site"], hit["path"]) == (
        "css",
        "blog.example.org",
        "/posts/hello-world/",
    )
    assert hit["cc"] == "GB"  # iptocc's native module loaded and looked the address up
    assert re.fullmatch(r"[0-9a-f]{16}", str(hit["vid"]))  # the salt was read and written
    assert "81.2.69.160" not in repr(scanned)
    (salt,) = client.scan(TableName=salts_table)["Items"]  # the day's salt, in its own table
    assert len(bytes(salt["salt"]["B"])) == 32
