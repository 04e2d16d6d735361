"""Reading the `/c.svg` badge the way a browser and a screen reader do: as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Badge:
    label: str
    count: str
    width: int
    # What a screen reader announces: the aria-label, which the <title> repeats.
    spoken: str
    title: str


def read_badge(svg: str | bytes) -> Badge:
    """Parse the badge; fails the test unless it is well-formed SVG with two texts."""
    # The counter's own answer, in a test: no entity tricks to defend against.
    root = ElementTree.fromstring(svg)  # noqa: S314
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    texts = [text.text or "" for text in root.iter(f"{SVG}text")]
    assert len(texts) == 2, texts
    title = root.find(f"{SVG}title")
    assert title is not None
    return Badge(
        label=texts[0],
        count=texts[1],
        width=int(root.get("width", "0")),
        spoken=root.get("aria-label", ""),
        title=title.text or "",
    )
