"""The GraphQL schema through `schema.execute` against the fixture corpus."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLNamedType, get_named_type

from loaders.reader import Reader
from schema.build import SDL_PATH, Policy, prepare, schema, sdl
from schema.context import Context
from tests.conftest import Execute, ok
from tests.statements import StatementCounter

ARTICLE_BY = """
query ($slug: String, $url: String, $id: ID) {
  article(slug: $slug, url: $url, id: $id) { id slug path title publishedAt }
}
"""

FEED = """
query ($first: Int, $after: String) {
  articles(first: $first, after: $after) {
    totalCount
    edges { cursor node { slug publishedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

FEED_NESTED = """
query ($first: Int) {
  articles(first: $first) {
    nodes {
      title
      provider { name domain }
      topics { name }
      images { url aspectRatio }
      related { title article { slug provider { name } } provider { name provider { domain } } }
    }
  }
}
"""


def test_committed_sdl_matches_the_code() -> None:
    assert SDL_PATH.read_text() == sdl(), (
        "schema/schema.graphql is stale: run `newsgraph schema > schema/schema.graphql`"
    )


def test_every_type_field_and_argument_is_described() -> None:
    missing = []
    for name, gql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        named: GraphQLNamedType = get_named_type(gql_type)
        if not named.description:
            missing.append(name)
        for field_name, field in getattr(named, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []


async def test_article_by_slug_url_and_id_agree(execute: Execute) -> None:
    by_slug = ok(await execute(ARTICLE_BY, slug="late"))["article"]
    assert by_slug["path"] == "late.md"
    by_id = ok(await execute(ARTICLE_BY, id=by_slug["id"]))["article"]
    assert by_id == by_slug
    target = ok(await execute('{ article(slug: "early") { related { webUrl } } }'))
    url = target["article"]["related"][0]["webUrl"]  # late.md's URL with utm params
    assert ok(await execute(ARTICLE_BY, url=url))["article"] == by_slug


async def test_article_by_any_url_after_normalization(execute: Execute) -> None:
    amp = ok(await execute('{ article(slug: "amp_target") { ampUrl } }'))["article"]["ampUrl"]
    variant = amp.replace("https://", "http://").rstrip("/") + "#top"
    found = ok(await execute(ARTICLE_BY, url=variant))["article"]
    assert found["slug"] == "amp_target"


async def test_duplicate_web_urls_resolve_to_the_first_path(execute: Execute) -> None:
    url = ok(await execute('{ article(slug: "dup_b") { webUrl } }'))["article"]["webUrl"]
    assert ok(await execute(ARTICLE_BY, url=url))["article"]["slug"] == "dup_a"


@pytest.mark.parametrize(
    "variables",
    [{}, {"slug": "late", "url": "https://example.com/x"}],
)
async def test_article_needs_exactly_one_argument(execute: Execute, variables: Any) -> None:
    result = await execute(ARTICLE_BY, **variables)
    assert result.errors[0].message.startswith("pass exactly one of `slug`, `url` or `id`")
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT"}


async def test_unknown_article_is_null(execute: Execute) -> None:
    assert ok(await execute(ARTICLE_BY, slug="no-such"))["article"] is None
    assert ok(await execute(ARTICLE_BY, url="https://nowhere.example/x"))["article"] is None


async def test_paging_forward_visits_every_article_once_newest_first(execute: Execute) -> None:
    seen: list[dict[str, Any]] = []
    after = None
    pages = 0
    while True:
        conn = ok(await execute(FEED, first=4, after=after))["articles"]
        seen.extend(e["node"] for e in conn["edges"])
        assert conn["pageInfo"]["hasPreviousPage"] == (after is not None)
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    total = conn["totalCount"]
    assert len(seen) == total == len({a["slug"] for a in seen})
    stamps = [a["publishedAt"] for a in seen]
    assert stamps == sorted(stamps, reverse=True)
    assert pages == -(-total // 4)


async def test_cursors_stay_valid_when_articles_are_added(tmp_path: Any, content: Any) -> None:
    from loaders.ingest import ingest

    db_path = tmp_path / "n.db"
    await ingest(db_path, [content])
    reader = await Reader.open(db_path, size=1)
    try:
        run = lambda q, **v: schema.execute(q, variable_values=v, context_value=Context(db=reader))  # noqa: E731
        first = ok(await run(FEED, first=3))["articles"]
        rest_before = ok(await run(FEED, first=100, after=first["pageInfo"]["endCursor"]))
        (content / "newest.md").write_text("---\ntitle: N\npublishedDateTime: 2099-01-01\n---\n")
        await ingest(db_path, [content])
        rest_after = ok(await run(FEED, first=100, after=first["pageInfo"]["endCursor"]))
        assert rest_after["articles"]["edges"] == rest_before["articles"]["edges"]
    finally:
        await reader.close()


@pytest.mark.parametrize(
    ("first", "code"), [(101, "PAGE_SIZE_OUT_OF_RANGE"), (-1, "PAGE_SIZE_OUT_OF_RANGE")]
)
async def test_page_size_limits(execute: Execute, first: int, code: str) -> None:
    result = await execute(FEED, first=first)
    assert result.errors[0].extensions == {"code": code}
    assert "between 0 and 100" in result.errors[0].message


@pytest.mark.parametrize(
    "cursor", ["garbage", "", "dG9waWNzLmNvdW50OjE6YQ", "YXJ0aWNsZXMubmV3ZXN0Onh4Onl5"]
)
async def test_bad_cursors_are_clear_errors(execute: Execute, cursor: str) -> None:
    result = await execute(FEED, first=2, after=cursor)
    if cursor == "":
        assert result.errors is None  # an empty `after` means "from the start"
        return
    assert result.errors[0].extensions == {"code": "INVALID_CURSOR"}
    assert "cursor" in result.errors[0].message


async def test_unexpected_errors_are_masked(reader: Reader) -> None:
    await reader.close()  # every statement now fails inside aiosqlite/sqlite3
    result = await schema.execute(
        FEED, variable_values={"first": 1}, context_value=Context(db=reader)
    )
    assert [e.message for e in result.errors] == ["Unexpected error."]
    assert result.errors[0].extensions in (None, {})


async def test_node_and_nodes_refetch_every_type(execute: Execute) -> None:
    data = ok(await execute(
        "{ article(slug: \"crlf\") { id provider { id domain } topics { id slug } } }"
    ))["article"]  # fmt: skip
    ids = [data["id"], data["provider"]["id"], data["topics"][0]["id"]]
    query = """query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on Article { slug } ... on Provider { domain } ... on Topic { slug } } }"""
    nodes = ok(await execute(query, ids=ids))["nodes"]
    assert [n["__typename"] for n in nodes] == ["Article", "Provider", "Topic"]
    assert [n["id"] for n in nodes] == ids
    bad = await execute('{ node(id: "bm90LWEtbm9kZQ") { id } }')
    assert bad.errors[0].extensions == {"code": "INVALID_ID"}


async def test_providers_and_topics_pages(execute: Execute) -> None:
    query = """query ($after: String) { topics(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { slug articleCount } } }"""
    seen: list[Any] = []
    after = None
    while True:
        page = ok(await execute(query, after=after))["topics"]
        seen.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == page["totalCount"] == len({t["slug"] for t in seen})
    counts = [t["articleCount"] for t in seen]
    assert counts == sorted(counts, reverse=True)
    providers = ok(await execute("{ providers(first: 100) { totalCount nodes { domain } } }"))
    assert len(providers["providers"]["nodes"]) == providers["providers"]["totalCount"]


async def test_topic_and_provider_lookups_are_case_insensitive(execute: Execute) -> None:
    topic = ok(await execute('{ topic(slug: "LOGISTICS") { name articles { totalCount } } }'))
    assert topic["topic"]["name"] == "Logistics"
    assert topic["topic"]["articles"]["totalCount"] >= 1
    provider = ok(await execute('{ provider(domain: "Example.COM") { domain articleCount } }'))
    assert provider["provider"]["domain"] == "example.com"


async def test_related_graph_both_directions(execute: Execute) -> None:
    data = ok(await execute("""{
      a: article(slug: "cycle_a") { related { article { slug } }
                                    relatedBy { totalCount nodes { slug } } }
      s: article(slug: "self_ref") { related { article { slug } } relatedBy { nodes { slug } } }
    }"""))  # fmt: skip
    assert data["a"]["related"] == [{"article": {"slug": "cycle_b"}}]
    assert data["a"]["relatedBy"] == {"totalCount": 1, "nodes": [{"slug": "cycle_b"}]}
    assert data["s"]["related"][0]["article"]["slug"] == "self_ref"
    assert data["s"]["relatedBy"]["nodes"] == [{"slug": "self_ref"}]


@pytest.mark.parametrize("query", [FEED_NESTED])
async def test_nested_page_costs_constant_statements(reader: Reader, query: str) -> None:
    counter = StatementCounter()
    counts = {}
    await reader.set_trace(counter)
    try:
        for first in (1, 5, 50):
            counter.clear()
            result = await schema.execute(
                query, variable_values={"first": first}, context_value=Context(db=reader)
            )
            assert ok(result)["articles"]["nodes"]
            counts[first] = len(counter.statements)
    finally:
        await reader.set_trace(None)
    # page, providers, topics, related, related targets, their providers, reference
    # providers: at most one statement each however long the page is (fewer when the
    # DataLoader cache already holds every row a level needs; images come with the rows).
    assert max(counts.values()) <= 7, counts
    assert counts[50] <= counts[1], counts


async def test_a_card_page_reads_images_and_topic_ids_with_its_rows(reader: Reader) -> None:
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        result = await schema.execute(
            "{ articles(first: 20) { nodes { slug provider { name } topics { slug } "
            "images { url } } } }",
            context_value=Context(db=reader),
        )
    finally:
        await reader.set_trace(None)
    nodes = ok(result)["articles"]["nodes"]
    assert any(n["images"] for n in nodes) and any(n["topics"] for n in nodes)
    # the page, its providers, its topics by id: images come with the rows
    assert len(counter.statements) == 3, counter.statements
    assert not any("article_topics" in s for s in counter.statements)


async def test_extra_serves_the_publishers_own_keys_as_written(execute: Execute) -> None:
    data = ok(
        await execute("""{ a: article(slug: "unknown_keys") { extra }
                                 m: article(slug: "minimal") { extra } }""")
    )
    extra = data["a"]["extra"]
    # Top-level keys outside the model only: no title, provider or secured.
    assert set(extra) == {"author", "x-internal-score", "reviewed", "tags", "editorNotes"}
    assert extra["author"]["socials"]["links"][1] == "https://r.example.net/about"
    assert extra["x-internal-score"] == 0.87 and extra["reviewed"] is None
    assert extra["editorNotes"]["history"][0] == {"at": "2021-02-27", "by": "editor"}
    assert data["m"]["extra"] is None


async def test_a_pages_extras_cost_one_statement(reader: Reader) -> None:
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        result = await schema.execute(
            "{ articles(first: 50) { nodes { slug extra } } }", context_value=Context(db=reader)
        )
    finally:
        await reader.set_trace(None)
    nodes = ok(result)["articles"]["nodes"]
    assert len(nodes) > 20 and any(n["extra"] for n in nodes)
    assert len(counter.statements) == 2, counter.statements  # the page, then its extras
    assert "extra" in counter.statements[1]


async def test_nested_connections_are_batched(reader: Reader) -> None:
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        result = await schema.execute(
            "{ topics(first: 50) { nodes { articles(first: 2) { totalCount nodes { slug } } } } }",
            context_value=Context(db=reader),
        )
    finally:
        await reader.set_trace(None)
    topics = ok(result)["topics"]["nodes"]
    assert len(topics) > 5
    # topics page + count, one UNION ALL for every topic's page, one for their counts
    assert len(counter.statements) == 4, counter.statements


async def test_nodes_loads_all_ids_in_one_batch(reader: Reader, execute: Execute) -> None:
    ids = [
        n["id"] for n in ok(await execute("{ articles(first: 30) { nodes { id } } }"))[
            "articles"]["nodes"]
    ]  # fmt: skip
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        result = await execute("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=ids)
    finally:
        await reader.set_trace(None)
    assert [n["id"] for n in ok(result)["nodes"]] == ids
    assert len(counter.statements) == 1, counter.statements


NESTED_TOO_DEEP = """{ topics(first: 100) { nodes { articles(first: 100) { nodes {
  topics { articles(first: 100) { nodes { slug title } } } } } } } }"""


async def test_cost_budget_refuses_exploding_nested_pages(execute: Execute) -> None:
    result = await execute(NESTED_TOO_DEEP)
    assert result.data is None
    error = result.errors[0]
    assert error.extensions["code"] == "QUERY_TOO_COSTLY"
    assert error.extensions["cost"] > error.extensions["maxCost"]
    assert "`first`" in error.message


async def test_cost_budget_admits_ordinary_pages(execute: Execute) -> None:
    ok(await execute(FEED_NESTED, first=100))
    ok(
        await execute(
            "{ topics(first: 100) { nodes { articles(first: 100) { nodes { slug } } } } }"
        )
    )


async def test_cost_counts_variables_and_fragments(execute: Execute) -> None:
    query = """query ($n: Int) { topics(first: 100) { nodes { ...T } } }
      fragment T on Topic { articles(first: $n) { nodes { topics { articles(first: $n) {
        nodes { slug } } } } } }"""
    assert ok(await execute(query, n=2))
    assert (await execute(query, n=100)).errors[0].extensions["code"] == "QUERY_TOO_COSTLY"
    assert ok(await execute(query, n=2))  # the estimate of n=100 was not kept


async def test_a_cost_that_no_variable_changes_is_estimated_once(execute: Execute) -> None:
    fixed = "query ($after: String) { articles(first: 7, after: $after) { nodes { slug } } }"
    sized = "query ($n: Int) { articles(first: $n) { nodes { slug } } }"
    ok(await execute(fixed, after=None))
    ok(await execute(sized, n=3))
    assert prepare(fixed, Policy()).costs == {None: 15}  # articles, 7 nodes, 7 slugs
    assert prepare(sized, Policy()).costs == {}


@pytest.mark.parametrize(
    "cursor",
    [
        "YXJ0aWNsZXMubmV3ZXN0Ojk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OjE",  # a 23-digit timestamp
        "cHJvdmlkZXJzLmNvdW50Ojk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OmE",
    ],
)
async def test_out_of_range_cursor_numbers_are_invalid_cursors(
    execute: Execute, cursor: str
) -> None:
    field = "articles" if cursor.startswith("YXJ0") else "providers"
    result = await execute(
        f"query ($c: String) {{ {field}(after: $c) {{ totalCount }} }}", c=cursor
    )
    assert result.errors[0].extensions == {"code": "INVALID_CURSOR"}


async def test_text_that_cannot_be_utf8_is_a_client_error(execute: Execute) -> None:
    result = await execute(ARTICLE_BY, slug="\ud800")
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert "not valid Unicode" in result.errors[0].message


async def test_empty_string_still_counts_as_an_argument(execute: Execute) -> None:
    result = await execute(ARTICLE_BY, slug="", url="https://example.com/x")
    assert result.errors[0].message.startswith("pass exactly one of")
