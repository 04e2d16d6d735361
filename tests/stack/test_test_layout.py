"""The test folders keep to their layout: helpers come from tests/support, nowhere else."""

from __future__ import annotations

import ast

from tests.support.paths import ROOT

TESTS = ROOT / "tests"


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(level, module) of every import: level > 0 for a relative one."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
        elif isinstance(node, ast.Import):
            found.extend((0, alias.name) for alias in node.names)
    return found


def test_test_modules_import_helpers_only_from_tests_support() -> None:
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        if TESTS / "support" in path.parents:
            continue
        for level, module in imported_modules(path.read_text()):
            top = module.split(".")[0]
            if (
                level
                or top == "benchmarks"
                or (
                    top == "tests"
                    and module != "tests.support"
                    and not module.startswith("tests.support.")
                )
            ):
                wrong.append(f"{path.relative_to(ROOT)}: {'.' * level}{module}")
    assert wrong == []
