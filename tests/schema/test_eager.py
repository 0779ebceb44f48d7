"""Preloading: a page's nested levels are loaded ahead, so their resolvers answer at once."""

from __future__ import annotations

import inspect
from typing import Any

from strawberry.dataloader import DataLoader

from loaders.reader import Reader
from schema.build import schema
from schema.context import Context
from schema.eager import cached
from tests.conftest import ok


def _loaded(loader: DataLoader[Any, Any]) -> set[Any]:
    return {key for key, future in loader.cache_map.cache_map.items() if future.done()}  # type: ignore[attr-defined]


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
    # Topics were asked for only on related articles, images and bodies not at all.
    targets = _loaded(loaders.article_by_id)
    assert targets and _loaded(loaders.topics_by_article_id) == targets
    assert not _loaded(loaders.images_by_article_id) and not _loaded(loaders.body_by_article_id)
