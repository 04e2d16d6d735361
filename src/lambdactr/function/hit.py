"""From one beacon request to one hit, or to the reason it is not counted.

Everything here is pure: no clock, no randomness, no I/O. The caller supplies the time, and
adds the random key and the visitor id afterwards.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit

import iptocc

from .bots import light_bot_reason
from .config import Config
from .days import utc_day
from .hosts import host_allowed, normalize_host
from .item import FIELD_MAX_BYTES, HEADER_VALUE_MAX_BYTES, SECONDS_PER_DAY, PlainItem

# The item schema lists the headers a hit keeps; the request side reads them from here too.
from .item import KEPT_HEADERS as KEPT_HEADERS
from .sanitize import clean

BeaconKind = Literal["css", "gif", "svg"]
# Why a request is answered but not counted; the answer says so in X-Lambdactr-Ignored.
IgnoreReason = Literal["head", "dnt", "gpc", "no-page", "host", "error"]

# Never read into an item, in any form; the tests and the fuzzer check stored items against it.
NEVER_STORED_HEADERS = (
    "cookie",
    "authorization",
    "if-none-match",
    "host",
    "x-forwarded-for",
    "forwarded",
    "x-real-ip",
    "true-client-ip",
    "cf-connecting-ip",
)
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
# `label` is read by the `/c.svg` badge only.
BEACON_PARAMS = frozenset({"p", "r", "t", "label"})

# A query string longer than any real beacon URL is read only this far.
_QUERY_SCAN_LIMIT = 8192
_PAGE_QUERY_SCAN_LIMIT = 2048
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class BeaconRequest:
    kind: BeaconKind
    method: str
    raw_query: str
    # Lower-case names. The source address is used for the country and the visitor id only.
    headers: Mapping[str, str]
    source_ip: str
    time_ms: int


@dataclass(frozen=True, slots=True)
class Hit:
    # Every stored field except the random key and the visitor id.
    fields: PlainItem
    # The HMAC input for the visitor id. It holds the address, so it is never stored or logged.
    visitor_key: bytes


@dataclass(frozen=True, slots=True)
class Ignored:
    reason: IgnoreReason


def hit_from_request(request: BeaconRequest, config: Config) -> Hit | Ignored:
    if request.method == "HEAD":
        # Browsers never fetch a stylesheet or an image with HEAD; link checkers and monitors do.
        return Ignored("head")
    headers = request.headers
    if config.respect_dnt:
        if headers.get("dnt", "").strip() == "1":
            return Ignored("dnt")
        if headers.get("sec-gpc", "").strip() == "1":
            return Ignored("gpc")

    params = beacon_params(request.raw_query)
    page = resolve_page(params.get("p", ""), headers.get("referer", ""))
    if page is None:
        return Ignored("no-page")
    site = page.site
    if config.allowed_hosts and not host_allowed(site, config.allowed_hosts):
        return Ignored("host")

    fields: PlainItem = {
        "ts": request.time_ms,
        "day": utc_day(request.time_ms),
        "kind": request.kind,
        "path": page.path,
        "src": page.source,
        "ttl": request.time_ms // 1000 + config.retention_days * SECONDS_PER_DAY,
    }
    if site:
        fields["site"] = site
    ref = external_referrer(params.get("r", ""), site)
    if ref:
        fields["ref"] = ref
    fields.update(utm_fields(page.query))
    title = clean(params.get("t", ""), FIELD_MAX_BYTES["title"])
    if title:
        fields["title"] = title
    viewer_country = (
        headers.get("cloudfront-viewer-country", "") if config.trust_cloudfront_headers else ""
    )
    country = country_code(viewer_country, request.source_ip)
    if country:
        fields["cc"] = country
    lang = primary_language(headers.get("accept-language", ""))
    if lang:
        fields["lang"] = lang
    user_agent = clean(headers.get("user-agent", ""), FIELD_MAX_BYTES["ua"])
    if user_agent:
        fields["ua"] = user_agent
    kept = kept_headers(headers)
    if kept:
        fields["h"] = kept
    if is_speculative(headers):
        fields["spec"] = True

    visitor_key = "\n".join((site, request.source_ip, user_agent)).encode("utf-8", "replace")
    return Hit(fields=fields, visitor_key=visitor_key)


def counts_on_badge(hit: Hit) -> bool:
    """Whether this stored hit moves its page's badge counter: a view, by what may be a person.

    Prefetches are not (yet) views, and obvious bots must not inflate a public number; both are
    still stored, so the report sees them.
    """
    return not hit.fields.get("spec") and light_bot_reason(str(hit.fields.get("ua", ""))) is None


def counted_page(request: BeaconRequest) -> tuple[str, str] | None:
    """The (site, path) a view by this request is counted under, found as for a hit."""
    params = beacon_params(request.raw_query)
    page = resolve_page(params.get("p", ""), request.headers.get("referer", ""))
    return None if page is None else (page.site, page.path)


def beacon_params(raw_query: str) -> dict[str, str]:
    """The first value of each of p, r, t and label; the rest of the query is never decoded."""
    params: dict[str, str] = {}
    for pair in raw_query[:_QUERY_SCAN_LIMIT].split("&"):
        name, _, value = pair.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if name in BEACON_PARAMS and name not in params:
            params[name] = unquote_plus(value, errors="replace")
    return params


class Page(NamedTuple):
    site: str  # "" when only a path is known
    path: str
    query: str  # the page's own query string, read for UTM tags only
    source: Literal["p", "referer"]


def resolve_page(p: str, referer: str) -> Page | None:
    """The viewed page from `p`, else from the Referer; None when neither names one."""
    referer_url = _http_url(referer)
    referer_site = _host(referer_url.hostname) if referer_url else ""
    p = p.strip()
    if "://" in p or p.startswith("//"):
        page_url = _http_url(p)
        if page_url:
            return Page(
                _host(page_url.hostname), normalize_path(page_url.path), page_url.query, "p"
            )
    elif p:
        path, _, query = p.partition("#")[0].partition("?")
        return Page(referer_site, normalize_path(path), query, "p")
    if referer_url and referer_site:
        return Page(referer_site, normalize_path(referer_url.path), referer_url.query, "referer")
    return None


class _Url(NamedTuple):
    hostname: str
    path: str
    query: str


def _http_url(raw: str) -> _Url | None:
    raw = raw.strip()[:_QUERY_SCAN_LIMIT]
    if not raw:
        return None
    if raw.startswith("//"):
        raw = "https:" + raw
    try:
        parts = urlsplit(raw)
        hostname = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        return None
    return _Url(hostname, parts.path, parts.query)


def _host(hostname: str) -> str:
    return clean(normalize_host(hostname), FIELD_MAX_BYTES["site"])


def normalize_path(raw_path: str) -> str:
    path = clean(unquote(raw_path, errors="replace"), FIELD_MAX_BYTES["path"] - 1)
    return path if path.startswith("/") else "/" + path


def utm_fields(page_query: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    if not page_query:
        return fields
    for name, value in parse_qsl(page_query[:_PAGE_QUERY_SCAN_LIMIT], errors="replace"):
        if name in UTM_FIELDS and name not in fields:
            cleaned = clean(value, FIELD_MAX_BYTES[name])
            if cleaned:
                fields[name] = cleaned
    return fields


def external_referrer(raw: str, site: str) -> str:
    """The visitor's referrer as scheme://host/path, only when it is another site.

    The query is dropped: search terms and tokens in it can identify a person.
    """
    url = _http_url(raw)
    if url is None:
        return ""
    host = _host(url.hostname)
    if not host or host == site:
        return ""
    return clean(f"https://{host}{normalize_path(url.path)}", FIELD_MAX_BYTES["ref"])


def country_code(viewer_country: str, source_ip: str) -> str:
    """ISO 3166-1 alpha-2 country of the visitor, or "" when unknown or not public."""
    viewer_country = viewer_country.strip().upper()
    if _COUNTRY_CODE.fullmatch(viewer_country):
        return viewer_country
    try:
        address = ipaddress.ip_address(source_ip.strip())
    except ValueError:
        return ""
    if not address.is_global:
        return ""
    return iptocc.country_code(str(address)) or ""


def primary_language(accept_language: str) -> str:
    """The visitor's first preferred language tag, e.g. "en-US" from "en-US,en;q=0.9"."""
    first = accept_language[:256].split(",", 1)[0].split(";", 1)[0].strip()
    if not _LANGUAGE_TAG.fullmatch(first):
        return ""
    language, _, rest = first.partition("-")
    subtags = [language.lower()]
    for subtag in rest.split("-") if rest else ():
        subtags.append(subtag.upper() if len(subtag) == 2 else subtag.lower())
    return "-".join(subtags)[: FIELD_MAX_BYTES["lang"]]


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name in KEPT_HEADERS:
        value = headers.get(name)
        if value:
            cleaned = clean(value, HEADER_VALUE_MAX_BYTES)
            if cleaned:
                kept[name] = cleaned
    return kept


def is_speculative(headers: Mapping[str, str]) -> bool:
    """True for prefetch and prerender requests, which are not (yet) views."""
    return (
        "prefetch" in headers.get("sec-purpose", "").lower()
        or headers.get("purpose", "").strip().lower() == "prefetch"
        or headers.get("x-purpose", "").strip().lower() in ("preview", "prefetch")
        or headers.get("x-moz", "").strip().lower() == "prefetch"
    )
