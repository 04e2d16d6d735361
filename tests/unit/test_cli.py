"""The `lambdactr` command itself."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from lambdactr.cli import main


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"lambdactr {version('lambdactr')}\n"
