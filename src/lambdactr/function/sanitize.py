"""Turning untrusted text into short, printable, valid UTF-8."""

from __future__ import annotations

import re

# Control characters (C0, DEL, C1: category Cc) and the line and paragraph separators (Zl, Zp)
# become a space: they stand between words. \x1b starts the escape sequences (OSC 52, OSC 8,
# screen clears) that would act on a terminal printing the value.
_SEPARATORS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Format characters (category Cf) are dropped: bidi embeddings, overrides and isolates that make
# a value read as something it is not, the Arabic letter mark U+061C, zero-width spaces and
# joiners, invisible operators U+2060-2064, the byte-order mark, and the tag characters that
# can hide text. The list is Unicode 15.1's Cf, as in Lambda's Python 3.13; a test checks it
# against the running Python's own database.
_FORMAT_CHARACTERS = re.compile(
    "[\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]+"
)

# Nothing longer than this is ever examined, so a 64 KB header costs the same as a short one.
_SCAN_LIMIT = 4096


def clean(value: str, max_bytes: int) -> str:
    """Printable, valid UTF-8, at most `max_bytes` long when encoded, cut on a character."""
    value = value[:_SCAN_LIMIT]
    # str.isprintable() is False for every character removed below, and for lone surrogates: most
    # values pass this one C-speed test and skip the rest.
    if not value.isprintable():
        # Lone surrogates (from a JSON "\udc80" or a lossy decode) are not valid UTF-8.
        value = value.encode("utf-8", "replace").decode("utf-8")
        value = _FORMAT_CHARACTERS.sub("", _SEPARATORS.sub(" ", value))
    # Stripped again after the cut, which can end on a space.
    return truncate_utf8(value.strip(), max_bytes).rstrip()


def strip_unprintable(text: str) -> str:
    """`text` without any control, format, line- or paragraph-separator character (Cc, Cf, Zl,
    Zp), at any length: what every report renderer draws, whoever wrote the stored value."""
    return _FORMAT_CHARACTERS.sub("", _SEPARATORS.sub("", text))


def truncate_utf8(value: str, max_bytes: int) -> str:
    encoded = value.encode("utf-8")
    if len(encoded) <= max_bytes:
        return value
    return encoded[:max_bytes].decode("utf-8", "ignore")
