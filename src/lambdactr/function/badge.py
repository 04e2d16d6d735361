"""The `/c.svg` badge: a flat, shields.io-style image with a label and the page's view count.

Pure and standard library only. Every byte of the text is XML-escaped, the label is stripped of
control and format characters, and the whole image stays under 1 KB whatever the input.
"""

from __future__ import annotations

import unicodedata

DEFAULT_LABEL = "views"
MAX_LABEL_CHARS = 24
# Shown in place of the count when DynamoDB could not give one.
NO_COUNT = "\u2013"
HEIGHT = 20
# Blank space on each side of each text, in pixels.
PADDING = 6
FONT_SIZE = 11

# Advance widths of " " to "~" at 11 px in DejaVu Sans, in tenths of a pixel. It is the widest of
# the fonts the badge names (Verdana is a little narrower), so the text never overflows its box.
_ASCII_WIDTHS = (
    35, 44, 51, 92, 70, 105, 86, 30, 43, 43, 55, 92, 35, 40, 35, 37, 70, 70, 70, 70, 70, 70, 70,
    70, 70, 70, 37, 37, 92, 92, 92, 58, 110, 75, 75, 77, 85, 70, 63, 85, 83, 32, 32, 72, 61, 95,
    82, 87, 66, 87, 76, 70, 67, 81, 75, 109, 75, 67, 75, 43, 37, 43, 92, 55, 55, 67, 70, 60, 70,
    68, 39, 70, 70, 31, 31, 64, 31, 107, 70, 67, 70, 70, 45, 57, 43, 70, 65, 90, 65, 65, 58, 70,
    37, 70, 92,
)  # fmt: skip
_FIRST_ASCII = 0x20
# Other characters: a full em for East Asian wide ones, none for combining marks, and otherwise
# the width of a capital letter, wider than most.
_WIDE = 110
_OTHER = 80
# A label longer than this is never looked at further: only 24 characters are kept anyway.
_SCAN_LIMIT = 512


def badge_label(raw: str) -> str:
    """The label to show: printable, whitespace collapsed, at most MAX_LABEL_CHARS characters."""
    # Tabs and line breaks become spaces (then collapsed). The "C" categories (control, format,
    # surrogate, private use, unassigned) can hide or reorder text, and most are not valid XML.
    kept = "".join(
        char for char in raw[:_SCAN_LIMIT] if char.isspace() or unicodedata.category(char)[0] != "C"
    )
    return " ".join(kept.split())[:MAX_LABEL_CHARS].strip() or DEFAULT_LABEL


def count_text(views: int | None) -> str:
    """The count with thousands separators, or a dash when it is unknown."""
    return NO_COUNT if views is None else f"{max(views, 0):,}"


def text_width(text: str) -> int:
    """The width of `text` at 11 px, in whole pixels, rounded up."""
    tenths = 0
    for char in text:
        code = ord(char)
        if _FIRST_ASCII <= code < _FIRST_ASCII + len(_ASCII_WIDTHS):
            tenths += _ASCII_WIDTHS[code - _FIRST_ASCII]
        elif unicodedata.combining(char):
            continue
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            tenths += _WIDE
        else:
            tenths += _OTHER
    return -(-tenths // 10)


def render_badge(label: str, views: int | None) -> str:
    """The SVG document. `label` should come from `badge_label`; it is escaped here."""
    value = count_text(views)
    label_width = text_width(label) + 2 * PADDING
    value_width = text_width(value) + 2 * PADDING
    width = label_width + value_width
    spoken = _escape(f"{label}: {value}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}"'
        f' role="img" aria-label="{spoken}"><title>{spoken}</title>'
        f'<clipPath id="r"><rect width="{width}" height="{HEIGHT}" rx="3"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{label_width}" height="{HEIGHT}" fill="#555"/>'
        f'<rect x="{label_width}" width="{value_width}" height="{HEIGHT}" fill="#007ec6"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif"'
        f' font-size="{FONT_SIZE}"><text x="{label_width / 2:g}" y="14">{_escape(label)}</text>'
        f'<text x="{label_width + value_width / 2:g}" y="14">{_escape(value)}</text></g></svg>'
    )


def _escape(text: str) -> str:
    """Safe in element text and in a double-quoted attribute."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    )
