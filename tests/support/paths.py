"""Where the repository's files are, for tests that read them."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVENTS_DIR = ROOT / "events"
TEMPLATE = ROOT / "template.yaml"
FUNCTION_PACKAGE = ROOT / "src" / "lambdactr" / "function"
