"""What the browser gets back: an empty stylesheet, a transparent pixel or the view-count badge,
never cached."""

from __future__ import annotations

import secrets

from aws_lambda_powertools.event_handler import Response

from .hit import BeaconKind, IgnoreReason

# GIF89a, 1x1, one transparent colour: the smallest image every browser decodes.
TRANSPARENT_GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
CONTENT_TYPES: dict[BeaconKind, str] = {
    "css": "text/css; charset=utf-8",
    "gif": "image/gif",
    "svg": "image/svg+xml",
}
IGNORED_HEADER = "X-Lambdactr-Ignored"
# The badge opened on its own, as a document, may run nothing and load nothing.
BADGE_CSP = "default-src 'none'; style-src 'unsafe-inline'"

# Every view must reach the counter, so nothing may be cached, and a fresh ETag on every answer
# means a conditional request can never be answered with 304 by anything in between.
_NO_CACHE_HEADERS = {
    "Cache-Control": "no-cache, no-store, must-revalidate, max-age=0",
    "Pragma": "no-cache",
    "Expires": "0",
    "X-Content-Type-Options": "nosniff",
    # The beacon is embedded by other origins, which CORP same-origin would block.
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def beacon(
    kind: BeaconKind, *, head: bool, ignored: IgnoreReason | None = None
) -> Response[bytes | str]:
    body: bytes | str = TRANSPARENT_GIF if kind == "gif" and not head else ""
    return Response(
        status_code=200,
        content_type=CONTENT_TYPES[kind],
        body=body,
        headers=_fresh_headers(ignored),
    )


def badge(svg: str, *, head: bool, ignored: IgnoreReason | None = None) -> Response[str]:
    headers = _fresh_headers(ignored)
    headers["Content-Security-Policy"] = BADGE_CSP
    return Response(
        status_code=200,
        content_type=CONTENT_TYPES["svg"],
        body="" if head else svg,
        headers=headers,
    )


def _fresh_headers(ignored: IgnoreReason | None) -> dict[str, str]:
    headers = dict(_NO_CACHE_HEADERS)
    headers["ETag"] = f'"{secrets.token_hex(16)}"'
    if ignored:
        headers[IGNORED_HEADER] = ignored
    return headers


def not_found() -> Response[str]:
    return Response(status_code=404, content_type="text/plain; charset=utf-8", body="")
