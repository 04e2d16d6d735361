"""The Makefile's build target ships what pyproject.toml says the Lambda is made of."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement

from .conftest import ROOT, lambda_path_modules

# Powertools and iptocc; boto3 and botocore come with the runtime.
LAMBDA_DISTRIBUTIONS = {"aws-lambda-powertools", "iptocc"}


def makefile_variable(name: str) -> list[str]:
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{name}\s*:?=\s*(.*)$", text, re.MULTILINE)
    assert match, f"{name} is not set in the Makefile"
    return match.group(1).split()


def test_the_lambda_gets_the_runtime_dependencies_pyproject_pins() -> None:
    shipped = {
        Requirement(spec).name: Requirement(spec)
        for spec in makefile_variable("LAMBDA_REQUIREMENTS")
    }
    assert set(shipped) == LAMBDA_DISTRIBUTIONS
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = {
        Requirement(spec).name: Requirement(spec) for spec in pyproject["project"]["dependencies"]
    }
    for name, requirement in shipped.items():
        # The tests run against pyproject's bounds; the artifact must not drift from them.
        assert requirement.specifier == declared[name].specifier, name


def test_the_build_copies_exactly_the_modules_of_the_lambda_path() -> None:
    modules = {f"{module}.py" for module in makefile_variable("LAMBDA_MODULES")}
    assert modules == lambda_path_modules()
    assert all((ROOT / "src" / "lambdactr" / module).is_file() for module in modules)
