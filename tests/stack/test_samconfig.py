"""samconfig.toml: what `make deploy` offers, read the way the SAM CLI reads it."""

from __future__ import annotations

import tomllib
from typing import Any

from samcli.cli.types import CfnParameterOverridesType
from samcli.lib.config.samconfig import SamConfig

from tests.support.paths import ROOT
from tests.support.stack import parameter_defaults


def test_the_default_environment_deploys_the_lambdactr_stack() -> None:
    assert tomllib.loads((ROOT / "samconfig.toml").read_text())["version"] == 0.1
    deploy = SamConfig(str(ROOT)).get_all(["deploy"], "parameters", "default")
    assert deploy["stack_name"] == "lambdactr"
    assert deploy["resolve_s3"] is True
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True


def test_the_build_runs_make_in_the_project_itself() -> None:
    # A scratch copy of the project would include .venv, and make would build another one.
    build = SamConfig(str(ROOT)).get_all(["build"], "parameters", "default")
    assert build["build_in_source"] is True


def test_every_template_parameter_is_shown_at_its_default(template: dict[str, Any]) -> None:
    deploy = SamConfig(str(ROOT)).get_all(["deploy"], "parameters", "default")
    overrides = CfnParameterOverridesType().convert(
        tuple(deploy["parameter_overrides"]), None, None
    )
    assert overrides == parameter_defaults(template)
