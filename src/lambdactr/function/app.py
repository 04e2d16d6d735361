"""The Lambda handler: route the request, count the hit, always answer with the beacon or badge."""

from __future__ import annotations

import secrets
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from . import beacon
from .badge import DEFAULT_LABEL, badge_label, render_badge
from .config import Config
from .hit import (
    BeaconKind,
    BeaconRequest,
    Hit,
    Ignored,
    IgnoreReason,
    beacon_params,
    counted_page,
    counts_on_badge,
    hit_from_request,
)
from .item import UNSAVED_KEY, UNSAVED_MESSAGE, PlainItem, fit
from .privacy import SaltKeeper, SaltStore, visitor_id
from .store import WORST_CALL_SECONDS, Store, make_client

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# A 404 has no metric to publish; that is expected, not a warning worth a log line.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service="lambdactr")
metrics = Metrics(namespace="Lambdactr", service="lambdactr")
resolver = APIGatewayHttpResolver()


def report_salt_failure(error: Exception) -> None:
    # ERROR, not WARNING: it is said once per container, and must pass the stack's WARN filter
    # whatever Lambda makes of Python's "WARNING" level name.
    logger.error(
        "daily salt unavailable; hits are stored without a visitor id", extra={"error": repr(error)}
    )


@dataclass(frozen=True, slots=True)
class Collaborators:
    """Everything the handler talks to, built once per container and swapped whole by tests."""

    config: Config
    store: Store
    salts: SaltKeeper

    @classmethod
    def over(
        cls,
        config: Config,
        store: Store,
        *,
        salt_store: SaltStore | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
    ) -> Collaborators:
        """The set for `store`, with an empty salt cache of its own, as in a new container."""
        keeper = SaltKeeper(salt_store or store, report_salt_failure, monotonic, clock)
        return cls(config, store, keeper)

    @classmethod
    def from_environment(cls) -> Collaborators:
        config = Config.from_env()
        return cls.over(config, Store(config.table_name, make_client(), config.salts_table_name))


# At cold start, once: the client alone is a large part of it.
collaborators = Collaborators.from_environment()

# A timeEpoch outside these bounds is not from API Gateway; the clock is used instead.
_EARLIEST_MS = 1_500_000_000_000
_LATEST_MS = 4_000_000_000_000
# A request not counted for these reasons still names a page, whose badge shows its count.
_BADGE_READS_WHEN_IGNORED: frozenset[IgnoreReason] = frozenset({"dnt", "gpc", "host"})


# Powertools reads a route as a regular expression: unescaped, the dot would also match /c-css.
@resolver.route(r"/c\.css", method=["GET", "HEAD"])
def css_beacon() -> Response[Any]:
    return _count("css")


@resolver.route(r"/c\.gif", method=["GET", "HEAD"])
def gif_beacon() -> Response[Any]:
    return _count("gif")


@resolver.route(r"/c\.svg", method=["GET", "HEAD"])
def svg_badge() -> Response[Any]:
    return _count("svg")


@resolver.not_found
def unknown_route(_: Exception) -> Response[Any]:
    return beacon.not_found()


def _count(kind: BeaconKind) -> Response[Any]:
    head = resolver.current_event.request_context.http.method == "HEAD"
    deps = collaborators
    request: BeaconRequest | None = None
    try:
        request = _beacon_request(kind, resolver.current_event.raw_event)
        outcome = hit_from_request(request, deps.config)
    except Exception:
        # A bug must never cost the visitor the page's look, nor show them a 5xx.
        logger.exception("could not read the request")
        outcome = Ignored("error")
    if isinstance(outcome, Ignored):
        metrics.add_metric(name="Ignored", unit=MetricUnit.Count, value=1)
        metrics.add_metadata(key="reason", value=outcome.reason)
        if kind == "svg":
            return _badge(request, outcome, stored=False, deps=deps, head=head)
        return beacon.beacon(kind, head=head, ignored=outcome.reason)
    stored = _save(outcome, deps)
    if kind == "svg":
        return _badge(request, outcome, stored=stored, deps=deps, head=head)
    return beacon.beacon(kind, head=head)


def _badge(
    request: BeaconRequest | None,
    outcome: Hit | Ignored,
    *,
    stored: bool,
    deps: Collaborators,
    head: bool,
) -> Response[str]:
    ignored = outcome.reason if isinstance(outcome, Ignored) else None
    if head:
        # A HEAD answer has no body to show a count in, so the counter is not even read.
        return beacon.badge("", head=True, ignored=ignored)
    try:
        label = badge_label(beacon_params(request.raw_query).get("label", "")) if request else ""
        svg = render_badge(label or DEFAULT_LABEL, _views(request, outcome, stored, deps))
    except Exception:
        logger.exception("could not draw the badge")
        svg = render_badge(DEFAULT_LABEL, None)
    return beacon.badge(svg, head=False, ignored=ignored)


def _views(
    request: BeaconRequest | None, outcome: Hit | Ignored, stored: bool, deps: Collaborators
) -> int | None:
    """The count the badge shows, the view just made included; None when it cannot be known.

    Only a stored, non-speculative hit by what may be a browser moves the counter. A hit that
    could not be stored moves nothing: replay restores the hit, never the count, so the badge
    stays behind the report by that many views.
    """
    if isinstance(outcome, Hit):
        if not stored:
            return None
        site, path = str(outcome.fields.get("site", "")), str(outcome.fields["path"])
        if counts_on_badge(outcome):
            return _add_view(site, path, deps)
        page: tuple[str, str] | None = (site, path)
    elif outcome.reason in _BADGE_READS_WHEN_IGNORED and request is not None:
        page = counted_page(request)
    else:
        page = None
    if page is None or not _time_for_one_more_call():
        return None
    try:
        return deps.store.views(*page)
    except Exception:
        # Nothing is lost: the badge shows a dash this once.
        return None


def _add_view(site: str, path: str, deps: Collaborators) -> int | None:
    """The page's new count, or None (said in the log: the badge is now one view behind)."""
    try:
        if not _time_for_one_more_call():
            raise TimeoutError("too little of the function's time left for one more call")
        return deps.store.count_view(site, path)
    except Exception as error:
        logger.error(
            "view counter not updated; the badge is one view behind the stored hits",
            extra={"site": site, "path": path, "error": repr(error)},
        )
        return None


def _time_for_one_more_call() -> bool:
    """Whether one more DynamoDB call, however slow, still ends before the function's timeout.

    The template's timeout covers the four calls a hit may make (salt and PutItem); a badge's
    fifth is made only when there is time left for it, so the answer is never a timeout.
    """
    remaining_ms = getattr(resolver.lambda_context, "get_remaining_time_in_millis", None)
    return remaining_ms is None or remaining_ms() >= WORST_CALL_SECONDS * 1000


def _beacon_request(kind: BeaconKind, event: dict[str, Any]) -> BeaconRequest:
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    time_ms = context.get("timeEpoch")
    if not isinstance(time_ms, int) or not _EARLIEST_MS <= time_ms <= _LATEST_MS:
        time_ms = int(time.time() * 1000)
    raw_headers = event.get("headers") or {}
    return BeaconRequest(
        kind=kind,
        method=str(http.get("method", "GET")).upper(),
        raw_query=str(event.get("rawQueryString") or ""),
        headers={str(name).lower(): str(value) for name, value in raw_headers.items()},
        source_ip=str(http.get("sourceIp", "")),
        time_ms=time_ms,
    )


def _save(hit: Hit, deps: Collaborators) -> bool:
    """Store the hit; False (with the hit logged whole for replay) when DynamoDB refused it."""
    item: PlainItem = {"pk": secrets.token_hex(16), **hit.fields}
    salt = deps.salts.current()
    if salt is None:
        item["novid"] = True
    else:
        item["vid"] = visitor_id(salt, hit.visitor_key)
    item = fit(item)
    try:
        deps.store.put_hit(item)
    except Exception as error:
        # The item is logged whole so that `lambdactr replay` can store it later.
        logger.error(UNSAVED_MESSAGE, extra={UNSAVED_KEY: item, "error": repr(error)})
        metrics.add_metric(name="StoreFailed", unit=MetricUnit.Count, value=1)
        # Lambda's log-level filter treats a JSON line without "level" as INFO and drops it at
        # the default WARN, which is what keeps the per-hit Hit and Ignored metrics free. This
        # one must always reach CloudWatch, so its metric line says it is an error.
        metrics.add_metadata(key="level", value="ERROR")
        return False
    metrics.add_metric(name="Hit", unit=MetricUnit.Count, value=1)
    return True


# log_event pinned off: POWERTOOLS_LOGGER_LOG_EVENT=true would otherwise log every event whole,
# with the visitor's address and cookies.
@logger.inject_lambda_context(
    log_event=False, correlation_id_path=correlation_paths.API_GATEWAY_HTTP
)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolver.resolve(event, context)
