"""Preloading: a page's nested levels are loaded ahead, so their resolvers answer at once."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from loaders.reader import Reader
from schema.build import schema
from schema.context import Context
from schema.dataloaders import Loader
from schema.eager import cached
from tests.conftest import ok


def _loaded(loader: Loader[Any, Any]) -> set[Any]:
    return set(loader.values)


async def test_cached_answers_now_when_loaded_and_later_when_not(reader: Reader) -> None:
    loaders = Context(db=reader).loaders
    pending = cached(loaders.article_by_id, 1, lambda row: row)
    assert inspect.isawaitable(pending)
    row = await pending
    assert row is not None and row.id == 1
    assert cached(loaders.article_by_id, 1, lambda row: row.slug) == row.slug


async def test_a_page_loads_exactly_the_levels_its_query_selects(reader: Reader) -> None:
    context = Context(db=reader)
    query = """{ articles(first: 30) { totalCount edges { node { slug provider { name }
      related { article { topics { name } } } } } } }"""
    data = ok(await schema.execute(query, context_value=context))
    loaders = context.loaders
    edges = data["articles"]["edges"]
    assert len(edges) > 20
    assert _loaded(loaders.related_by_article_id) and _loaded(loaders.provider_by_id)
    # Topics were asked for only on related articles, bodies not at all.
    targets = [row for row in loaders.article_by_id.values.values() if row is not None]
    wanted = {t for row in targets for t in row.topic_ids}
    assert targets and wanted and _loaded(loaders.topic_by_id) == wanted
    assert not _loaded(loaders.body_by_article_id)


async def test_rows_filled_ahead_are_loaded_again_without_a_statement(reader: Reader) -> None:
    from schema.eager import fill
    from tests.statements import StatementCounter

    loaders = Context(db=reader).loaders
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        rows = await fill(loaders.article_by_id, [2, 1, 2])
        assert [row.id for row in rows] == [2, 1]
        assert len(counter.statements) == 1
        # load() and cached() find them; a key not filled costs a statement.
        again = await loaders.article_by_id.load(1)
        assert again is rows[1]
        assert cached(loaders.article_by_id, 2, lambda row: row) is rows[0]
        assert len(counter.statements) == 1
        third = await loaders.article_by_id.load(3)
        assert third is not None and third.id == 3 and len(counter.statements) == 2
        assert cached(loaders.article_by_id, 3, lambda row: row) is third
    finally:
        await reader.set_trace(None)


async def test_loads_after_a_failing_one_are_closed_not_left_unawaited(reader: Reader) -> None:
    """With statements on the loop, preloads are awaited in turn; when one fails (the
    SQL budget ran out) the ones not started are closed, not left to warn."""
    from schema.eager import each

    assert reader.runs_inline
    info: Any = type("FakeInfo", (), {"context": Context(db=reader)})()

    async def failing() -> int:
        raise RuntimeError("budget")

    async def later() -> int:
        return 2

    never = later()
    with pytest.raises(RuntimeError):
        await each(info, [failing(), never])
    assert never.cr_frame is None  # closed
    assert await each(info, [later(), later()]) == [2, 2]


async def test_a_lone_objects_list_loads_at_once_and_a_list_of_objects_batches(
    reader: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DataLoader's batching costs a turn of the event loop; it is only worth it when
    several parents' lists are asked for together."""
    from tests.statements import StatementCounter

    loaded: list[Any] = []
    real_load = Loader.load

    def spy(self: Loader[Any, Any], key: Any) -> Any:
        loaded.append(key)
        return real_load(self, key)

    monkeypatch.setattr(Loader, "load", spy)
    counter = StatementCounter()
    await reader.set_trace(counter)
    try:
        page = "articles(first: 2) { totalCount nodes { slug } }"
        slug = ok(await schema.execute("{ topics(first: 1) { nodes { slug } } }",
                                       context_value=Context(db=reader)))  # fmt: skip
        slug = slug["topics"]["nodes"][0]["slug"]
        one = ok(await schema.execute(f'{{ topic(slug: "{slug}") {{ {page} }} }}',
                                      context_value=Context(db=reader)))  # fmt: skip
        assert one["topic"]["articles"]["nodes"] and loaded == []
        counter.clear()
        many = ok(await schema.execute(f"{{ topics(first: 3) {{ nodes {{ {page} }} }} }}",
                                       context_value=Context(db=reader)))  # fmt: skip
        assert len(many["topics"]["nodes"]) == 3
        assert len(loaded) == 6  # three pages and three counts, through DataLoader...
        pages = [s for s in counter.statements if "LIMIT" in s and "article_topics" in s]
        assert len(pages) == 1  # ...in one statement for the three topics
    finally:
        await reader.set_trace(None)
