"""URL normalization used to match related references to corpus articles.

Two URLs name the same article when they differ only in scheme (http/https),
host case, a default port, a trailing slash, a fragment, tracking parameters or
the order of the remaining query parameters. `www.` is kept: it can be a
different site. The normalized form drops the scheme: `host[:port]/path[?query]`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

# Query parameters added by analytics and ad platforms; they never change the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ocid",
        "ref_src", "cmpid", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


# What a URL's host may hold for the plain path of normalize_url: anything else (a port,
# user info, an IPv6 literal, a zone) goes through urlsplit.
_PLAIN_HOST_EXCLUDES = frozenset(":@[]%")


def normalize_url(url: str) -> str | None:
    """The comparison key of `url`, or None when it is not an absolute http(s) URL."""
    text = url.strip()
    if not text:
        return None
    if text.startswith("//"):
        text = "https:" + text
    plain = _plain_key(text)
    return plain if plain is not None else _key_by_split(text)


def _plain_key(text: str) -> str | None:
    """The key of the URLs most articles hold, `http(s)://host/path`, read without
    urlsplit (3.4 us, ~3 URLs per article); None when the URL is anything else (a query,
    a fragment, a port, odd characters), for `_key_by_split`. Gives `_key_by_split`'s
    answer or None, never another one."""
    if text.startswith("https://"):
        rest = text[8:]
    elif text.startswith("http://"):
        rest = text[7:]
    else:
        return None
    # Printable ASCII without spaces: nothing that urlsplit strips, rejects or treats
    # as a delimiter besides "/" (checked below), and no case that .lower() misses.
    if not (rest.isascii() and rest.isprintable()) or " " in rest or "?" in rest or "#" in rest:
        return None
    slash = rest.find("/")
    host, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    if not _PLAIN_HOST_EXCLUDES.isdisjoint(host):
        return None
    host = host.lower().rstrip(".")
    return f"{host}{path.rstrip('/')}" if host else None


def _key_by_split(text: str) -> str | None:
    """normalize_url's answer for any stripped text, through urlsplit."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in DEFAULT_PORTS or not host:
        return None
    netloc = host if port in (None, *DEFAULT_PORTS.values()) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    if not parts.query:  # most URLs: nothing to sort or drop
        return f"{netloc}{path}"
    query = urlencode(
        sorted(
            (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
        )
    )
    return f"{netloc}{path}?{query}" if query else f"{netloc}{path}"
