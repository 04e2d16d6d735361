from __future__ import annotations

import pytest

from lambdactr.cli import main
from lambdactr.snippet import snippet


def test_snippet_has_both_tags_with_the_referrer_policy() -> None:
    tags = snippet("https://stats.example.org/").splitlines()
    assert tags == [
        '<link rel="stylesheet" href="https://stats.example.org/c.css" media="none"'
        ' referrerpolicy="no-referrer-when-downgrade">',
        '<img src="https://stats.example.org/c.gif" alt="" width="1" height="1"'
        ' referrerpolicy="no-referrer-when-downgrade">',
    ]


def test_snippet_escapes_the_url() -> None:
    assert '"><script>' not in snippet('https://x.example/"><script>')


def test_snippet_command_prints_tags_and_the_p_note(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snippet", "http://127.0.0.1:3000"]) == 0
    out = capsys.readouterr().out
    assert 'href="http://127.0.0.1:3000/c.css"' in out
    assert "?p={{ page.url }}" in out
