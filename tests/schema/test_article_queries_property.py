"""Property tests of the article lists against a plain-Python reference (tests/reference.py).

For random scopes, filters (nested `and`/`or`/`not`, empty lists, unknown values,
ranges), orders (1-3 keys, random directions) and page sizes, the API must agree with
the reference computed from the same files:

* walking every page forwards (first/after) and backwards (last/before) yields
  exactly the filtered list, in order, without duplicates, with correct pageInfo;
* windows (offsets, `after`, `before`, both, page size 0) are the reference's slices;
* `totalCount` and every facet (with and without `ignoreOwnFilter`) are the
  reference's counts, sorted and cut as asked;
* each filter field alone, and its `not`, counts what the reference counts;
* the same holds for each parent when 100 topics', providers' or articles' lists are
  asked in one request (their SQL is shared between parents).

The corpus is ingested once per module into a temporary database: the hand-written
fixtures, a few hundred synthetic articles (ties, missing values, related links) and a
handful of edge articles (see tests/schema/article_world.py: tied timestamps and
titles, case variants, extreme scores, month boundaries in other offsets).

Examples are derandomized by default (the `ci` profile in tests/conftest.py), so CI
runs the same examples every time; `--hypothesis-profile=explore` searches more widely.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from tests.reference import Fact, Filter, Order, Scope, ascii_lower, sort_facet
from tests.schema.article_strategies import (
    MAX_PAGE_SIZE,
    CursorWindow,
    filters,
    leaf_fields,
    orders,
    scopes,
    windows,
)
from tests.schema.article_world import (
    ARGS,
    PASS,
    SYNTHETIC_COUNT,
    World,
    check_page,
    fetch_page,
    list_document,
    list_of,
    open_world,
    slugs,
    window_arguments,
)

MAX_PAGES = 8  # page sizes are drawn so that a full walk takes at most this many pages


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with open_world(tmp_path_factory.mktemp("property")) as opened:
        yield opened


# --- properties -----------------------------------------------------------------------


def _size_class(n: int) -> str:
    for limit, name in ((0, "empty"), (1, "1"), (20, "2-20"), (200, "21-200")):
        if n <= limit:
            return name
    return ">200"


def _draw_list(
    data: st.DataObject, world: World
) -> tuple[Scope, Filter | None, Order | None, list[Fact]]:
    scope = data.draw(scopes(world.values), label="scope")
    f = data.draw(filters(world.values), label="filter")
    order = data.draw(orders(), label="orderBy")
    expected = world.corpus.listing(scope, f, order)
    note(f"reference list ({len(expected)}): {[a.slug for a in expected]}")
    event("scope", scope[0])
    event("filtered list", _size_class(len(expected)))
    return scope, f, order, expected


@given(data=st.data())
def test_walking_all_pages_both_ways_returns_the_reference_list(
    world: World, data: st.DataObject
) -> None:
    scope, f, order, expected = _draw_list(data, world)
    n = len(expected)
    size = data.draw(
        st.integers(min_value=max(1, math.ceil(n / MAX_PAGES)), max_value=MAX_PAGE_SIZE),
        label="page size",
    )
    # Forwards: first/after until hasNextPage is false.
    seen: list[str] = []
    after = None
    while True:
        page = fetch_page(world, scope, f, order, first=size, after=after)
        lo = len(seen)
        check_page(page, expected, lo, min(lo + size, n), size)
        seen += slugs(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [a.slug for a in expected]
    assert len(set(seen)) == len(seen)
    if n:  # past the end: an empty page, numbered as the page after the last
        page = fetch_page(world, scope, f, order, first=size, after=page["pageInfo"]["endCursor"])
        check_page(page, expected, n, n, size)
    # Backwards: last/before until hasPreviousPage is false.
    pages: list[list[str]] = []
    before = None
    while True:
        page = fetch_page(world, scope, f, order, last=size, before=before)
        hi = n - sum(len(p) for p in pages)
        check_page(page, expected, max(0, hi - size), hi, size)
        pages.insert(0, slugs(page))
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    walked = [slug for p in pages for slug in p]
    assert walked == [a.slug for a in expected]
    if n:  # before the start: an empty page
        page = fetch_page(world, scope, f, order, last=size, before=page["pageInfo"]["startCursor"])
        check_page(page, expected, 0, 0, size)


@given(data=st.data())
def test_offsets_and_cursor_windows_are_the_reference_slices(
    world: World, data: st.DataObject
) -> None:
    scope, f, order, expected = _draw_list(data, world)
    n = len(expected)
    sizes = st.one_of(st.integers(0, 5), st.integers(0, MAX_PAGE_SIZE))
    # Page-number navigation: first + offset, also beyond the end. A page past the end is
    # still numbered by its offset ("page n is offset (n - 1) x first").
    size = data.draw(sizes, label="first")
    offset = data.draw(st.integers(0, n + 3), label="offset")
    page = fetch_page(world, scope, f, order, first=size, offset=offset)
    lo = min(offset, n)
    check_page(page, expected, lo, min(lo + size, n), size, number=offset)
    # Cursor windows. A cursor is a position in the order, so one taken from another list
    # in the same order (here: the whole corpus, unfiltered) is as good as one of this
    # list: that is what keeps cursors valid when articles come and go between requests.
    ranks = world.corpus.ranks(expected, order)
    w = data.draw(windows(len(world.corpus.facts), ranks), label="window")
    lo, hi = w.expected_slice(ranks)
    page = fetch_page(world, scope, f, order, **window_arguments(world, order, w))
    check_page(page, expected, lo, hi, w.size)


FACETS = ("topics", "providers", "types", "categories", "published", "months")
BUCKETS = ("heat", "quality")
OWN_FIELDS = ["topics", "allTopics", "providers", "types", "categories", "published", "heat",
              "quality"]  # fmt: skip
FACET_ARGS = ", $facetFirst: Int!, $sort: FacetSort!, $bucketSize: Int!"


def _facet_selection() -> str:
    parts = []
    for ignore in (False, True):
        prefix = "own_" if ignore else ""
        flag = f"ignoreOwnFilter: {'true' if ignore else 'false'}"
        for name in FACETS:
            size = "" if name == "published" else "first: $facetFirst, "
            parts.append(f"{prefix}{name}: {name}({size}sort: $sort, {flag}) "
                         "{ value label count }")  # fmt: skip
        for name in BUCKETS:
            parts.append(f"{prefix}{name}: {name}(bucketSize: $bucketSize, sort: $sort, "
                         f"{flag}) {{ min max label count }}")  # fmt: skip
    return "totalCount facets { " + " ".join(parts) + " }"


def _expected_facet(
    world: World, scope: Scope, f: Filter | None, name: str, *, ignore: bool, sort: str,
    first: int, bucket_size: int,
) -> list[dict[str, Any]]:  # fmt: skip
    entries = sort_facet(
        world.corpus.facet(scope, f, name, ignore_own=ignore, bucket_size=bucket_size), sort
    )
    if name in BUCKETS:
        return [{"min": e.value, "max": e.high, "label": e.label, "count": e.count}
                for e in entries]  # fmt: skip
    if name != "published":
        entries = entries[:first]
    return [{"value": e.value, "label": e.label, "count": e.count} for e in entries]


@settings(max_examples=settings().max_examples * 4)  # one request per example
@given(data=st.data())
def test_total_count_and_facets_agree_with_the_reference(world: World, data: st.DataObject) -> None:
    scope = data.draw(scopes(world.values), label="scope")
    # A top-level field that some facet ignores under ignoreOwnFilter, and anything else.
    fields = leaf_fields(world.values)
    own = data.draw(st.sampled_from([*OWN_FIELDS, "period"]), label="own field")
    rest = data.draw(filters(world.values), label="filter") or {}
    if own == "period":  # two periods could cross, which is an error
        rest = {k: v for k, v in rest.items() if k not in ("publishedAfter", "publishedBefore")}
    f = {**rest, **data.draw(fields[own], label="own filter")}
    sort = data.draw(st.sampled_from(["COUNT", "VALUE"]), label="sort")
    first = data.draw(st.sampled_from([0, 1, 3, 10, *[MAX_PAGE_SIZE] * 3]), label="facet first")
    bucket_size = data.draw(st.sampled_from([1, 7, 20, 50, 1000]), label="bucket size")
    variables: dict[str, Any] = {"filter": f, "first": 0, "facetFirst": first, "sort": sort,
                                 "bucketSize": bucket_size}  # fmt: skip
    if scope[1] is not None:
        variables["key"] = scope[1]
    document = list_document(scope, _facet_selection(), FACET_ARGS)
    found = list_of(world.execute(document, variables), scope)
    assert found["totalCount"] == len(world.corpus.select(scope, f))
    # `not` keeps exactly the rest of the scope: a missing value (SQL NULL) inside the
    # filter must not drop an article from both sides.
    rest = fetch_page(world, scope, {"not": f or {}}, None, first=0)["totalCount"]
    assert found["totalCount"] + rest == len(world.corpus.scoped(scope))
    for ignore in (False, True):
        for name in (*FACETS, *BUCKETS):
            shown = found["facets"][("own_" if ignore else "") + name]
            expected = _expected_facet(world, scope, f, name, ignore=ignore, sort=sort,
                                       first=first, bucket_size=bucket_size)  # fmt: skip
            assert shown == expected, (name, "ignoreOwnFilter" if ignore else "")


@settings(max_examples=settings().max_examples * 8)  # two cheap counts per example
@given(data=st.data())
def test_each_filter_field_alone_and_its_negation_count_as_the_reference(
    world: World, data: st.DataObject
) -> None:
    """Each field's own rule (case, trimming, ranges, missing values), where nesting and
    other fields cannot hide it; `not` must keep exactly the other articles."""
    scope = data.draw(scopes(world.values), label="scope")
    fields = leaf_fields(world.values)
    field = data.draw(st.sampled_from([*sorted(fields), "period"]), label="field")
    f = data.draw(fields[field], label="filter")
    document = list_document(scope, "totalCount")
    for sent in (f, {"not": f}):
        variables: dict[str, Any] = {"filter": sent}
        if scope[1] is not None:
            variables["key"] = scope[1]
        shown = list_of(world.execute(document, variables), scope)["totalCount"]
        assert shown == len(world.corpus.select(scope, sent)), sent


def test_reference_reads_the_edge_cases_the_properties_rely_on(world: World) -> None:
    """Guards the corpus: without these the properties would not see ties or gaps."""
    facts = world.corpus.facts
    assert len(facts) > SYNTHETIC_COUNT
    stamps = [a.published_ts for a in facts]
    assert len(stamps) > len(set(stamps)), "no tied publication times"
    titles = [a.title.casefold() for a in facts]
    assert len(titles) > len(set(titles)), "no titles equal under case folding"
    assert any(a.heat is None for a in facts) and any(a.quality is None for a in facts)
    assert any(a.published is None for a in facts) and any(a.provider is None for a in facts)
    assert any(ascii_lower(a.type or "") != (a.type or "") for a in facts)
    assert len(world.corpus.cited_by) > 5


# Lists of many parents in one request: each parent's page, count and facets come from
# statements shared by all parents (UNION ALL branches, GROUP BY parent).
BATCHES = {
    "topic": "parents: topics(first: 100) "
    "{ nodes { key: slug list: articles(PASS) { ...Batch } } }",
    "provider": "parents: providers(first: 100) "
    "{ nodes { key: domain list: articles(PASS) { ...Batch } } }",
    "relatedBy": "parents: articles(first: 100, filter: {slugs: $keys}) "
    "{ nodes { key: slug list: relatedBy(PASS) { ...Batch } } }",
}
BATCH = """
fragment Batch on ArticleConnection {
  totalCount
  edges { cursor node { slug } }
  pageInfo { startCursor endCursor hasNextPage hasPreviousPage pageSize currentPage pageCount }
  facets {
    topics(first: 5) { value label count }
    quality(ignoreOwnFilter: true) { min max label count }
  }
}
"""
BATCH_PAGE_SIZE = 20  # keeps 100 parents' pages within the query cost budget


@given(data=st.data())
def test_pages_of_many_parents_in_one_request_agree_with_the_reference(
    world: World, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(sorted(BATCHES)), label="parents")
    f = data.draw(filters(world.values), label="filter")
    order = data.draw(orders(), label="orderBy")
    size = data.draw(st.integers(0, BATCH_PAGE_SIZE), label="page size")
    offset = data.draw(st.one_of(st.none(), st.integers(0, 30)), label="offset")
    # One cursor window for every parent (drawn against the whole corpus).
    window = None
    if offset is None:
        window = data.draw(windows(len(world.corpus.facts), []), label="window")
        window = CursorWindow(window.after_at, window.before_at, window.backwards, size)
    variables: dict[str, Any] = {"filter": f, "orderBy": order}
    if window is not None:
        variables.update(window_arguments(world, order, window))
    else:
        variables.update(first=size, offset=offset)
    args = ARGS + (", $keys: [String!]" if kind == "relatedBy" else "")
    if kind == "relatedBy":
        variables["keys"] = world.values.cited[:98] + world.values.slugs[:2]
    document = f"query B({args}) {{ {BATCHES[kind].replace('PASS', PASS)} }}" + BATCH
    parents = world.execute(document, variables)["parents"]["nodes"]
    assert len(parents) > 1
    event("parents", kind)
    for parent in parents:
        scope = (kind, parent["key"])
        expected = world.corpus.listing(scope, f, order)
        page = parent["list"]
        if window is None:
            assert offset is not None
            lo = min(offset, len(expected))
            check_page(page, expected, lo, min(lo + size, len(expected)), size, number=offset)
        else:
            lo, hi = window.expected_slice(world.corpus.ranks(expected, order))
            check_page(page, expected, lo, hi, size)
        topics = sort_facet(world.corpus.facet(scope, f, "topics"), "COUNT")[:5]
        assert page["facets"]["topics"] == [
            {"value": e.value, "label": e.label, "count": e.count} for e in topics
        ]
        quality = sort_facet(world.corpus.facet(scope, f, "quality", ignore_own=True), "COUNT")
        assert page["facets"]["quality"] == [
            {"min": e.value, "max": e.high, "label": e.label, "count": e.count} for e in quality
        ]
