"""The fast execution paths answer exactly what Strawberry and graphql-core would."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from loaders.reader import Reader
from schema.build import Policy, build_schema, execute_query, prepare, schema
from schema.context import Context

PLAIN = build_schema(fast_paths=False)

QUERIES = [
    # leaves of every scalar kind, nulls, enums-free objects, lists, aliases, fragments
    """{ articles(first: 30, orderBy: [{field: TITLE}]) { totalCount pageInfo { hasNextPage
      hasPreviousPage startCursor endCursor currentPage pageCount pageSize }
      edges { cursor node { id slug path title excerpt category type publishedAt originalUrl
        webUrl ampUrl cdnAmpUrl quality heat published featuredContent body
        provider { id name domain articleCount images { url width height isCached aspectRatio } }
        topics { id name slug articleCount } images { url aspectRatio }
        related { position title webUrl publishedAt provider { name domain provider { id } }
          article { slug topics { name } } normalizedUrl }
        relatedBy(first: 2) { totalCount nodes { slug } } } } } }""",
    """query ($s: String) { a: article(slug: $s) { t: title ...F } b: article(slug: "late") {
      ...F } } fragment F on Article { slug provider { name } topics { slug } }""",
    """{ topics(first: 5) { nodes { name articles(first: 2, orderBy: [{field: HEAT}]) {
      nodes { slug heat quality } facets { types { value label count } } } } } }""",
    """{ nodes(ids: ["QXJ0aWNsZTpsYXRlLm1k"]) { id ... on Article { title } } }""",
    """{ article(slug: "no-such") { title } corpus { version } }""",
    """{ articles(first: 1) { nodes { title @include(if: false) slug @skip(if: false) } } }""",
    # page info that needs a statement (the page count without totalCount loaded ahead;
    # whether anything precedes a page after a cursor): plans give up on it
    """{ articles(first: 2, offset: 3) { pageInfo { hasPreviousPage currentPage pageCount } }
      topics(first: 1) { nodes { articles(first: 1, after: "bad") { pageInfo {
        hasPreviousPage } } } } }""",
    # articles nobody loaded ahead: plans give up on the first awaitable and graphql-core
    # runs the selection as usual
    """{ article(slug: "early") { similar(first: 3) { score article { slug provider { name }
      topics { name } images { url } } } } }""",
    # highlights loaded ahead with markers from literals, variables and defaults
    """query ($s: String) { search(query: "graphs OR ordering", first: 5) { totalCount
      edges { score h: highlights(start: $s, snippetWords: 3) { title excerpt body }
        highlights { title } bad: highlights(snippetWords: 0) { title } node { slug } } } }""",
    # snippets asked for under one alias only, and not at all
    """{ search(query: "graphs OR ordering", first: 5) { edges { a: highlights { title }
      b: highlights { excerpt body } } } s: search(query: "graphs") { edges {
      highlights { title excerpt } } } }""",
    # the same answered by plans: literal markers and defaults
    # arguments of lean resolvers: input objects and lists of them from literals and
    # variables (converted by Strawberry), scalars passed as they are, and bad values
    """query ($f: ArticleFilter, $q: Int) { articles(first: 5, filter: {or: [{topics:
      ["graphs"]}, {not: {published: true}}], publishedAfter: "2020-01-01T00:00:00Z",
      quality: {min: 0}}, orderBy: [{field: QUALITY, direction: ASC}, {field: TITLE}]) {
        totalCount nodes { slug quality } }
      t: topic(slug: "Graphs") { name articles(first: 2, filter: $f, orderBy: []) {
        nodes { slug } } }
      s: search(query: "graphs", filter: {hasImage: false}, first: $q) { totalCount }
      bad: topic(slug: "graphs") { articles(first: -1, filter: {types: ["x"]}) {
        totalCount } } }""",
    """{ search(query: "graphs OR ordering", first: 5) { edges { cursor score
      h: highlights(start: "[", end: "]", ellipsis: "...", snippetWords: 4) { title body }
      highlights { title excerpt body } node { slug provider { name } } } } }""",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_fast_paths_give_the_same_response(reader: Reader, query: str) -> None:
    def run(which: Any) -> Any:
        return which.execute(
            query,
            variable_values={"s": "early", "f": {"hasImage": True, "quality": {"max": 90}}},
            context_value=Context(db=reader),
        )

    fast, plain = await run(schema), await run(PLAIN)
    assert fast.data == plain.data
    assert [e.formatted for e in fast.errors or []] == [e.formatted for e in plain.errors or []]
    assert fast.data is not None or fast.errors


def test_the_per_article_resolvers_skip_strawberrys_wrapper() -> None:
    article = schema._schema.type_map["Article"]
    called = {n: f.resolve.__qualname__ for n, f in article.fields.items()}  # type: ignore[union-attr]
    direct = {n for n, name in called.items() if name.startswith("_calling.")}
    assert {"provider", "topics", "images", "related", "body"} <= direct
    # Fields with arguments other than scalars are not direct: lean (Strawberry converts
    # those arguments) or Strawberry's own wrapper.
    assert "relatedBy" not in direct and "similar" not in direct
    assert called["relatedBy"].startswith("_calling_lean.")
    query = schema._schema.type_map["Query"].fields  # type: ignore[union-attr]
    for name in ("articles", "article", "topic", "search"):
        assert query[name].resolve.__qualname__.startswith("_calling_lean."), name
    highlights = schema._schema.type_map["SearchEdge"].fields["highlights"]  # type: ignore[union-attr]
    assert highlights.resolve.__qualname__.startswith("_calling")  # type: ignore[union-attr]


async def test_a_loaded_page_is_answered_by_plans(reader: Reader) -> None:
    from schema import plans

    plans._CACHE.clear()
    query = """{ articles(first: 5) { edges { cursor node { slug title provider { name }
      topics { name } images { url } } } pageInfo { hasNextPage endCursor } } }"""
    await schema.execute(query, context_value=Context(db=reader))
    planned = {key[0]: p.entries for key, (_, p) in plans._CACHE.items() if p is not None}
    # The whole connection is one plan: edges, their nodes, the nodes' loaded levels,
    # and the page info.
    edges, page_info = planned["ArticleConnection"]
    assert page_info.plan is not None
    assert [e.name for e in page_info.plan] == ["hasNextPage", "endCursor"]
    assert edges.plan is not None
    node = {entry.name: entry for entry in edges.plan}["node"]
    assert node.plan is not None
    assert {"slug", "title", "provider", "topics", "images"} == {e.name for e in node.plan}


@pytest.mark.parametrize(
    ("arguments", "planned"),
    [("", True), ('(start: "[", snippetWords: 4)', True), ("(start: $s)", False)],
)
async def test_search_hits_are_planned_unless_a_variable_sets_their_markers(
    reader: Reader, arguments: str, planned: bool
) -> None:
    from schema import plans

    plans._CACHE.clear()
    declared = "($s: String)" if "$s" in arguments else ""
    query = f"""query {declared} {{ search(query: "graphs", first: 3) {{ edges {{ score
      highlights{arguments} {{ title }} node {{ slug }} }} }} }}"""
    result = await schema.execute(
        query, variable_values={"s": "<"}, context_value=Context(db=reader)
    )
    assert result.errors is None and result.data["search"]["edges"]
    hits = [plan for key, (_, plan) in plans._CACHE.items() if key[0].startswith("Search")]
    assert hits and all(plan is not None for plan in hits) is planned


async def test_every_execution_runs_the_plans_of_a_repeated_document(
    reader: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan is found per execution by its field set's id; the root's field set is
    freed after use, and its id, reused by a nested set, once made that set look
    unplanned in most executions."""
    from schema import execution, plans

    runs: list[str] = []

    def counting(parent_type: Any, *args: Any) -> Any:
        planned = plans.cached_plan(parent_type, *args)
        if planned is None or not parent_type.name.endswith("Connection"):
            return planned

        def run(source: Any, context: Any) -> Any:
            runs.append(parent_type.name)
            return planned.run(source, context)

        return plans.Planned(planned.entries, run)

    monkeypatch.setattr(execution, "cached_plan", counting)
    query = """query ($q: String!) { search(query: $q, first: 3) { totalCount
      edges { score highlights { title } node { slug provider { name } } } } }"""
    for word in ["graphs", "ordering", "search"] * 10:
        result = await schema.execute(
            query, variable_values={"q": word}, context_value=Context(db=reader)
        )
        assert result.errors is None
    assert runs == ["SearchConnection"] * 30


def test_a_failing_read_leaves_the_field_to_graphql_core() -> None:
    """A read that raises must not escape a plan: graphql-core then reports the error at
    the field's own path, not at its parent's."""
    from schema.plans import Entry, Fallback, Kind, answer_leaf, run_plan

    def broken(source: Any, context: Any) -> Any:
        raise AttributeError("no such attribute")

    entry = Entry("title", broken, Kind.LEAF, True, serialize=str)
    with pytest.raises(Fallback):
        run_plan([entry], object(), None)
    with pytest.raises(Fallback):
        answer_leaf(entry, object(), None)


async def test_page_info_a_plan_gives_up_on_leaves_no_coroutine_unawaited(reader: Reader) -> None:
    """A pending page-info answer (here the page count, which needs the list's size) makes
    the plan give up; what it dropped is closed, not left to warn "never awaited"."""
    import gc
    import warnings

    query = "{ articles(first: 2, offset: 2) { pageInfo { pageCount currentPage } } }"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fast = await schema.execute(query, context_value=Context(db=reader))
        gc.collect()
    plain = await PLAIN.execute(query, context_value=Context(db=reader))
    assert fast.errors is None and fast.data == plain.data
    assert fast.data["articles"]["pageInfo"]["pageCount"] >= 1
    assert not [w for w in caught if "never awaited" in str(w.message)]


# An error raised while a resolver is awaited keeps graphql-core's frames in its
# traceback, a cycle that only such errors pay for (a bad cursor here).
WITHOUT_AWAITED_ERRORS = [query for query in QUERIES if 'after: "bad"' not in query]


@pytest.mark.parametrize("query", WITHOUT_AWAITED_ERRORS)
async def test_an_execution_leaves_no_reference_cycles(reader: Reader, query: str) -> None:
    """What a request made is freed when it ends, by reference counting: left to the
    cyclic collector, it ran every few requests (~8% of a cold page at 100,000 articles)."""
    prepared = prepare(query, Policy())
    variables = {"s": "early", "f": {"hasImage": True, "quality": {"max": 90}}}

    async def run() -> Any:
        return await execute_query(prepared, Context(db=reader), variables, None)

    await run()  # the first use fills the process's caches (plans, leaves)
    gc.collect()
    flags = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds is kept in gc.garbage
    try:
        result = await run()
        gc.collect()
        left = sorted({type(o).__qualname__ for o in gc.garbage})
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()
    assert result.data is not None or result.errors
    assert left == []
