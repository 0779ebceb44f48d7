"""Frontmatter text → a validated `ParsedArticle`, or a `Rejection` saying why not.

Pure: no I/O beyond the bytes it is given, so it runs unchanged in a worker
process. Every known field is type-checked; the publisher's own top-level keys
(say `author`) are kept as JSON (`extra_json`) and served as the article's `extra`.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import frontmatter
import frontmatter.default_handlers
import orjson
import yaml

from loaders import block_yaml, plain_yaml
from loaders.urls import normalize_url

# PyYAML's C loader is ~10x faster than the pure-Python one; python-frontmatter
# picks it too, but we pass it explicitly so a missing libyaml is visible here.
YAML_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)
HAS_C_YAML = YAML_LOADER is not yaml.SafeLoader

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# Aliases let a few hundred bytes of YAML describe billions of nodes ("billion
# laughs"); we walk the loaded value and stop once it is bigger than any article.
MAX_NODES = 50_000
MAX_DEPTH = 64
INT32 = (-(2**31), 2**31 - 1)  # GraphQL's Int is 32-bit
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_HANDLER = frontmatter.default_handlers.YAMLHandler()


class Rejection(Exception):
    """A file that cannot be ingested; `field` is None for whole-file problems."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


# The parsed values are named tuples, not dataclasses: they cross from the parse
# processes to the writer by pickle, and a tuple unpickles in C (a slotted dataclass
# runs Python code per object, 4x slower, on the writer's critical path).
class ParsedImage(NamedTuple):
    url: str
    width: int | None
    height: int | None
    is_cached: bool | None

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "width": self.width, "height": self.height,
                "isCached": self.is_cached}  # fmt: skip


class ParsedProvider(NamedTuple):
    domain: str
    name: str
    images: tuple[ParsedImage, ...]


class ParsedReference(NamedTuple):
    title: str
    excerpt: str | None
    original_url: str | None
    web_url: str | None
    amp_url: str | None
    cdn_amp_url: str | None
    published_at: str | None
    type: str | None
    quality: int | None
    provider: ParsedProvider | None
    images: tuple[ParsedImage, ...]
    normalized_url: str | None
    match_urls: tuple[str, ...]


class ParsedArticle(NamedTuple):
    title: str
    excerpt: str | None
    body: str
    category: str | None
    type: str | None
    published_at: str
    published_ts: int
    original_url: str | None
    web_url: str | None
    amp_url: str | None
    cdn_amp_url: str | None
    quality: int | None
    heat: int | None
    published: bool | None
    featured_content: str | None
    secured: str | None
    provider: ParsedProvider | None
    topics: tuple[str, ...]
    topic_slugs: tuple[str, ...]  # slugify(name) of each topic, same order
    images: tuple[ParsedImage, ...]
    related: tuple[ParsedReference, ...]
    urls: tuple[str, ...]  # normalized, deduplicated
    extra_json: str | None  # the keys outside MODELLED_KEYS as a JSON object, if any


def has_frontmatter(text: str) -> bool:
    """True when `text` (BOM and CR already removed) opens with a `---` line."""
    return _HANDLER.detect(text)


def split_frontmatter(text: str) -> tuple[str, str]:
    """(frontmatter, body) as python-frontmatter's YAML handler splits them; ValueError
    when the frontmatter never closes.

    The handler finds its boundaries (`^-{3,}\\s*$`, multi-line) with a regular
    expression, 11 us for a typical article. When both boundary lines are exactly
    three dashes (and blanks), string searches find the same boundaries in 4 us;
    anything else goes to the handler.
    """
    if text.startswith("---") and text[3:4] != "-":
        start = _boundary_end(text, 3)
        closing = text.find("\n---", start) if start >= 0 else -1
        if closing >= 0:
            end = _boundary_end(text, closing + 4)
            if end >= 0:
                return text[start : closing + 1], text[end:]
    return _HANDLER.split(text)


def _boundary_end(text: str, dashes_end: int) -> int:
    """Where the handler's boundary match ending the dashes at `dashes_end` ends, or -1
    if that line is no boundary: its greedy `\\s*$` takes the blanks after the dashes
    up to the last line break before the next non-blank character (or the end)."""
    blank_end = dashes_end
    while blank_end < len(text) and text[blank_end].isspace():
        blank_end += 1
    if blank_end == len(text):
        return blank_end
    return text.rfind("\n", dashes_end, blank_end)


def decode(raw: bytes) -> str:
    """Bytes → text with LF line endings; rejects binary and non-UTF-8 content."""
    if not raw.strip():
        raise Rejection("empty file")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise Rejection(f"binary content (NUL byte at offset {nul})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejection(
            f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n")


def parse_article(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedArticle:
    """Parse and validate one article file's bytes."""
    if len(raw) > max_bytes:
        raise Rejection(f"file is {len(raw)} bytes, over the {max_bytes}-byte limit")
    text = decode(raw)
    if not has_frontmatter(text):
        raise Rejection("no frontmatter: the file must open with a '---' line")
    try:
        fm_text, body = split_frontmatter(text)
    except ValueError:
        raise Rejection("frontmatter block never closes (no second '---' line)") from None
    data = _load_yaml(fm_text)
    return _validate(data, body.lstrip("\n"))


def _load_yaml(fm_text: str) -> dict[str, Any]:
    # The fastest path that can read the text, each giving PyYAML's result.
    data = block_yaml.load(fm_text, max_values=MAX_NODES, max_depth=MAX_DEPTH)
    if data is block_yaml.UNUSUAL:  # flow style, multi-line values, comments...
        data = plain_yaml.load(fm_text, max_values=MAX_NODES, max_depth=MAX_DEPTH)
    if data is plain_yaml.UNUSUAL:  # anchors, tags, errors...: PyYAML's own way
        data = _load_any_yaml(fm_text)
    if data is None:
        raise Rejection("frontmatter is empty")
    if not isinstance(data, dict):
        raise Rejection(f"frontmatter must be a mapping, not {_kind(data)}")
    for key in data:
        if not isinstance(key, str):
            raise Rejection(f"frontmatter keys must be strings, found {key!r}")
    return data


def _load_any_yaml(fm_text: str) -> Any:
    try:
        data = yaml.load(fm_text, Loader=YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        # The YAML text starts right after the opening `---` (on that same line), and
        # marks are 0-based, so mark.line + 1 is the line number in the file.
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise Rejection(f"malformed YAML{where}: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise Rejection(f"malformed YAML: {exc}") from None
    except RecursionError:
        raise Rejection("malformed YAML: nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # a timestamp like 2021-13-45
        raise Rejection(f"malformed YAML: {exc}") from None
    _check_size(data)
    return data


_CONTAINERS = (dict, list, tuple, set)


def _check_size(value: Any) -> None:
    """Reject values that expand (through YAML aliases) beyond any real article.

    Scalars are counted in bulk per container; only containers are visited, since
    only they can nest (or repeat, through aliases).
    """
    count = 1
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Rejection(
                f"frontmatter nests deeper than {MAX_DEPTH} levels (a YAML alias cycle?)"
            )
        if isinstance(item, dict):
            count += 2 * len(item)
            children: Any = item.values()
        else:
            count += len(item) if isinstance(item, _CONTAINERS) else 0
            children = item if isinstance(item, list | tuple | set) else ()
        if count > MAX_NODES:
            raise Rejection(
                f"frontmatter expands to more than {MAX_NODES} values "
                "(YAML alias bomb or runaway aliases)"
            )
        stack.extend((child, depth + 1) for child in children if isinstance(child, _CONTAINERS))
        if isinstance(item, dict):  # keys can be containers too (complex YAML keys)
            stack.extend((key, depth + 1) for key in item if isinstance(key, _CONTAINERS))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime | date):
        return "a date"
    return type(value).__name__


def _expect(field: str, what: str, value: Any) -> Rejection:
    shown = repr(value) if isinstance(value, str | int | float) else ""
    got = f"{_kind(value)} {shown}".strip() if shown and len(shown) < 60 else _kind(value)
    return Rejection(f"expected {what}, got {got}", field)


def _str(data: dict[str, Any], key: str, field: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise Rejection("required field is missing", field)
        return None
    if not isinstance(value, str):
        raise _expect(field, "a string", value)
    if required and not value.strip():
        raise Rejection("must not be empty", field)
    return value


def _int(data: dict[str, Any], key: str, field: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _expect(field, "an integer", value)
    if not INT32[0] <= value <= INT32[1]:
        raise Rejection(f"integer {value} is out of range (32-bit)", field)
    return value


def _bool(data: dict[str, Any], key: str, field: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _expect(field, "true or false", value)
    return value


def _list(data: dict[str, Any], key: str, field: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _expect(field, "a list", value)
    return value


def _mapping(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _expect(field, "a mapping", value)
    return value


def _datetime(
    data: dict[str, Any], key: str, field: str, *, required: bool = False
) -> datetime | None:
    value = data.get(key)
    if value is None:
        if required:
            raise Rejection("required field is missing", field)
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise Rejection(f"not an ISO-8601 date-time: {text[:60]!r}", field) from None
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    elif not isinstance(value, datetime):
        raise _expect(field, "an ISO-8601 date-time", value)
    # A date-time without an offset is taken as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with a `Z`, seconds precision unless there are fractions.

    Written out field by field: strftime's `%Y` does not pad years before 1000 to four
    digits on Linux (`999-01-01...`, not ISO-8601), and costs twice as much."""
    m = moment.astimezone(UTC)
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
    if m.microsecond:
        text += f".{m.microsecond:06d}".rstrip("0")
    return text + "Z"


def _image(value: Any, field: str) -> ParsedImage:
    item = _mapping(value, field)
    return ParsedImage(
        url=_str(item, "url", f"{field}.url", required=True) or "",
        width=_int(item, "width", f"{field}.width"),
        height=_int(item, "height", f"{field}.height"),
        is_cached=_bool(item, "isCached", f"{field}.isCached"),
    )


def _images(data: dict[str, Any], key: str, field: str) -> tuple[ParsedImage, ...]:
    return tuple(_image(v, f"{field}[{i}]") for i, v in enumerate(_list(data, key, field)))


def _provider(data: dict[str, Any], field: str) -> ParsedProvider | None:
    value = data.get("provider")
    if value is None:
        return None
    item = _mapping(value, field)
    domain = (_str(item, "domain", f"{field}.domain", required=True) or "").strip().lower()
    name = _str(item, "name", f"{field}.name")
    return ParsedProvider(
        domain=domain,
        name=name.strip() if name and name.strip() else domain,
        images=_images(item, "images", f"{field}.images"),
    )


@lru_cache(maxsize=4096)  # topic names recur across articles: 2 us each, ~3 per article
def slugify(name: str) -> str:
    """`Computer Vision` → `computer-vision`; accents dropped, other scripts kept."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "-", plain).strip("-")


def _topics(data: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, slugs), deduplicated by slug in frontmatter order."""
    slugs: list[str] = []
    topics: list[str] = []
    for i, value in enumerate(_list(data, "topics", "topics")):
        if not isinstance(value, str):
            raise _expect(f"topics[{i}]", "a string", value)
        name = " ".join(value.split())
        slug = slugify(name)
        if not slug:
            raise Rejection("topic name has no letters or digits", f"topics[{i}]")
        if slug not in slugs:  # "AI" and "ai" are one topic
            slugs.append(slug)
            topics.append(name)
    return tuple(topics), tuple(slugs)


URL_KEYS = (("originalUrl", "original_url"), ("webUrl", "web_url"),
            ("ampWebUrl", "amp_url"), ("cdnAmpWebUrl", "cdn_amp_url"))  # fmt: skip


def _urls(item: dict[str, Any], field: str) -> dict[str, str | None]:
    prefix = f"{field}." if field else ""
    return {attr: _str(item, key, prefix + key) for key, attr in URL_KEYS}


def _normalized(urls: list[str | None]) -> tuple[str, ...]:
    keys = (normalize_url(u) for u in urls if u)
    return tuple(dict.fromkeys(k for k in keys if k))


def _reference(value: Any, field: str) -> ParsedReference:
    item = _mapping(value, field)
    urls = _urls(item, field)
    published = _datetime(item, "publishedDateTime", f"{field}.publishedDateTime")
    # The reference's own identity is its webUrl, as written by publishers;
    # any of its URLs may match a corpus article.
    match_urls = _normalized(
        [urls["web_url"], urls["original_url"], urls["amp_url"], urls["cdn_amp_url"]]
    )
    return ParsedReference(
        title=_str(item, "title", f"{field}.title", required=True) or "",
        excerpt=_str(item, "excerpt", f"{field}.excerpt"),
        published_at=format_utc(published) if published else None,
        type=_str(item, "type", f"{field}.type"),
        quality=_int(item, "quality", f"{field}.quality"),
        provider=_provider(item, f"{field}.provider"),
        images=_images(item, "images", f"{field}.images"),
        normalized_url=match_urls[0] if match_urls else None,
        match_urls=match_urls,
        **urls,
    )


# Dates go through _json_default (UTC with a Z, like every date newsgraph stores);
# nested mappings may have non-string keys (YAML allows `1: x`).
JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_utc(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set):
        return sorted(value, key=str)
    raise TypeError(f"cannot store a {type(value).__name__}")


# The top-level keys _validate reads. Any other key is the publisher's own: kept as it
# was written, in the article's `extra`, not checked.
MODELLED_KEYS = frozenset(
    {"title", "excerpt", "publishedDateTime", "category", "type", "quality", "heat",
     "published", "featuredContent", "secured", "provider", "topics", "images", "related",
     *(key for key, _ in URL_KEYS)}
)  # fmt: skip


def _extra_json(data: dict[str, Any]) -> str | None:
    extra = {key: value for key, value in data.items() if key not in MODELLED_KEYS}
    if not extra:
        return None
    try:
        return orjson.dumps(extra, default=_json_default, option=JSON_OPTIONS).decode()
    except (TypeError, ValueError) as exc:  # orjson.JSONEncodeError is a TypeError
        raise Rejection(f"frontmatter cannot be stored: {exc}") from None


def _validate(data: dict[str, Any], body: str) -> ParsedArticle:
    title = (_str(data, "title", "title", required=True) or "").strip()
    published = _datetime(data, "publishedDateTime", "publishedDateTime", required=True)
    assert published is not None
    urls = _urls(data, "")
    topics, topic_slugs = _topics(data)
    related = tuple(
        _reference(v, f"related[{i}]") for i, v in enumerate(_list(data, "related", "related"))
    )
    return ParsedArticle(
        title=title,
        excerpt=_str(data, "excerpt", "excerpt"),
        body=body,
        category=_str(data, "category", "category"),
        type=_str(data, "type", "type"),
        published_at=format_utc(published),
        published_ts=(published - EPOCH) // timedelta(microseconds=1),
        quality=_int(data, "quality", "quality"),
        heat=_int(data, "heat", "heat"),
        published=_bool(data, "published", "published"),
        featured_content=_str(data, "featuredContent", "featuredContent"),
        secured=_str(data, "secured", "secured"),
        provider=_provider(data, "provider"),
        topics=topics,
        topic_slugs=topic_slugs,
        images=_images(data, "images", "images"),
        related=related,
        urls=_normalized(list(urls.values())),
        extra_json=_extra_json(data),
        **urls,
    )
