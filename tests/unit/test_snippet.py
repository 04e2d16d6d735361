from __future__ import annotations

import pytest

from lambdactr.cli import main
from lambdactr.snippet import badge_snippet, snippet


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


def test_snippet_tag_svg_prints_the_badge_and_its_p_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["snippet", "https://stats.example.org/", "--tag", "svg"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        '<img src="https://stats.example.org/c.svg" alt="views of this page" height="20"'
        ' referrerpolicy="no-referrer-when-downgrade">'
    )
    assert "c.css" not in out
    assert "c.gif" not in out
    assert "?p={{ page.url }}" in out
    assert '"><script>' not in badge_snippet('https://x.example/"><script>')
