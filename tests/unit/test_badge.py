"""The badge image: well-formed, escaped, sized to its text, and always under 1 KB."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from lambdactr.function.badge import (
    DEFAULT_LABEL,
    MAX_LABEL_CHARS,
    NO_COUNT,
    badge_label,
    render_badge,
    text_width,
)
from tests.support.badge import read_badge

# DynamoDB numbers hold up to 38 digits; far beyond any page's views, but the bound must hold.
LARGEST_COUNT = 10**38 - 1


def test_the_badge_shows_the_label_and_the_count_with_thousands_separators() -> None:
    badge = read_badge(render_badge("views", 1_234_567))
    assert (badge.label, badge.count) == ("views", "1,234,567")
    assert badge.spoken == badge.title == "views: 1,234,567"


def test_an_unknown_count_is_a_dash() -> None:
    badge = read_badge(render_badge("views", None))
    assert badge.count == NO_COUNT == "\u2013"
    assert badge.spoken == "views: \u2013"


def test_markup_in_the_label_is_text_not_markup() -> None:
    label = badge_label("<b>&amp;\"'</b>")
    svg = render_badge(label, 3)
    badge = read_badge(svg)
    assert badge.label == label == "<b>&amp;\"'</b>"
    assert badge.spoken == f"{label}: 3"
    assert "<b>" not in svg
    assert "&amp;amp;" in svg


def test_the_label_loses_control_and_format_characters_and_keeps_24() -> None:
    assert badge_label("pa\x00ge\u202e vi\u200bews\r\n\t!") == "page views !"
    assert badge_label("\u2028line\u2029break\ufeff") == "line break"
    assert badge_label("x" * 100) == "x" * MAX_LABEL_CHARS
    assert badge_label("Lesungen 📖 中文") == "Lesungen 📖 中文"


def test_an_empty_or_invisible_label_is_the_default() -> None:
    assert badge_label("") == DEFAULT_LABEL
    assert badge_label(" \u200b\u202e\x00 ") == DEFAULT_LABEL


def test_widths_grow_with_the_text() -> None:
    widths = [read_badge(render_badge("views", n)).width for n in (7, 1_234, 1_234_567)]
    assert widths == sorted(widths)
    assert len(set(widths)) == 3
    assert read_badge(render_badge("page views", 7)).width > widths[0]
    # Every digit is as wide as every other, so the badge does not jitter as the count rises.
    assert len({text_width(str(d)) for d in range(10)}) == 1
    # Wide (East Asian) characters take more room than narrow ones.
    assert text_width("中中") > text_width("ab")
    assert text_width("e\u0301") == text_width("e")


def test_the_count_box_fits_its_text() -> None:
    for count in (7, 1_234_567, LARGEST_COUNT):
        svg = render_badge("views", count)
        text = f"{count:,}"
        # The second rect is the count's box: its width holds the text and its padding.
        box = svg.split('<rect x="', 1)[1].split('width="', 1)[1].split('"', 1)[0]
        assert int(box) >= text_width(text) + 2


labels = st.text(st.characters(codec="utf-8"), max_size=200)
counts = st.one_of(st.none(), st.integers(min_value=0, max_value=LARGEST_COUNT))


@given(labels, counts)
def test_any_label_and_count_give_well_formed_svg_under_1_kb(raw: str, views: int | None) -> None:
    label = badge_label(raw)
    svg = render_badge(label, views)
    assert len(svg.encode("utf-8")) < 1024
    badge = read_badge(svg)
    assert badge.label == label
    assert badge.count == (NO_COUNT if views is None else f"{views:,}")
    assert 1 <= len(label) <= MAX_LABEL_CHARS
    assert not any(unicodedata.category(char) in ("Cc", "Cf") for char in label)
