"""Turning untrusted text into short, printable, valid UTF-8."""

from __future__ import annotations

import re

# C0 and C1 control characters, plus the bidi and zero-width format characters
# that can make a stored value display as something other than what it is.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")

# Nothing longer than this is ever examined, so a 64 KB header costs the same as a short one.
_SCAN_LIMIT = 4096


def clean(value: str, max_bytes: int) -> str:
    """Printable, valid UTF-8, at most `max_bytes` long when encoded, cut on a character."""
    value = value[:_SCAN_LIMIT]
    # Lone surrogates (from a JSON "\udc80" or a lossy decode) are not valid UTF-8.
    value = value.encode("utf-8", "replace").decode("utf-8")
    value = _UNPRINTABLE.sub(" ", value).strip()
    return truncate_utf8(value, max_bytes)


def truncate_utf8(value: str, max_bytes: int) -> str:
    encoded = value.encode("utf-8")
    if len(encoded) <= max_bytes:
        return value
    return encoded[:max_bytes].decode("utf-8", "ignore")
