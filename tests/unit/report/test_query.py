from __future__ import annotations

from datetime import date

import pytest

from lambdactr.function.hosts import host_matches
from lambdactr.report.query import QueryError, normalize_site_pattern, parse_day

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2026-11-01", date(2026, 11, 1)),
        ("1d", TODAY),
        ("7d", date(2026, 11, 17)),
        ("30d", date(2026, 10, 25)),
        (" 30D ", date(2026, 10, 25)),
        ("today", TODAY),
    ],
)
def test_days_are_iso_dates_or_the_start_of_the_last_n_days(raw: str, day: date) -> None:
    assert parse_day(raw, TODAY) == day


@pytest.mark.parametrize("raw", ["0d", "yesterday", "2026-13-01", "7", "-7d", ""])
def test_other_days_are_refused_in_words(raw: str) -> None:
    with pytest.raises(QueryError):
        parse_day(raw, TODAY)


def test_since_after_until_is_refused() -> None:
    from lambdactr.report.query import ReportQuery

    with pytest.raises(QueryError, match="after"):
        ReportQuery(since=date(2026, 11, 2), until=date(2026, 11, 1))


@pytest.mark.parametrize(
    ("pattern", "site", "matches"),
    [
        ("blog.example.org", "blog.example.org", True),
        ("blog.example.org", "www.blog.example.org", False),
        ("*.example.org", "blog.example.org", True),
        ("*.example.org", "a.b.example.org", True),
        ("*.example.org", "example.org", False),
        ("*.example.org", "badexample.org", False),
    ],
)
def test_site_patterns(pattern: str, site: str, matches: bool) -> None:
    assert host_matches(pattern, site) is matches


def test_site_patterns_are_normalized_and_checked() -> None:
    assert normalize_site_pattern(" Blog.Example.ORG. ") == "blog.example.org"
    assert normalize_site_pattern("*.Example.org") == "*.example.org"
    for bad in ("*", "*.", "*example.org", "a.*.org", ""):
        with pytest.raises(QueryError):
            normalize_site_pattern(bad)
