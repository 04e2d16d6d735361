"""`lambdactr snippet BASE_URL`: the one tag a site owner pastes into every page.

Two tables say everything: TAG_FORMS (what each tag looks like, one entry per beacon) and
GENERATORS (how each site generator's templates write the page's path into `?p=`). A new tag
form or a new generator is one more entry; nothing else changes.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

HELP = "print the one tag to paste into every page"

# Every tag asks for the full page URL as the Referer; Chromium sends it even cross-site.
REFERRER_POLICY = 'referrerpolicy="no-referrer-when-downgrade"'
ONE_TAG_NOTE = "One tag per page: two would count each view twice."
FIREFOX_NOTE = (
    "Without ?p=, Firefox sends only your origin to a beacon on another site, so every page"
    " reads as /: use --for with your site generator, or a beacon on a subdomain of your site."
)


@dataclass(frozen=True, slots=True)
class TagForm:
    """One way to embed the beacon: its path, and the tag with `{url_attribute}` to fill in."""

    beacon: str
    html: str
    url_attribute: str


TAG_FORMS: dict[str, TagForm] = {
    # media="none": the browser fetches the stylesheet without letting it block rendering.
    "link": TagForm(
        "c.css",
        f'<link rel="stylesheet" {{url_attribute}} media="none" {REFERRER_POLICY}>',
        "href",
    ),
    "img": TagForm(
        "c.gif", f'<img {{url_attribute}} alt="" width="1" height="1" {REFERRER_POLICY}>', "src"
    ),
    # The visible badge: it counts the view like the others, and shows the page's total.
    "svg": TagForm(
        "c.svg",
        f'<img {{url_attribute}} alt="views of this page" height="20" {REFERRER_POLICY}>',
        "src",
    ),
}
DEFAULT_TAG = "link"


@dataclass(frozen=True, slots=True)
class Generator:
    """How a site generator's templates write the page's path, URL-encoded, into `?p=`.

    `expression` is the template code that renders the encoded path (None: no `p=` at all).
    `javascript` generators (Astro) take attributes as a JavaScript expression in braces, so the
    URL becomes a template literal and `expression` is JavaScript.
    """

    expression: str | None
    docs: str
    javascript: bool = False


GENERATORS: dict[str, Generator] = {
    "plain": Generator(None, ""),
    # Hugo's templates are Go html/template; urlquery escapes for a query value.
    "hugo": Generator(
        "{{ .RelPermalink | urlquery }}",
        "https://gohugo.io/methods/page/relpermalink/ https://gohugo.io/functions/urlquery/",
    ),
    # Liquid's url_encode.
    "jekyll": Generator(
        "{{ page.url | url_encode }}",
        "https://jekyllrb.com/docs/variables/ https://shopify.github.io/liquid/filters/url_encode/",
    ),
    # Nunjucks' urlencode (in a Liquid layout write `{{ page.url | url_encode }}`).
    "eleventy": Generator(
        "{{ page.url | urlencode }}",
        "https://www.11ty.dev/docs/data-eleventy-supplied/"
        " https://mozilla.github.io/nunjucks/templating.html#urlencode",
    ),
    # Tera's urlencode_strict also encodes "/".
    "zola": Generator(
        "{{ current_path | urlencode_strict }}",
        "https://www.getzola.org/documentation/templates/overview/"
        " https://keats.github.io/tera/docs/#urlencode-strict",
    ),
    "astro": Generator(
        "encodeURIComponent(Astro.url.pathname)",
        "https://docs.astro.build/en/reference/api-reference/#url",
        javascript=True,
    ),
}
DEFAULT_GENERATOR = "plain"

# What a base URL's path may hold: enough for a path prefix, nothing that needs quoting in
# HTML or in a JavaScript template literal.
_SAFE_PATH = re.compile(r"[A-Za-z0-9._~%/-]*")
_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]+")


class BaseUrlError(ValueError):
    """The base URL cannot make a working tag; the message says why."""


def base_url(raw: str) -> str:
    """The beacon's base URL, checked: absolute http(s) with a host, with no trailing beacon."""
    text = raw.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise BaseUrlError(f"{raw!r} is not a URL: {error}") from error
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        looks_like_a_host = text[:1].isalnum() and "://" not in text
        hint = f" (did you mean https://{text}?)" if looks_like_a_host else ""
        raise BaseUrlError(f"{raw!r} is not an absolute http(s) URL with a host{hint}")
    if not _HOST.fullmatch(parts.hostname):
        raise BaseUrlError(f"{raw!r}: the host must be a DNS name (punycode) or an IP address")
    if parts.username is not None or parts.password is not None:
        raise BaseUrlError(f"{raw!r} holds a user name or password; leave them out")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise BaseUrlError(f"{raw!r} has a query or a fragment; give only the beacon's base URL")
    path = parts.path.rstrip("/")
    for form in TAG_FORMS.values():
        if path.endswith("/" + form.beacon):
            path = path[: -len(form.beacon) - 1].rstrip("/")
            break
    if not _SAFE_PATH.fullmatch(path):
        raise BaseUrlError(f"{raw!r} has characters in its path that a tag cannot hold as is")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return f"{parts.scheme.lower()}://{netloc}{path}"


def snippet(raw_base_url: str, tag: str = DEFAULT_TAG, generator: str = DEFAULT_GENERATOR) -> str:
    """The one tag, for `tag` (a TAG_FORMS key) and `generator` (a GENERATORS key)."""
    form = TAG_FORMS[tag]
    how = GENERATORS[generator]
    url = f"{base_url(raw_base_url)}/{form.beacon}"
    if how.expression is None:
        attribute = f'{form.url_attribute}="{escape(url, quote=True)}"'
    elif how.javascript:
        attribute = f"{form.url_attribute}={{`{url}?p=${{{how.expression}}}`}}"
    else:
        attribute = f'{form.url_attribute}="{escape(url, quote=True)}?p={how.expression}"'
    return form.html.format(url_attribute=attribute)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base_url", help="the beacon's base URL, e.g. https://stats.example.org")
    parser.add_argument(
        "--tag",
        choices=tuple(TAG_FORMS),
        default=DEFAULT_TAG,
        help="the tag: a <link> to the stylesheet beacon (the default), an invisible <img>, or"
        " svg, the view-count badge that counts the view and shows the page's total",
    )
    parser.add_argument(
        "--for",
        dest="generator",
        choices=tuple(GENERATORS),
        default=DEFAULT_GENERATOR,
        metavar="GENERATOR",
        help="your site generator: adds the page's path as ?p= in its template syntax, right in"
        f" every browser ({', '.join(GENERATORS)}; default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        tag = snippet(args.base_url, args.tag, args.generator)
    except BaseUrlError as error:
        print(f"lambdactr snippet: {error}", file=sys.stderr)
        return 2
    # The tag alone on stdout, so that it can be redirected into a template as it is.
    print(tag)
    print(ONE_TAG_NOTE, file=sys.stderr)
    if GENERATORS[args.generator].expression is None:
        print(FIREFOX_NOTE, file=sys.stderr)
    return 0
