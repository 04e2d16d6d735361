"""`lambdactr snippet`: exactly one tag, in the syntax of the site's generator."""

from __future__ import annotations

import pytest

from lambdactr.cli import main
from lambdactr.snippet import GENERATORS, ONE_TAG_NOTE, TAG_FORMS, BaseUrlError, snippet

LINK = (
    '<link rel="stylesheet" href="https://stats.example.org/c.css" media="none"'
    ' referrerpolicy="no-referrer-when-downgrade">'
)
IMG = (
    '<img src="https://stats.example.org/c.gif" alt="" width="1" height="1"'
    ' referrerpolicy="no-referrer-when-downgrade">'
)


def test_the_default_is_one_link_tag_with_the_referrer_policy() -> None:
    assert snippet("https://stats.example.org/") == LINK
    assert snippet("https://stats.example.org", "img") == IMG


@pytest.mark.parametrize(
    "given",
    [
        "https://stats.example.org",
        "https://stats.example.org/",
        "https://stats.example.org/c.css",
        "https://stats.example.org/c.gif",
        "https://STATS.example.org/c.css/",
        " https://stats.example.org ",
    ],
)
def test_a_trailing_beacon_or_slash_is_taken_off(given: str) -> None:
    assert snippet(given) == LINK


def test_a_base_path_and_a_port_are_kept() -> None:
    assert 'href="http://127.0.0.1:3000/counter/c.css"' in snippet("http://127.0.0.1:3000/counter/")
    assert 'href="http://[::1]:3000/c.css"' in snippet("http://[::1]:3000")


@pytest.mark.parametrize(
    ("generator", "url"),
    [
        ("plain", 'href="https://stats.example.org/c.css"'),
        ("hugo", 'href="https://stats.example.org/c.css?p={{ .RelPermalink | urlquery }}"'),
        ("jekyll", 'href="https://stats.example.org/c.css?p={{ page.url | url_encode }}"'),
        ("eleventy", 'href="https://stats.example.org/c.css?p={{ page.url | urlencode }}"'),
        ("zola", 'href="https://stats.example.org/c.css?p={{ current_path | urlencode_strict }}"'),
        (
            "astro",
            "href={`https://stats.example.org/c.css?p=${encodeURIComponent(Astro.url.pathname)}`}",
        ),
    ],
)
def test_each_generator_puts_the_encoded_path_into_p(generator: str, url: str) -> None:
    tag = snippet("https://stats.example.org", generator=generator)
    assert tag == LINK.replace('href="https://stats.example.org/c.css"', url)


def test_every_tag_form_works_with_every_generator() -> None:
    for tag in TAG_FORMS:
        for generator in GENERATORS:
            printed = snippet("https://stats.example.org", tag, generator)
            assert printed.count("<") == 1
            assert f"/{TAG_FORMS[tag].beacon}" in printed


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("stats.example.org", "did you mean https://stats.example.org?"),
        ("/c.css", "not an absolute http(s) URL"),
        ("", "not an absolute http(s) URL"),
        ("ftp://stats.example.org", "not an absolute http(s) URL"),
        ("http://", "not an absolute http(s) URL"),
        ("https://stats.example.org/?p=/", "query or a fragment"),
        ("https://stats.example.org/#top", "query or a fragment"),
        ("https://user:secret@stats.example.org", "user name or password"),
        ("http://stats.example.org:99999", "not a URL"),
        ('https://x.example/"><script>', "characters in its path"),
        ("https://x.example/a`b", "characters in its path"),
        ("https://ex ample.org", "host must be"),
    ],
)
def test_a_bad_base_url_is_refused_with_the_reason(
    bad: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(BaseUrlError) as refused:
        snippet(bad)
    assert why in str(refused.value)

    assert main(["snippet", bad]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert why in err


def test_the_command_prints_exactly_one_tag_and_the_note_apart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["snippet", "https://stats.example.org"]) == 0
    out, err = capsys.readouterr()
    # stdout holds the tag alone, so `lambdactr snippet URL > partial.html` is ready to include.
    assert out == LINK + "\n"
    assert ONE_TAG_NOTE in err
    assert "--for" in err

    assert main(["snippet", "https://stats.example.org", "--tag", "img", "--for", "hugo"]) == 0
    out, err = capsys.readouterr()
    assert out == IMG.replace("c.gif", "c.gif?p={{ .RelPermalink | urlquery }}") + "\n"
    assert "--for" not in err


def test_tag_svg_prints_the_badge_with_the_page_path_from_the_generator() -> None:
    assert snippet("https://stats.example.org/", "svg", "jekyll") == (
        '<img src="https://stats.example.org/c.svg?p={{ page.url | url_encode }}"'
        ' alt="views of this page" height="20" referrerpolicy="no-referrer-when-downgrade">'
    )
