"""The one configuration object, read from the environment once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .hosts import normalize_host

DEFAULT_TABLE_NAME = "lambdactr-hits"
_HITS_SUFFIX = "-hits"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    """An environment variable holds a value the counter cannot run with."""


def default_salts_table(table_name: str) -> str:
    """The salts table beside `table_name`: `<stack>-salts` for `<stack>-hits`, as the template
    names them, otherwise `<table>-salts`."""
    return f"{table_name.removesuffix(_HITS_SUFFIX)}-salts"


DEFAULT_SALTS_TABLE_NAME = default_salts_table(DEFAULT_TABLE_NAME)


@dataclass(frozen=True, slots=True)
class Config:
    table_name: str = DEFAULT_TABLE_NAME
    # The daily salt lives in a table of its own: no backups, so a replaced salt is gone.
    salts_table_name: str = DEFAULT_SALTS_TABLE_NAME
    # Lower-case host names; "*.example.com" matches any subdomain of example.com
    # (not example.com itself). Empty allows every site.
    allowed_hosts: tuple[str, ...] = ()
    retention_days: int = 400
    respect_dnt: bool = True
    # CloudFront-Viewer-Country is believed only behind CloudFront, which sets it; without
    # CloudFront in front, any client can send it.
    trust_cloudfront_headers: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        table_name = env.get("TABLE_NAME", "").strip() or DEFAULT_TABLE_NAME
        return cls(
            table_name=table_name,
            salts_table_name=env.get("SALTS_TABLE", "").strip() or default_salts_table(table_name),
            allowed_hosts=parse_allowed_hosts(env.get("ALLOWED_HOSTS", "")),
            retention_days=_parse_positive_int("RETENTION_DAYS", env.get("RETENTION_DAYS", "400")),
            respect_dnt=_parse_bool("RESPECT_DNT", env.get("RESPECT_DNT", "true")),
            trust_cloudfront_headers=_parse_bool(
                "TRUST_CLOUDFRONT_HEADERS", env.get("TRUST_CLOUDFRONT_HEADERS", "false")
            ),
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
