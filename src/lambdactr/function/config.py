"""The one configuration object, read from the environment once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .hosts import normalize_host

DEFAULT_TABLE_NAME = "lambdactr-hits"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    """An environment variable holds a value the counter cannot run with."""


@dataclass(frozen=True, slots=True)
class Config:
    table_name: str = DEFAULT_TABLE_NAME
    # Lower-case host names; "*.example.com" matches any subdomain of example.com
    # (not example.com itself). Empty allows every site.
    allowed_hosts: tuple[str, ...] = ()
    retention_days: int = 400
    respect_dnt: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        return cls(
            table_name=env.get("TABLE_NAME", "").strip() or DEFAULT_TABLE_NAME,
            allowed_hosts=parse_allowed_hosts(env.get("ALLOWED_HOSTS", "")),
            retention_days=_parse_positive_int("RETENTION_DAYS", env.get("RETENTION_DAYS", "400")),
            respect_dnt=_parse_bool("RESPECT_DNT", env.get("RESPECT_DNT", "true")),
        )


def parse_allowed_hosts(raw: str) -> tuple[str, ...]:
    return tuple(host for host in (normalize_host(part) for part in raw.split(",")) if host)


def _parse_positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw.strip() or "0")
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of days, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be at least 1, not {raw!r}")
    return value


def _parse_bool(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")
