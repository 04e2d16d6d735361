"""Checks on the HTML report that more than one test folder makes."""

from __future__ import annotations

import functools
import re

from plotly.offline import get_plotlyjs

_BANNER = re.compile(r"^\* plotly\.js v\d", re.MULTILINE)


@functools.cache
def _plotly_js() -> str:
    return str(get_plotlyjs())


def assert_plotly_js_inlined_once(html: str) -> None:
    """The page carries the whole plotly.js bundle exactly once, before any chart uses it.

    Without it the charts never draw (the file must open offline); with two copies the file
    doubles its 5 MB for nothing.
    """
    bundle = _plotly_js()
    assert html.count(bundle) == 1, "the whole plotly.js bundle is not inlined exactly once"
    assert len(_BANNER.findall(html)) == 1, "more than one plotly.js build in the page"
    assert html.index(f"<script>{bundle}</script>") < html.index("Plotly.newPlot(")


def total_shown(html: str, name: str) -> str:
    """The text of a headline total (`pageviews`, `visitors`) as the page shows it."""
    found = re.findall(rf"<b id='{name}'>([^<]*)</b>", html)
    assert len(found) == 1, f"{name}: {found}"
    return str(found[0])
