"""URL normalization for related-reference matching."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import urls
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


def _by_split(url: str) -> str | None:
    """normalize_url as it was before the plain path: every URL through urlsplit."""
    text = url.strip()
    if not text:
        return None
    return urls._key_by_split("https:" + text if text.startswith("//") else text)


def test_common_urls_take_the_plain_path() -> None:
    assert urls._plain_key("https://News.Example.COM./2021/a/") == "news.example.com/2021/a"
    assert urls._plain_key("http://example.com") == "example.com"
    others = ["https://example.com/a?b=1", "https://example.com:8443/a", "https://u@x.com/",
              "https://[::1]/a", "https://x.com/a#b", "https://x.com/a b",
              "ftp://x.com/a"]  # fmt: skip
    for other in others:
        assert urls._plain_key(other) is None


# Characters that matter to urlsplit or to case folding, among ordinary ones.
_URL_CHARS = st.sampled_from(list("aZ09.-_/:@?#[]%&=+ ~\\\t\n\x01\x7fİßé/"))


@settings(max_examples=3000, deadline=None)
@given(
    prefix=st.sampled_from(["https://", "http://", "HTTPS://", "//", "https:", "ftp://", ""]),
    host=st.text(_URL_CHARS, max_size=12),
    rest=st.text(_URL_CHARS, max_size=16),
)
def test_the_plain_path_answers_as_urlsplit_does(prefix: str, host: str, rest: str) -> None:
    url = prefix + host + rest
    assert normalize_url(url) == _by_split(url)
