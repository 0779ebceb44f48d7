"""URL normalization for related-reference matching."""

from __future__ import annotations

import pytest

from loaders.urls import normalize_url

SAME = [
    "https://example.com/a/b",
    "http://example.com/a/b",
    "https://EXAMPLE.com/a/b/",
    "https://example.com:443/a/b",
    "http://example.com:80/a/b#section",
    "https://example.com/a/b?utm_source=x&utm_medium=y",
    "https://example.com/a/b?fbclid=123&gclid=4",
    "//example.com/a/b",
]


@pytest.mark.parametrize("url", SAME)
def test_equivalent_urls_normalize_alike(url: str) -> None:
    assert normalize_url(url) == "example.com/a/b"


def test_meaningful_query_is_kept_and_sorted() -> None:
    assert normalize_url("https://x.com/watch?v=1&utm_source=a&b=2") == "x.com/watch?b=2&v=1"
    assert normalize_url("https://x.com/watch?v=1") != normalize_url("https://x.com/watch?v=2")


def test_www_and_other_ports_stay_distinct() -> None:
    assert normalize_url("https://www.example.com/a") != normalize_url("https://example.com/a")
    assert normalize_url("https://example.com:8443/a") == "example.com:8443/a"


@pytest.mark.parametrize(
    "url", ["", "   ", "not a url", "ftp://example.com/x", "https://", "http://[::1"]
)
def test_non_http_urls_have_no_key(url: str) -> None:
    assert normalize_url(url) is None
