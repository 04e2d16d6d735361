"""The Makefile's build target ships the function folder, with the dependencies pyproject pins,
locked with hashes."""

from __future__ import annotations

import subprocess
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.paths import FUNCTION_PACKAGE, ROOT
from tests.support.stack import locked_requirements, makefile_recipe, makefile_variable

# Powertools and iptocc; boto3 and botocore come with the runtime.
LAMBDA_DISTRIBUTIONS = {"aws-lambda-powertools", "iptocc"}


def lambda_requirements() -> dict[str, Requirement]:
    return {
        canonicalize_name(Requirement(spec).name): Requirement(spec)
        for spec in makefile_variable("LAMBDA_REQUIREMENTS")
    }


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


def test_the_lock_pins_every_distribution_with_hashes_within_the_requirements() -> None:
    locked = locked_requirements()
    assert set(lambda_requirements()) <= set(locked)
    for name, (requirement, hashes) in locked.items():
        (pin,) = requirement.specifier
        assert pin.operator == "==", f"{name} is not pinned"
        assert hashes, f"{name} has no hash"
        wanted = lambda_requirements().get(name)
        if wanted is not None:
            assert wanted.specifier.contains(pin.version), f"{name} {pin.version} vs {wanted}"


def test_the_build_installs_only_the_locked_files() -> None:
    recipe = makefile_recipe("build-BeaconFunction")
    (lock_name,) = makefile_variable("LAMBDA_LOCK")
    install = next(line for line in recipe.splitlines() if " install " in line)
    assert "--require-hashes" in install.split()
    assert "-r $(LAMBDA_LOCK)" in install
    assert "--only-binary=:all:" in install.split()
    # Nothing beside the lock: a requirement named on the command line would go unchecked.
    assert "LAMBDA_REQUIREMENTS" not in install
    refresh = makefile_recipe("lambda-requirements")
    assert "--generate-hashes" in refresh
    assert "$(LAMBDA_REQUIREMENTS)" in refresh
    assert "$(LAMBDA_LOCK)" in refresh
    assert lock_name == "requirements-lambda.txt"


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
