"""No stored byte takes over the operator's terminal or spreadsheet.

Items need not come from today's handler: replayed ones, older versions, anyone with access to
the table. Here they hold escape sequences (a screen clear, an OSC 52 clipboard write, an OSC 8
link, a C1 CSI), rich markup, bidi controls, line separators and tag characters, and every
format must show them as harmless text.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from lambdactr.cli import main
from lambdactr.function.item import PlainItem
from tests.support.hits import hit
from tests.support.tables import HitsTable, create_hits_table

# moto's server keeps its tables per process: a name of this module's own.
TERMINAL_TABLE = "lambdactr-terminal-hits"
RANGE = ["--since", "2026-11-01", "--until", "2026-11-30"]
CLEAR_SCREEN = "\x1b[2J\x1b[H"
CLIPBOARD = "\x1b]52;c;SGFja2Vk\x07"
LINK = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
C1_CSI = "\x9b31m"
MARKUP = "[link=https://evil.example/]US[/link][bold red]x[/]"
BIDI = "\u202egnp.exe\u202c\u2066\u061c\u200f"
SEPARATORS = "one\u2028two\u2029three\x85four"
TAGS = "\U000e0041\U000e0042\u2060\u2064\ufeff\u00ad"
PAYLOADS = (CLEAR_SCREEN, CLIPBOARD, LINK, C1_CSI, MARKUP, BIDI, SEPARATORS, TAGS)
PAYLOAD = "".join(PAYLOADS)
# What must never reach any output: escape and C1 controls, format characters, separators.
RAW = re.compile(
    "[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\U000e0000-\U000e007f]"
)


def hostile_items() -> list[PlainItem]:
    return [
        hit(
            vid="a",
            path="/" + PAYLOAD,
            utm_campaign=PAYLOAD,
            ref="https://news.example/" + PAYLOAD,
            cc=MARKUP,
            lang=CLIPBOARD + "en",
        ),
        hit(vid="b", path="/plain/", utm_campaign=";=2*21;", cc="DE"),
        hit(vid="c", path="/tab/", utm_campaign="x\t=HYPERLINK(1)", kind="gif"),
    ]


@pytest.fixture
def hostile(hits_table: HitsTable) -> HitsTable:
    hits_table.put(*hostile_items())
    return hits_table


def render(output_format: str, table: HitsTable, tmp_path: Path) -> str:
    target = tmp_path / f"report.{output_format}"
    args = ["report", "--table", table.name, *RANGE, "--format", output_format, "-o", str(target)]
    assert main(args) == 0
    return target.read_text(encoding="utf-8")


@pytest.mark.parametrize("output_format", ["json", "csv", "html", "table"])
def test_no_control_or_format_character_reaches_any_format(
    hostile: HitsTable, output_format: str, tmp_path: Path
) -> None:
    text = render(output_format, hostile, tmp_path)
    if output_format == "html":
        text = without_plotly_library(text)
    assert not RAW.search(text), repr(RAW.search(text))
    # What was around the controls is still there, as text.
    assert "SGFja2Vk" in text
    assert "gnp.exe" in text


def without_plotly_library(html: str) -> str:
    """The page less the inlined plotly.js, whose minified code holds control characters."""
    scripts = re.findall(r"<script[^>]*>.*?</script>", html, flags=re.DOTALL)
    library = max(scripts, key=len)
    assert len(library) > 1_000_000
    return html.replace(library, "")


def test_json_keeps_the_text_without_the_controls(hostile: HitsTable, tmp_path: Path) -> None:
    data = json.loads(render("json", hostile, tmp_path))
    campaigns = {row["campaign"] for row in data["campaigns"]}
    # Only the control and format characters go: the printable rest is kept as it was.
    assert any(name.startswith("[2J[H]52;c;SGFja2Vk]8;;https://evil") for name in campaigns)
    assert not RAW.search(json.dumps(data, ensure_ascii=False))


def test_csv_makes_formulas_inert_after_a_semicolon_or_a_tab(
    hostile: HitsTable, tmp_path: Path
) -> None:
    rows = list(csv.reader(io.StringIO(render("csv", hostile, tmp_path))))
    campaigns = {row[1] for row in rows if row[0] == "campaigns"}
    assert ";'=2*21;" in campaigns
    # The tab is stripped with the other controls, so no spreadsheet splits the cell there.
    assert "x=HYPERLINK(1)" in campaigns
    # Split on `;`, as LibreOffice does with that separator: no piece is a formula.
    for row in rows:
        for cell in row:
            for piece in re.split("[;\t]", cell):
                assert not piece.startswith(("=", "+", "-", "@")), (cell, piece)


def test_the_table_under_a_terminal_shows_markup_as_text_and_runs_no_escape(
    moto_endpoint: str, tmp_path: Path
) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_endpoint)
    create_hits_table(client, TERMINAL_TABLE)
    HitsTable(client, TERMINAL_TABLE).put(*hostile_items())

    output = run_in_terminal(
        [
            sys.executable,
            "-m",
            "lambdactr.cli",
            "report",
            "--endpoint-url",
            moto_endpoint,
            "--table",
            TERMINAL_TABLE,
            *RANGE,
        ],
        tmp_path,
    )

    # rich colours the table (so it did see a terminal), and that is the only escape: SGR.
    assert "\x1b[" in output
    outside_sgr = re.sub(r"\x1b\[[0-9;]*m", "", output)
    assert "\x1b" not in outside_sgr
    assert not RAW.search(outside_sgr), repr(RAW.search(outside_sgr))
    # The markup is shown as it was written, not turned into a link or a style.
    plain = re.sub(r"\s+", "", outside_sgr)
    assert "[link=https://evil.example/]US[/link]" in plain


def run_in_terminal(command: list[str], cwd: Path) -> str:
    """Run `command` with a pseudo-terminal as its stdout and stderr; return all it wrote."""
    import pty

    controller, terminal = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "400", "LINES": "50"}
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, cwd=cwd, env=env
    )
    os.close(terminal)
    chunks: list[bytes] = []
    try:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(controller)
        assert process.wait(timeout=120) == 0, b"".join(chunks).decode("utf-8", "replace")
    return b"".join(chunks).decode("utf-8", "replace")
