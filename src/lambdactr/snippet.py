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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base_url", help="the beacon's base URL, e.g. https://stats.example.org")


def run(args: argparse.Namespace) -> int:
    print(snippet(args.base_url) + NOTE, end="")
    return 0
