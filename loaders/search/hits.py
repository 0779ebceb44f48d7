"""Search results: pages of hits, their count and their scores.

A search is an article list like any other (filters, orders, keyset cursors, facets:
see loaders.query), drawn from the FTS index instead of a table (`MatchScope`), with
one more order key, RELEVANCE, whose value is the bm25 score. One-word searches in
relevance order are answered from the top lists when those prove the page exact
(toplists.py); everything else scores the matches in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loaders.db import placeholders
from loaders.query.filters import ArticleFilter, Condition, compile_filter
from loaders.query.ordering import OrderField
from loaders.query.pages import PageRequest
from loaders.query.sources import MatchScope, Source, many_parents
from loaders.reader import Reader
from loaders.reads import articles_by_ids
from loaders.rows import ARTICLE_COLUMN_COUNT, ARTICLE_COLUMNS, ArticleRow, article_row
from loaders.search import toplists
from loaders.search.language import SearchQuery
from loaders.search.weights import FTS_TABLE, RELEVANCE_SQL


@dataclass(frozen=True, slots=True)
class Hit:
    row: ArticleRow
    score: float | None  # None when the page is not in relevance order (load it apart)


@dataclass(frozen=True, slots=True)
class HitPage:
    hits: list[Hit]
    has_more: bool  # hits exist beyond the window in the direction of paging
    matches: int | None = None  # the unfiltered hit count, when it came for free
    from_top_list: bool = False


def _where(parts: Sequence[Condition]) -> Condition:
    used = [p for p in parts if p.sql != "1"]
    if not used:
        return Condition.true()
    return Condition(" AND ".join(f"({p.sql})" for p in used), [v for p in used for v in p.params])


def _filtered_ids(filter: ArticleFilter) -> Condition:
    """`+rowid IN (...)`: the filter as a set of ids that a pass over FTS5's matches probes.

    For a narrow filter this is ten times faster than joining every match to its article
    (a few hundred ids instead of tens of thousands of lookups), and about as fast for a
    broad one. The `+` keeps FTS5 from restarting its query once per id.
    """
    condition = compile_filter(filter)
    return Condition(
        f"+{FTS_TABLE}.rowid IN (SELECT a.id FROM articles AS a WHERE {condition.sql})",
        condition.params,
    )


def _source(query: SearchQuery, request: PageRequest) -> tuple[Source, Condition]:
    """The search's source, and the filter condition left to apply on it. In relevance
    order nothing needs the articles table, so the FTS table alone is the source."""
    fields = [k.field for k in request.ordering.keys]
    if fields == [OrderField.RELEVANCE]:
        source = Source(
            Condition(FTS_TABLE, []),
            Condition(f"{FTS_TABLE} MATCH ?", [query.expression()]),
            overrides={OrderField.RELEVANCE: RELEVANCE_SQL, None: f"{FTS_TABLE}.rowid"},
        )
        if request.filter.is_empty():
            return source, Condition.true()
        return source, _filtered_ids(request.filter)
    return many_parents(MatchScope(query.expression()), [None]), compile_filter(request.filter)


async def _scored_page(db: Reader, query: SearchQuery, request: PageRequest) -> HitPage:
    """Every match considered: ids (and scores) of the window first, then their rows."""
    source, filtered = _source(query, request)
    parts = [source.where, filtered]
    if request.after is not None:
        parts.append(request.ordering.beyond(request.after, overrides=source.overrides))
    if request.before is not None:
        reverse = request.ordering.reversed()
        parts.append(reverse.beyond(request.before, overrides=source.overrides))
    where = _where(parts)
    ordering = request.ordering.reversed() if request.backwards else request.ordering
    relevance = ordering.has_relevance
    score = f", {RELEVANCE_SQL} AS score" if relevance else ", NULL AS score"
    key = source.overrides.get(None, "a.id")
    window = (
        f"SELECT {key} AS id{score} FROM {source.tables.sql} WHERE {where.sql} "
        f"ORDER BY {ordering.order_by(source.overrides)} LIMIT ? OFFSET ?"
    )
    outer: dict[OrderField | None, str] = {OrderField.RELEVANCE: "p.score"}
    sql = (
        f"SELECT {ARTICLE_COLUMNS}, p.score FROM ({window}) AS p "
        "CROSS JOIN articles AS a ON a.id = p.id JOIN article_content AS c ON c.id = a.id "
        f"ORDER BY {ordering.order_by(outer)}"
    )
    params = [*source.tables.params, *where.params, request.size + 1, request.offset]
    rows = await db.fetch(sql, params)
    hits = [Hit(article_row(r), r[ARTICLE_COLUMN_COUNT]) for r in rows]
    page = hits[: request.size]
    if request.backwards:
        page.reverse()
    return HitPage(page, len(hits) > request.size)


def _listable(query: SearchQuery, request: PageRequest) -> str | None:
    """The word whose top list may answer this request, if any."""
    fields = [k.field for k in request.ordering.keys]
    if fields != [OrderField.RELEVANCE] or not request.ordering.id_descending:
        return None
    if request.backwards or request.before is not None:
        return None
    return query.single_word()


async def search_page(
    db: Reader, query: SearchQuery, request: PageRequest, *, top_lists: bool = True
) -> HitPage:
    """One page of the search's hits under the request's filter, order and window
    (`top_lists=False` scores every match even when a top list could answer)."""
    word = _listable(query, request) if top_lists else None
    if word is not None:
        after = None
        if request.after is not None:
            after = (float(request.after[0]), int(request.after[1]))
        listed = await toplists.listed_page(
            db, word, request.filter, request.size, after=after, offset=request.offset
        )
        if listed is not None:
            rows = await articles_by_ids(db, [rowid for _, rowid in listed.hits])
            hits = [Hit(rows[rowid], score) for score, rowid in listed.hits if rowid in rows]
            return HitPage(hits, listed.has_more, listed.matches, from_top_list=True)
    return await _scored_page(db, query, request)


async def search_count(db: Reader, expression: str, filter: ArticleFilter) -> int:
    """How many articles match the expression and the filter."""
    where = Condition(f"{FTS_TABLE} MATCH ?", [expression])
    if not filter.is_empty():
        where = _where([where, _filtered_ids(filter)])
    row = await db.fetch_one(f"SELECT count(*) FROM {FTS_TABLE} WHERE {where.sql}", where.params)
    return int(row[0]) if row else 0


async def search_scores(db: Reader, expression: str, ids: Sequence[int]) -> dict[int, float]:
    """The relevance of some articles for the expression, in one pass over its matches.

    `+rowid` keeps the id list away from FTS5, which would otherwise restart the query
    (and recount every phrase's matches for bm25) once per id.
    """
    rows = await db.fetch(
        f"SELECT rowid, {RELEVANCE_SQL} FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH ? AND +rowid IN ({placeholders(ids)})",
        [expression, *ids],
    )
    return {r[0]: r[1] for r in rows}
