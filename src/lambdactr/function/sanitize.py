"""Turning untrusted text into short, printable, valid UTF-8."""

from __future__ import annotations

import re

# C0 and C1 control characters, plus the bidi and zero-width format characters
# that can make a stored value display as something other than what it is.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")

# Every character of Unicode's categories Cc (C0 and C1 controls), Cf (format: bidi controls,
# zero-width characters, U+061C, U+2060-2064, tag characters), Zl and Zp (U+2028, U+2029), as of
# Unicode 15.1. Written out rather than built from `unicodedata` at import, which would cost the
# Lambda's cold start; a unit test checks it against `unicodedata`.
UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]+"
)

# Nothing longer than this is ever examined, so a 64 KB header costs the same as a short one.
_SCAN_LIMIT = 4096


def clean(value: str, max_bytes: int) -> str:
    """Printable, valid UTF-8, at most `max_bytes` long when encoded, cut on a character."""
    value = value[:_SCAN_LIMIT]
    # Lone surrogates (from a JSON "\udc80" or a lossy decode) are not valid UTF-8.
    value = value.encode("utf-8", "replace").decode("utf-8")
    value = _UNPRINTABLE.sub(" ", value).strip()
    return truncate_utf8(value, max_bytes)


def strip_unprintable(text: str) -> str:
    """`text` without any control, format, line- or paragraph-separator character."""
    return UNPRINTABLE.sub("", text)


def truncate_utf8(value: str, max_bytes: int) -> str:
    encoded = value.encode("utf-8")
    if len(encoded) <= max_bytes:
        return value
    return encoded[:max_bytes].decode("utf-8", "ignore")
