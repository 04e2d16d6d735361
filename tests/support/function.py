"""The deployed handler under test: its one seam, its context and its log as CloudWatch gets it."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from lambdactr.function.config import Config
from lambdactr.function.privacy import SaltStore
from lambdactr.function.store import Store
from lambdactr.local.event import LocalContext

if TYPE_CHECKING:
    from lambdactr.function.app import Collaborators

# `lambdactr.function.app` is imported only when a test calls the handler: importing it builds
# the container's collaborators from the environment, which a test may still be setting.


def wire(
    monkeypatch: pytest.MonkeyPatch,
    store: Store,
    *,
    salt_store: SaltStore | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    clock: Callable[[], float] = time.time,
    **config: Any,
) -> Collaborators:
    """A fresh container for the handler: `config` over `store`, and an empty salt cache.

    This is the one place tests replace what the handler talks to; the `wire_handler` fixture
    hands it out, and undoes it when the test ends.
    """
    from lambdactr.function import app

    collaborators = app.Collaborators.over(
        Config(table_name=store.table_name, salts_table_name=store.salts_table_name, **config),
        store,
        salt_store=salt_store,
        monotonic=monotonic,
        clock=clock,
    )
    monkeypatch.setattr(app, "collaborators", collaborators)
    return collaborators


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """One call of the handler, with the context Lambda would pass."""
    from lambdactr.function import app

    response: dict[str, Any] = app.handler(event, LocalContext())  # type: ignore[arg-type]
    return response


class SettableClock:
    """A clock that a test sets by hand, for the handler's wall clock or its monotonic one."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Wire(Protocol):
    def __call__(
        self,
        store: Store,
        *,
        salt_store: SaltStore | None = ...,
        monotonic: Callable[[], float] = ...,
        clock: Callable[[], float] = ...,
        **config: Any,
    ) -> Collaborators: ...


@contextmanager
def handler_log_into(stream: io.StringIO) -> Iterator[None]:
    """Send the handler's Powertools log lines to `stream`, exactly as Lambda would get them."""
    from lambdactr.function import app

    handler = app.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    # Swapped, not setStream(): that flushes the old stream, which may be the capture file of
    # whichever test first imported the app, long closed.
    previous, handler.stream = handler.stream, stream
    try:
        yield
    finally:
        handler.stream = previous


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects of a log, one a line; other lines are skipped."""
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines
