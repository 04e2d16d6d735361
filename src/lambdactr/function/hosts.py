"""Host names and host patterns, read the same way by ALLOWED_HOSTS and by `report --site`."""

from __future__ import annotations

from collections.abc import Iterable

# "*.example.com" stands for every subdomain of example.com, not for example.com itself.
WILDCARD_PREFIX = "*."


def normalize_host(raw: str) -> str:
    """Lower case, without the trailing dot of a fully qualified name."""
    return raw.strip().lower().rstrip(".")


def is_host_pattern(pattern: str) -> bool:
    """An exact host, or `*.` followed by a domain; no other wildcard."""
    if pattern.startswith(WILDCARD_PREFIX):
        pattern = pattern[len(WILDCARD_PREFIX) :]
    return bool(pattern) and "*" not in pattern


def host_matches(pattern: str, site: str) -> bool:
    if pattern.startswith(WILDCARD_PREFIX):
        return site.endswith(pattern[1:])
    return site == pattern


def host_allowed(site: str, patterns: Iterable[str]) -> bool:
    return any(host_matches(pattern, site) for pattern in patterns)
