"""Hypothesis strategies for article-list requests, drawn from a corpus's own values.

Filters use the corpus's topics, providers, types, categories, slugs, moments and
scores (in case variants, with whitespace, and now and then a value no article has),
so that they select something; orders have 1-3 keys with random directions; cursor
windows are positions in the whole corpus's order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from tests.reference import EPOCH, NATURAL_DESCENDING, Corpus, Scope, micros

MAX_PAGE_SIZE = 100


def _case_variants(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, text.upper(), text.lower(), text.title(), f" {text} "])


@dataclass(frozen=True, repr=False)
class Values:
    """What the strategies draw from. Its repr is short: Hypothesis shows the arguments
    of composite strategies (`filters(values)`) in messages and examples."""

    topics: list[str]  # names as written, and slugs
    providers: list[str]
    types: list[str]
    categories: list[str]
    slugs: list[str]
    moments: list[int]  # published_ts of articles
    scores: list[int]  # quality and heat values
    topic_scopes: list[str]
    provider_scopes: list[str]
    cited: list[str]  # slugs of articles that others cite

    def __repr__(self) -> str:
        return f"Values({len(self.slugs)} articles)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _largest_first(corpus: Corpus, kind: str, keys: Iterable[str]) -> list[str]:
    return sorted(keys, key=lambda key: (-len(corpus.scoped((kind, key))), key))


def values_of(corpus: Corpus) -> Values:
    facts = corpus.facts
    return Values(
        topics=sorted({n for a in facts for n in (*a.topic_names, *a.topic_slugs)}),
        providers=sorted({a.provider for a in facts if a.provider}),
        types=sorted({a.type for a in facts if a.type}),
        categories=sorted({a.category for a in facts if a.category}),
        slugs=sorted(a.slug for a in facts),
        moments=sorted({a.published_ts for a in facts}),
        scores=sorted({v for a in facts for v in (a.quality, a.heat) if v is not None}),
        topic_scopes=_largest_first(corpus, "topic", corpus.topic_labels),
        provider_scopes=_largest_first(corpus, "provider", corpus.provider_labels),
        cited=_largest_first(
            corpus, "relatedBy", [a.slug for a in facts if a.id in corpus.cited_by]
        ),
    )


def _sometimes_null(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An explicit null (no constraint) a quarter of the time."""
    return st.one_of(values, values, values, st.none())


def _text_values(known: list[str], unknown: str, *, cased: bool = True) -> st.SearchStrategy[str]:
    pick = st.sampled_from(known)
    if cased:
        pick = pick.flatmap(_case_variants)
    return st.one_of(pick, pick, pick, st.just(unknown))  # a value no article has, now and then


def _moment_text(ts: int, form: int) -> str:
    moment = EPOCH + timedelta(microseconds=ts)
    if form == 0:
        return moment.isoformat().replace("+00:00", "Z")
    if form == 1:
        return moment.replace(tzinfo=None).isoformat()  # naive: read as UTC
    if form == 2:
        return moment.date().isoformat()  # a date: midnight UTC
    return moment.astimezone(timezone(timedelta(hours=form - 6))).isoformat()


def _moments(v: Values) -> st.SearchStrategy[int]:
    # An article's own moment (bounds are inclusive/exclusive there) or just beside it.
    near = st.tuples(st.sampled_from(v.moments), st.sampled_from([0, 0, -1, 1, 3_600_000_000]))
    anywhere = st.integers(min_value=v.moments[0] - 10**13, max_value=v.moments[-1] + 10**13)
    return st.one_of(near.map(sum), near.map(sum), near.map(sum), anywhere)


def _ranges(v: Values) -> st.SearchStrategy[dict[str, int | None] | None]:
    bound = st.one_of(
        st.none(),
        st.sampled_from(v.scores),
        st.sampled_from([-(2**31), -2, -1, 0, 1, 19, 20, 2**31 - 1]),
        st.integers(min_value=-50, max_value=250),
    )

    def ordered(pair: tuple[int | None, int | None]) -> dict[str, int | None] | None:
        low, high = pair
        if low is None and high is None:
            # Whether `{min: null, max: null}` tests for a value is not documented: the
            # API ignores it, while "a missing value never matches a field that tests
            # it" suggests articles without the score fail it. Not generated until decided.
            return None
        if low is not None and high is not None and low > high:
            low, high = high, low
        return {"min": low, "max": high}

    return _sometimes_null(st.tuples(bound, bound).map(ordered))


def _period(v: Values) -> st.SearchStrategy[dict[str, str]]:
    """publishedAfter and/or publishedBefore, in any of the accepted text forms."""
    bound = st.one_of(st.none(), _moments(v))

    def texts(p: tuple[int | None, int | None, int, int]) -> dict[str, str]:
        after, before, after_form, before_form = p
        if after is not None and before is not None:
            after, before = sorted((after, before))
        given = {
            k: _moment_text(ts, form)
            for k, ts, form in (("publishedAfter", after, after_form),
                                ("publishedBefore", before, before_form))
            if ts is not None
        }  # fmt: skip
        # A date-only text can move a bound; bounds that meet are an error.
        if len(given) == 2 and micros(given["publishedAfter"]) >= micros(given["publishedBefore"]):
            given.pop("publishedBefore")
        return given

    return st.tuples(bound, bound, st.integers(0, 9), st.integers(0, 9)).map(texts)


def leaf_fields(v: Values) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """Per filter field (the period is one), filters that set only that field."""

    def lists(values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str] | None]:
        return _sometimes_null(st.lists(values, max_size=3))

    def flag() -> st.SearchStrategy[bool | None]:
        return _sometimes_null(st.booleans())

    values: dict[str, st.SearchStrategy[Any]] = {
        "topics": lists(_text_values(v.topics, "no-such-topic")),
        "allTopics": lists(_text_values(v.topics, "No Such Topic")),
        "providers": lists(_text_values(v.providers, "nowhere.example")),
        "types": lists(_text_values(v.types, "podcasts")),
        "categories": lists(_text_values(v.categories, "sports")),
        "published": flag(),
        "quality": _ranges(v),
        "heat": _ranges(v),
        "hasImage": flag(),
        "hasRelated": flag(),
        "slugs": lists(_text_values(v.slugs, "no-such-slug", cased=False)),
    }
    fields = {
        name: strategy.map(lambda value, name=name: {name: value})
        for name, strategy in values.items()
    }
    return {**fields, "period": _period(v)}


@st.composite
def _leaf_filters(draw: st.DrawFn, v: Values) -> dict[str, Any]:
    """Up to two fields (so that filters often keep more than a few articles), each
    drawn on its own: a list of distinct names would favour the first few."""
    fields = leaf_fields(v)
    names = [*sorted(fields), "period"]  # the period stands for two fields
    chosen = {draw(st.sampled_from(names)): None for _ in range(draw(st.integers(0, 2)))}
    return {k: value for name in chosen for k, value in draw(fields[name]).items()}


def _combined(parts: tuple[dict[str, Any], Any, Any, Any]) -> dict[str, Any]:
    leaf, *nested = parts
    combinators = zip(("and", "or", "not"), nested, strict=True)
    return {**leaf, **{name: child for name, child in combinators if child is not None}}


def filters(v: Values) -> st.SearchStrategy[dict[str, Any] | None]:
    leaf = _leaf_filters(v)

    def combine(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.tuples(
            leaf,
            st.one_of(st.none(), st.lists(children, max_size=2)),
            st.one_of(st.none(), st.lists(children, min_size=1, max_size=3)),
            st.one_of(st.none(), children),
        ).map(_combined)

    return st.one_of(st.none(), leaf, st.recursive(leaf, combine, max_leaves=6))


def orders() -> st.SearchStrategy[list[dict[str, Any]] | None]:
    key = st.tuples(st.sampled_from(sorted(NATURAL_DESCENDING)),
                    st.sampled_from([None, "ASC", "DESC"]))  # fmt: skip
    keys = st.lists(key, min_size=1, max_size=3, unique_by=lambda k: k[0]).map(
        lambda ks: [{"field": f} if d is None else {"field": f, "direction": d} for f, d in ks]
    )
    return st.one_of(keys, keys, keys, keys, st.none(), st.just([]))  # both mean newest first


@st.composite
def scopes(draw: st.DrawFn, v: Values) -> Scope:
    """The whole corpus half of the time; otherwise a topic, provider or cited article,
    the largest ones (by article count) as often as all the others together."""
    kind = draw(st.sampled_from(["all", "all", "all", "topic", "provider", "relatedBy"]))
    if kind == "all":
        return ("all", None)
    keys = {"topic": v.topic_scopes, "provider": v.provider_scopes, "relatedBy": v.cited}[kind]
    return (kind, draw(st.one_of(st.sampled_from(keys[:5]), st.sampled_from(keys))))


@dataclass(frozen=True)
class CursorWindow:
    """A page request between two positions, given as ranks in the whole corpus's order."""

    after_at: int | None
    before_at: int | None
    backwards: bool  # `last` instead of `first`
    size: int

    def expected_slice(self, ranks: list[int]) -> tuple[int, int]:
        """The page as a slice lo:hi of a list whose items have these corpus ranks; an
        empty page sits where `first` starts (after `after`) or `last` ends (before
        `before`), which is what its pageInfo describes."""
        after, before = self.after_at, self.before_at
        inside = [
            i
            for i, r in enumerate(ranks)
            if (after is None or r > after) and (before is None or r < before)
        ]
        if inside:
            lo, hi = inside[0], inside[-1] + 1
        elif before is not None:
            lo = hi = sum(r < before for r in ranks)
        else:
            lo = hi = len(ranks) if after is None else sum(r <= after for r in ranks)
        return (max(lo, hi - self.size), hi) if self.backwards else (lo, min(hi, lo + self.size))


@st.composite
def windows(draw: st.DrawFn, corpus_size: int, ranks: list[int]) -> CursorWindow:
    """A window between ranks in the whole corpus's order (often ranks of `ranks`)."""
    anywhere = st.integers(0, corpus_size - 1)
    position = st.one_of(st.sampled_from(ranks), anywhere) if ranks else anywhere
    after_at = draw(st.one_of(st.none(), position))
    before_at = draw(st.one_of(st.none(), position))
    if after_at is not None and before_at is not None:
        # after == before names no window at all (the API then says that items both
        # precede and follow the empty page, which is fair): not a case worth a rule.
        after_at, before_at = sorted((after_at, before_at))
        if after_at == before_at:
            before_at = None
    size = draw(st.one_of(st.integers(0, 5), st.integers(0, MAX_PAGE_SIZE)))
    return CursorWindow(after_at, before_at, draw(st.booleans()), size)
