"""clean(): what the handler stores is printable, valid UTF-8, and can act on no terminal."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdactr.function import sanitize
from lambdactr.function.sanitize import clean

# Control characters (C0, DEL, C1), format characters (bidi controls, zero-width and invisible
# characters, tags) and the line and paragraph separators.
STRIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
STRIPPED = [
    chr(code)
    for code in range(sys.maxunicode + 1)
    if unicodedata.category(chr(code)) in STRIPPED_CATEGORIES
]


def stripped_characters(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in STRIPPED_CATEGORIES]


def test_every_control_format_and_separator_character_is_stripped() -> None:
    # Each one inside a value, as it would be hidden in a title or a user agent.
    for character in STRIPPED:
        assert clean(f"a{character}b", 64) in ("ab", "a b"), f"U+{ord(character):04X}"


def test_nothing_else_is_stripped() -> None:
    # The lists in sanitize.py are Unicode 15.1's (Lambda's Python 3.13). A character they hold
    # is one of those categories here too, or not yet assigned in this Python's Unicode.
    every_character = "".join(chr(code) for code in range(sys.maxunicode + 1))
    for pattern in (sanitize._SEPARATORS, sanitize._FORMAT_CHARACTERS):
        for character in "".join(pattern.findall(every_character)):
            category = unicodedata.category(character)
            assert category in {*STRIPPED_CATEGORIES, "Cn"}, f"U+{ord(character):04X} {category}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b]52;c;ZXZpbA==\x07Title", "]52;c;ZXZpbA== Title"),  # OSC 52: clipboard write
        # OSC 8: a live link
        ("\x1b]8;;https://x.example\x1b\\US\x1b]8;;\x1b\\", "]8;;https://x.example \\US ]8;; \\"),
        ("\x1b[2J\x1b[HPage", "[2J [HPage"),  # screen clear
        ("\x9b31mred", "31mred"),  # the one-byte CSI of C1
        ("abc\u202egnp.exe", "abcgnp.exe"),  # right-to-left override
        ("\u2066x\u2069 \u061cy", "x y"),  # isolates, Arabic letter mark
        ("a\u2060\u2061\u2062\u2063\u2064b", "ab"),  # word joiner, invisible operators
        ("hidden\U000e0041\U000e0042\U000e007f", "hidden"),  # tag characters
        ("one\u2028two\u2029three", "one two three"),
        ("\ufeffbom\u200b", "bom"),
        ("Grüße, 中文 😀 — ok", "Grüße, 中文 😀 — ok"),
        ("  padded\t", "padded"),
    ],
)
def test_examples(raw: str, expected: str) -> None:
    assert clean(raw, 256) == expected


@given(st.text(max_size=300), st.integers(min_value=1, max_value=300))
def test_any_text_becomes_short_printable_utf8(raw: str, max_bytes: int) -> None:
    cleaned = clean(raw, max_bytes)
    assert len(cleaned.encode("utf-8")) <= max_bytes
    assert stripped_characters(cleaned) == []
    assert cleaned == cleaned.strip()


@given(st.text(alphabet=st.sampled_from(["a", "é", " ", "\udc80", *STRIPPED[::7]]), max_size=80))
def test_hostile_text_keeps_no_stripped_character(raw: str) -> None:
    assert stripped_characters(clean(raw, 1024)) == []
