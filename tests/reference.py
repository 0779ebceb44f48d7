"""A plain-Python model of the article query engine, for the property tests.

It reads the same files an ingest reads (with `loaders.parse.parse_article`, never
the database) and answers the questions the GraphQL article lists answer: which
articles a filter keeps, in which order, and how they spread over each facet. It is
written to be obviously correct, not fast: every rule below is the documented one
(the SDL descriptions in `schema/schema.graphql`), spelled out in Python.

The only fact taken from the database is each article's internal id, which the API
uses to break ties in every order but never exposes; `Corpus.load` takes it as a
`path -> id` map.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from loaders.parse import ParsedArticle, parse_article, slugify
from loaders.trending import DEFAULT_HALF_LIFE_HOURS, trending_key

MISSING = -2147483649  # where missing heat and quality sort: below every 32-bit value
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # GraphQL's Int, and the scores files may hold
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Filter = Mapping[str, Any]  # an ArticleFilter exactly as sent in GraphQL variables
Order = Sequence[Mapping[str, Any]]  # an orderBy list as sent ({field, direction?})
Scope = tuple[str, str | None]  # ("all", None), ("topic", slug), ("provider", domain),
# ("relatedBy", slug of the cited article)


@dataclass(frozen=True)
class Fact:
    """What the queries can see of one article."""

    id: int
    path: str
    slug: str
    title: str
    published_ts: int
    provider: str | None  # domain
    provider_name: str | None
    type: str | None
    category: str | None
    published: bool | None
    quality: int | None
    heat: int | None
    images: int
    related: int
    topic_names: tuple[str, ...]
    topic_slugs: tuple[str, ...]
    urls: tuple[str, ...]
    references: tuple[tuple[str, ...], ...]  # each related entry's URLs, by priority

    @property
    def month(self) -> str:
        moment = EPOCH + timedelta(microseconds=self.published_ts)
        return f"{moment.year:04d}-{moment.month:02d}"


def article_files(root: Path) -> dict[str, bytes]:
    """The article files under `root` by path relative to it, as an ingest finds them:
    `.md` and `.markdown` files, and `.txt` files that open with `---`; dot-names skipped."""
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        suffix = path.suffix.lower()
        raw = path.read_bytes()
        if suffix in (".md", ".markdown") or (
            suffix == ".txt" and raw.removeprefix(b"\xef\xbb\xbf").startswith(b"---")
        ):
            found[rel.as_posix()] = raw
    return found


def _fact(ident: int, path: str, a: ParsedArticle) -> Fact:
    return Fact(
        id=ident,
        path=path,
        slug=Path(path).stem,
        title=a.title,
        published_ts=a.published_ts,
        provider=a.provider.domain if a.provider else None,
        provider_name=a.provider.name if a.provider else None,
        type=a.type,
        category=a.category,
        published=a.published,
        quality=a.quality,
        heat=a.heat,
        images=len(a.images),
        related=len(a.related),
        topic_names=a.topics,
        topic_slugs=a.topic_slugs,
        urls=a.urls,
        references=tuple(r.match_urls for r in a.related),
    )


# --- filters ---------------------------------------------------------------------------


def ascii_lower(text: str) -> str:
    """Lower-case A-Z only: SQLite's NOCASE, which types and categories compare with."""
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def micros(text: str) -> int:
    """A DateTime input (date, naive date-time = UTC, or with an offset) in microseconds."""
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    else:
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return (moment - EPOCH) // timedelta(microseconds=1)


def _in_range(value: int | None, bounds: Mapping[str, int | None]) -> bool:
    if value is None:
        return False
    low, high = bounds.get("min"), bounds.get("max")
    return (low is None or value >= low) and (high is None or value <= high)


def _field_matches(name: str, value: Any, a: Fact) -> bool:
    """Whether `a` passes one field of a filter (a set field: not null, not [])."""
    if name == "topics":
        return any(slugify(v) in a.topic_slugs for v in value)
    if name == "allTopics":
        return all(slugify(v) in a.topic_slugs for v in value)
    if name == "providers":
        return a.provider is not None and a.provider in {v.strip().lower() for v in value}
    if name == "types":  # surrounding spaces ignored, ASCII case too
        wanted = {ascii_lower(v.strip()) for v in value}
        return a.type is not None and ascii_lower(a.type) in wanted
    if name == "categories":
        wanted = {ascii_lower(v.strip()) for v in value}
        return a.category is not None and ascii_lower(a.category) in wanted
    if name == "published":
        return a.published is not None and a.published == value
    if name == "publishedAfter":
        return a.published_ts >= micros(value)
    if name == "publishedBefore":
        return a.published_ts < micros(value)
    if name == "quality":
        return _in_range(a.quality, value)
    if name == "heat":
        return _in_range(a.heat, value)
    if name == "hasImage":
        return (a.images > 0) == value
    if name == "hasRelated":
        return (a.related > 0) == value
    if name == "slugs":
        return a.slug in value
    if name == "and":
        return all(matches(child, a) for child in value)
    if name == "or":
        return any(matches(child, a) for child in value)
    if name == "not":
        return not matches(value, a)
    raise ValueError(f"unknown filter field {name}")


def matches(f: Filter | None, a: Fact) -> bool:
    """Every set field must match; null and empty lists constrain nothing."""
    return all(
        _field_matches(name, value, a)
        for name, value in (f or {}).items()
        if value is not None and value != []
    )


# The top-level filter fields each facet ignores under `ignoreOwnFilter`.
OWN_FIELDS: dict[str, tuple[str, ...]] = {
    "topics": ("topics", "allTopics"),
    "providers": ("providers",),
    "types": ("types",),
    "categories": ("categories",),
    "published": ("published",),
    "months": ("publishedAfter", "publishedBefore"),
    "heat": ("heat",),
    "quality": ("quality",),
}


def without_own(f: Filter | None, facet: str) -> dict[str, Any]:
    return {k: v for k, v in (f or {}).items() if k not in OWN_FIELDS[facet]}


# --- orders ----------------------------------------------------------------------------

NATURAL_DESCENDING = {
    "PUBLISHED_AT": True,
    "HEAT": True,
    "QUALITY": True,
    "TITLE": False,
    "TRENDING": True,
}

SORT_KEYS: dict[str, Callable[[Fact], Any]] = {
    "PUBLISHED_AT": lambda a: a.published_ts,
    "HEAT": lambda a: MISSING if a.heat is None else a.heat,
    "QUALITY": lambda a: MISSING if a.quality is None else a.quality,
    "TITLE": lambda a: a.title.casefold(),
    "TRENDING": lambda a: trending_key(a.heat, a.quality, a.published_ts, DEFAULT_HALF_LIFE_HOURS),
}


def order_keys(order_by: Order | None) -> list[tuple[str, bool]]:
    """(field, descending) pairs; null or empty means PUBLISHED_AT DESC."""
    if not order_by:
        return [("PUBLISHED_AT", True)]
    keys = []
    for key in order_by:
        direction = key.get("direction")
        descending = NATURAL_DESCENDING[key["field"]] if direction is None else direction == "DESC"
        keys.append((key["field"], descending))
    return keys


def ordered(facts: Iterable[Fact], order_by: Order | None) -> list[Fact]:
    """Sorted by the keys, most significant first, then by id in the last key's direction.

    Python's sort is stable (with `reverse` too), so sorting by the least significant
    key first and the most significant last gives the lexicographic order."""
    keys = order_keys(order_by)
    result = sorted(facts, key=lambda a: a.id, reverse=keys[-1][1])
    for name, descending in reversed(keys):
        result.sort(key=SORT_KEYS[name], reverse=descending)
    return result


# --- facets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetEntry:
    value: str | int | None  # a string facet's value; a bucket's lower bound (None: unknown)
    label: str
    count: int
    high: int | None = None  # a bucket's upper bound


def _value_key(value: str | int | None) -> tuple[int, str | int]:
    # Numbers numerically, strings by code point; the unknown bucket after every value.
    if value is None:
        return (1, 0)
    return (0, value)


def sort_facet(entries: Iterable[FacetEntry], sort: str) -> list[FacetEntry]:
    """COUNT: most articles first, ties by value ascending. VALUE: by value ascending."""
    if sort == "COUNT":
        return sorted(entries, key=lambda e: (-e.count, _value_key(e.value)))
    return sorted(entries, key=lambda e: _value_key(e.value))


def bucket(value: int | None, size: int) -> tuple[int, int] | None:
    """(lowest, highest) value of the bucket holding `value`; None for unknown. Buckets
    start at multiples of `size` (floor division, also below zero); the first and last
    stop at the ends of the 32-bit range, which no value can leave."""
    if value is None:
        return None
    low = (value // size) * size
    return max(low, INT_MIN), min(low + size - 1, INT_MAX)


# --- the corpus ------------------------------------------------------------------------


class Corpus:
    """Every article of the ingested folders, and the answers the API should give."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        self.facts = sorted(facts, key=lambda a: a.id)
        self.by_slug = {a.slug: a for a in self.facts}
        # Names as the newest article carrying them wrote them. Two articles of the same
        # moment writing different spellings would make this ambiguous (the docs do not
        # say which wins): the corpus must not have such ties (checked).
        self.topic_labels = self._labels(
            (slug, name, a)
            for a in self.facts
            for slug, name in zip(a.topic_slugs, a.topic_names, strict=True)
        )
        self.provider_labels = self._labels(
            (a.provider, a.provider_name or a.provider, a) for a in self.facts if a.provider
        )
        self.cited_by = self._citations()

    @staticmethod
    def _labels(spellings: Iterable[tuple[str, str, Fact]]) -> dict[str, str]:
        newest: dict[str, tuple[int, set[str]]] = {}
        for key, name, a in spellings:
            ts, names = newest.get(key, (a.published_ts, set()))
            if a.published_ts > ts:
                ts, names = a.published_ts, set()
            if a.published_ts == ts:
                names.add(name)
            newest[key] = (ts, names)
        ambiguous = {k: n for k, (_, n) in newest.items() if len(n) > 1}
        assert not ambiguous, f"newest-article labels are ambiguous: {ambiguous}"
        return {key: names.pop() for key, (_, names) in newest.items()}

    def _citations(self) -> dict[int, set[int]]:
        """target id -> ids of the articles whose `related` lists resolve to it.

        A reference resolves to the article holding its highest-priority URL; among
        articles sharing that URL, the first by path."""
        owners: dict[str, list[Fact]] = {}
        for a in self.facts:
            for url in a.urls:
                owners.setdefault(url, []).append(a)
        cited: dict[int, set[int]] = {}
        for a in self.facts:
            for urls in a.references:
                for url in urls:
                    if url in owners:
                        target = min(owners[url], key=lambda t: t.path)
                        cited.setdefault(target.id, set()).add(a.id)
                        break
        return cited

    @classmethod
    def load(cls, roots: Sequence[Path], ids: Mapping[str, int]) -> Corpus:
        """The articles of `roots`; `ids` maps each path to its internal database id."""
        facts = []
        for root in roots:
            for path, raw in article_files(root).items():
                facts.append(_fact(ids[path], path, parse_article(raw)))
        return cls(facts)

    # Lists --------------------------------------------------------------------------

    def scoped(self, scope: Scope) -> list[Fact]:
        kind, key = scope
        if kind == "all":
            return list(self.facts)
        if kind == "topic":
            return [a for a in self.facts if key in a.topic_slugs]
        if kind == "provider":
            return [a for a in self.facts if a.provider == key]
        if kind == "relatedBy":
            assert key is not None
            citing = self.cited_by.get(self.by_slug[key].id, set())
            return [a for a in self.facts if a.id in citing]
        raise ValueError(f"unknown scope {kind}")

    def select(self, scope: Scope, f: Filter | None) -> list[Fact]:
        return [a for a in self.scoped(scope) if matches(f, a)]

    def listing(self, scope: Scope, f: Filter | None, order_by: Order | None) -> list[Fact]:
        """The whole filtered list of a scope, in order: what paging must walk."""
        return ordered(self.select(scope, f), order_by)

    def ranks(self, listing: Iterable[Fact], order_by: Order | None) -> list[int]:
        """Each article's index in the whole corpus's list in the same order."""
        everything = ordered(self.facts, order_by)
        rank = {a.id: r for r, a in enumerate(everything)}
        return [rank[a.id] for a in listing]

    # Facets -------------------------------------------------------------------------

    def facet(
        self, scope: Scope, f: Filter | None, name: str, *, ignore_own: bool = False,
        bucket_size: int = 20,
    ) -> list[FacetEntry]:  # fmt: skip
        """Every value of facet `name` over the filtered list, unsorted."""
        facts = self.select(scope, without_own(f, name) if ignore_own else f)
        counts: Counter[tuple[str | int | None, str, int | None]] = Counter()
        for a in facts:
            counts.update(self._values(name, a, bucket_size))
        return [FacetEntry(v, label, c, high) for (v, label, high), c in counts.items()]

    def _values(
        self, name: str, a: Fact, size: int
    ) -> list[tuple[str | int | None, str, int | None]]:
        """(value, label, upper bound) of each value `a` adds to facet `name`."""
        if name in ("heat", "quality"):
            score = a.heat if name == "heat" else a.quality
            if name == "heat" and score is not None and score < 0:
                score = None  # heat below zero is how publishers write "unknown"
            bounds = bucket(score, size)
            if bounds is None:
                return [(None, "unknown", None)]
            return [(bounds[0], f"{bounds[0]}..{bounds[1]}", bounds[1])]
        return [(value, label, None) for value, label in self._named(name, a)]

    def _named(self, name: str, a: Fact) -> list[tuple[str, str]]:
        # Types and categories are grouped ignoring ASCII case and shown lower-cased.
        if name == "topics":
            return [(s, self.topic_labels[s]) for s in a.topic_slugs]
        if name == "providers":
            return [] if a.provider is None else [(a.provider, self.provider_labels[a.provider])]
        if name == "types":
            return [] if a.type is None else [(ascii_lower(a.type),) * 2]
        if name == "categories":
            return [] if a.category is None else [(ascii_lower(a.category),) * 2]
        if name == "published":
            return [] if a.published is None else [(str(a.published).lower(),) * 2]
        if name == "months":
            return [(a.month, a.month)]
        raise ValueError(f"unknown facet {name}")
