"""The stack as AWS gets it: template.yaml read and evaluated, and the tools that check it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.paths import FUNCTION_PACKAGE, ROOT

FUNCTION_ID = "BeaconFunction"
STACK_NAME = "lambdactr"

# Lines for the end of the run: the artifact's size is worth seeing on every `make test`.
SUMMARY: list[str] = []


def tool(name: str) -> str:
    """A command installed beside this interpreter: the project's .venv has sam and cfn-lint."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in {path.parent}: run `make install`")
    return str(path)


def run_tool(*command: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> str:
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output}"
    return output


SHA256 = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def makefile_variable(name: str) -> list[str]:
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{name}\s*:?=\s*(.*)$", text, re.MULTILINE)
    assert match, f"{name} is not set in the Makefile"
    return match.group(1).split()


def makefile_recipe(target: str) -> str:
    """The recipe of `target`, its continued lines joined."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n|#.*\n)+)", text, re.MULTILINE)
    assert match, f"no recipe for {target} in the Makefile"
    return match.group(1)


def locked_requirements() -> dict[str, tuple[Requirement, list[str]]]:
    """requirements-lambda.txt: each distribution's requirement and its hashes."""
    (lock_name,) = makefile_variable("LAMBDA_LOCK")
    text = (ROOT / lock_name).read_text().replace("\\\n", " ")
    locked: dict[str, tuple[Requirement, list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        specification, *options = line.split()
        requirement = Requirement(specification)
        assert all(SHA256.fullmatch(option) for option in options), line
        locked[canonicalize_name(requirement.name)] = (requirement, options)
    return locked


def function_package_files() -> set[str]:
    """The shipped Lambda's source files, relative to src/: the folder is the artifact."""
    return {
        path.relative_to(FUNCTION_PACKAGE.parent.parent).as_posix()
        for path in FUNCTION_PACKAGE.rglob("*.py")
    }


def resources_of_type(cloudformation: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in cloudformation["Resources"].items()
        if resource["Type"] == kind
    }


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    """Parameter values as CloudFormation passes them around: always strings."""
    return {name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()}


def resolve(value: Any, parameters: Mapping[str, str]) -> Any:
    """Resolve the intrinsics the environment uses: Refs to parameters and to the table."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if name in parameters:
            return parameters[name]
        if name == "HitsTable":
            return f"{STACK_NAME}-hits"
        if name == "SaltsTable":
            return f"{STACK_NAME}-salts"
        raise AssertionError(f"cannot resolve Ref {name}")
    return value


def condition_holds(template: dict[str, Any], name: str, parameters: Mapping[str, str]) -> bool:
    """Evaluate one of the template's Conditions for the given parameter values."""
    return holds(template, template["Conditions"][name], parameters)


def holds(template: dict[str, Any], expression: Any, parameters: Mapping[str, str]) -> bool:
    """Evaluate a condition expression (as in Conditions or Rules) for these parameter values."""
    values = {**parameter_defaults(template), **parameters}

    def evaluate(expression: Any) -> Any:
        if isinstance(expression, dict) and len(expression) == 1:
            ((function, argument),) = expression.items()
            if function == "Ref":
                return values[argument]
            if function == "Condition":
                return condition_holds(template, argument, parameters)
            if function == "Fn::Equals":
                left, right = (str(evaluate(side)) for side in argument)
                return left == right
            if function == "Fn::Not":
                return not evaluate(argument[0])
            if function == "Fn::And":
                return all(evaluate(part) for part in argument)
            if function == "Fn::Or":
                return any(evaluate(part) for part in argument)
            raise AssertionError(f"unexpected {function} in a condition")
        return expression

    return bool(evaluate(expression))
