"""The Makefile's build target ships the function folder, with the dependencies pyproject pins."""

from __future__ import annotations

import re
import subprocess
import tomllib

from packaging.requirements import Requirement

from .conftest import FUNCTION_PACKAGE, ROOT

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


def test_the_build_and_the_import_contract_name_the_same_one_folder() -> None:
    (package,) = makefile_variable("LAMBDA_PACKAGE")
    assert ROOT / package == FUNCTION_PACKAGE
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = pyproject["tool"]["importlinter"]["contracts"]
    assert contract["source_modules"] == ["lambdactr.function"]
    # Every other module of lambdactr, present and future, is out of the function's reach.
    assert "lambdactr.*" in contract["forbidden_modules"]


def make_dry_run(*arguments: str) -> list[str]:
    """The commands `make -n` would run, without the install step's."""
    finished = subprocess.run(
        ["make", "-n", "--no-print-directory", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [line for line in finished.stdout.splitlines() if "lambdactr " in line or "sam " in line]


def test_everyday_targets_pass_their_arguments_through() -> None:
    assert make_dry_run("serve", "ARGS=--port 3100 --db-port 8100")[-1].endswith(
        "lambdactr serve --port 3100 --db-port 8100"
    )
    # `make report` reads the local table, as `make serve` keeps it.
    assert make_dry_run("report", "ARGS=--since 7d")[-1].endswith(
        "lambdactr report --local --since 7d"
    )
    snippet = make_dry_run("snippet", "URL=https://stats.example.org", "FOR=hugo")[-1]
    assert snippet.split()[-4:] == ["snippet", "'https://stats.example.org'", "--for", "hugo"]
    assert make_dry_run("logs")[-1].endswith(
        "sam logs --stack-name lambdactr --name BeaconFunction --tail"
    )
