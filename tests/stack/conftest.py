"""The stack as AWS would get it: template.yaml, its CloudFormation transform, and `sam build`.

Everything here works offline: samtranslator transforms the template in-process, and the builds
need only PyPI. Each build goes to its own temporary directory, never to the developer's .aws-sam.
"""

from __future__ import annotations

import copy
import platform
import sys
from pathlib import Path
from typing import Any

import pytest
from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

from tests.support.paths import TEMPLATE
from tests.support.stack import FUNCTION_ID, SUMMARY, run_tool, tool


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.write_sep("-", "lambdactr Lambda artifact")
        for line in SUMMARY:
            terminalreporter.write_line(line)


class _NoManagedPolicies:
    """The function's role is written out in full; a managed policy lookup means it is not."""

    def load(self) -> dict[str, str]:
        raise AssertionError("the template asks SAM for a managed policy")


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    parsed: dict[str, Any] = yaml_parse(TEMPLATE.read_text())
    return parsed


@pytest.fixture(scope="session")
def transformed(template: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation that the AWS::Serverless transform makes of template.yaml."""
    sam_template = copy.deepcopy(template)
    # The translator wants the code in S3, where `sam deploy` puts it; the path is irrelevant here.
    sam_template["Resources"][FUNCTION_ID]["Properties"]["CodeUri"] = "s3://bucket/key"
    result: dict[str, Any] = transform(sam_template, {}, _NoManagedPolicies())
    return result


def sam_build(build_root: Path, **make_variables: str) -> Path:
    """`sam build` into build_root; returns the function's artifact directory.

    sam passes its environment on to make, so make variables (LAMBDA_PLATFORM) can be set here.
    """
    run_tool(
        tool("sam"),
        "build",
        "--template",
        str(TEMPLATE),
        "--build-in-source",
        "--build-dir",
        str(build_root / "build"),
        "--cache-dir",
        str(build_root / "cache"),
        env=make_variables,
        timeout=900,
    )
    artifact = build_root / "build" / FUNCTION_ID
    assert (artifact / "lambdactr" / "function" / "app.py").is_file(), f"no handler in {artifact}"
    return artifact


@pytest.fixture(scope="session")
def arm64_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The artifact exactly as `sam build` makes it for AWS (arm64, python3.13)."""
    return sam_build(tmp_path_factory.mktemp("sam-arm64"))


@pytest.fixture(scope="session")
def native_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same artifact built for this machine, so that its native wheels load here."""
    return sam_build(
        tmp_path_factory.mktemp("sam-native"),
        LAMBDA_PLATFORM=f"manylinux2014_{platform.machine()}",
        LAMBDA_PYTHON_VERSION=f"{sys.version_info.major}.{sys.version_info.minor}",
    )
