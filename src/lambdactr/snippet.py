"""`lambdactr snippet BASE_URL`: the tags a site owner pastes into every page."""

from __future__ import annotations

import argparse
from html import escape

HELP = "print the tags to paste into your pages"


def snippet(base_url: str) -> str:
    base = escape(base_url.rstrip("/"), quote=True)
    return (
        f'<link rel="stylesheet" href="{base}/c.css" media="none"'
        ' referrerpolicy="no-referrer-when-downgrade">\n'
        f'<img src="{base}/c.gif" alt="" width="1" height="1"'
        ' referrerpolicy="no-referrer-when-downgrade">\n'
    )


NOTE = (
    "<!-- One tag is enough. Static-site templates can add the page's path so every browser\n"
    '     reports it, e.g. href="…/c.css?p={{ page.url }}": Firefox sends only your origin to a\n'
    "     beacon on another site. -->\n"
)


# The `/c.svg` badge: it counts the view like the other tags, and shows the page's count.
BADGE_ALT = "views of this page"
BADGE_NOTE = (
    "<!-- The badge counts the view too: use it instead of the CSS or GIF tag, not beside it.\n"
    '     Add the page\'s path from your templates, e.g. src="…/c.svg?p={{ page.url }}", and\n'
    '     ?label= to rename it ("views" by default): without ?p=, Firefox sends only your\n'
    "     origin to a beacon on another site, and every page would show the count of /. -->\n"
)


def badge_snippet(base_url: str) -> str:
    base = escape(base_url.rstrip("/"), quote=True)
    return (
        f'<img src="{base}/c.svg" alt="{BADGE_ALT}" height="20"'
        ' referrerpolicy="no-referrer-when-downgrade">\n'
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base_url", help="the beacon's base URL, e.g. https://stats.example.org")
    parser.add_argument(
        "--tag",
        choices=("svg",),
        help="svg: the view-count badge, an <img> that counts the view and shows the total",
    )


def run(args: argparse.Namespace) -> int:
    if args.tag == "svg":
        print(badge_snippet(args.base_url) + BADGE_NOTE, end="")
        return 0
    print(snippet(args.base_url) + NOTE, end="")
    return 0
