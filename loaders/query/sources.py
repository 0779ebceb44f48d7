"""Where an article list draws from: the whole corpus, a topic, a provider, the
articles that cite one article, or the hits of a full-text search. A source is a FROM
clause and the condition that selects one parent's articles (or many parents' at once,
for counts and facets).

A topic page ordered by publication time (or trending) walks article_topics'
index on (topic_id, published_ts, article_id) (or trending) instead of the articles
table, so it reads only the topic's first rows. A top-level filter on exactly one
topic gets the same plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from loaders.db import placeholders
from loaders.query.filters import ArticleFilter, Condition
from loaders.query.ordering import OrderField, Ordering
from loaders.search.weights import FTS_TABLE, RELEVANCE_SQL


class Scope(Enum):
    """Which articles a list is drawn from; the parent key says whose."""

    ALL = "all"
    TOPIC = "topic"  # parent: topic id
    PROVIDER = "provider"  # parent: provider id
    RELATED_BY = "related_by"  # parent: article id; articles whose related lists name it


@dataclass(frozen=True, slots=True)
class MatchScope:
    """The articles a full-text search matches: a single list, no parents.

    `expression` is an FTS5 MATCH expression compiled by loaders.search.language,
    never text typed by a user.
    """

    expression: str


AnyScope = Scope | MatchScope


def single_list(scope: AnyScope) -> bool:
    """Whether the scope is one list (parent None) rather than one list per parent."""
    return scope is Scope.ALL or isinstance(scope, MatchScope)


Overrides = dict[OrderField | None, str]


@dataclass(frozen=True)
class Source:
    tables: Condition  # FROM clause, with its parameters; the articles table is `a`
    where: Condition  # selects the parent's (or parents') articles
    parent: str = "NULL"  # SQL naming each row's parent, for GROUP BY
    overrides: Overrides = field(default_factory=dict)  # order columns read elsewhere


# article_topics carries copies of published_ts and trending, so a topic's newest or
# trending articles are an index range; these expressions replace the articles
# table's columns in such plans.
TOPIC_INDEX: Overrides = {
    OrderField.PUBLISHED_AT: "s.published_ts",
    OrderField.TRENDING: "s.trending",
    None: "s.article_id",
}
TOPIC_TABLES = "article_topics AS s JOIN articles AS a ON a.id = s.article_id"
ARTICLES = "articles AS a"


def _topic_indexed(ordering: Ordering) -> bool:
    """Whether a topic's index on article_topics serves this order."""
    fields = [k.field for k in ordering.keys]
    return fields in ([OrderField.PUBLISHED_AT], [OrderField.TRENDING])


def one_parent(
    scope: AnyScope, parent: int | None, filter: ArticleFilter, ordering: Ordering
) -> tuple[Source, ArticleFilter]:
    """The source of one parent's list, and what is left of `filter` to apply on it."""
    if scope is Scope.TOPIC and _topic_indexed(ordering):
        where = Condition("s.topic_id = ?", [parent])
        return Source(Condition(TOPIC_TABLES, []), where, overrides=TOPIC_INDEX), filter
    if scope is Scope.ALL and len(filter.topics) == 1 and _topic_indexed(ordering):
        where = Condition("s.topic_id = (SELECT id FROM topics WHERE slug = ?)", [filter.topics[0]])
        source = Source(Condition(TOPIC_TABLES, []), where, overrides=TOPIC_INDEX)
        return source, filter.without("topics")
    return many_parents(scope, [parent]), filter


def many_parents(scope: AnyScope, parents: Sequence[int | None]) -> Source:
    """One source for several parents; each row's parent is in `Source.parent`."""
    if isinstance(scope, MatchScope):
        # CROSS JOIN keeps the FTS table the outer loop: one pass over its matches.
        joined = f"{FTS_TABLE} CROSS JOIN articles AS a ON a.id = {FTS_TABLE}.rowid"
        where = Condition(f"{FTS_TABLE} MATCH ?", [scope.expression])
        return Source(Condition(joined, []), where, overrides={OrderField.RELEVANCE: RELEVANCE_SQL})
    if scope is Scope.ALL:
        return Source(Condition(ARTICLES, []), Condition.true())
    keys = list(parents)
    marks = placeholders(keys)
    if scope is Scope.TOPIC:
        where = Condition(f"s.topic_id IN ({marks})", keys)
        return Source(Condition(TOPIC_TABLES, []), where, "s.topic_id")
    if scope is Scope.PROVIDER:
        where = Condition(f"a.provider_id IN ({marks})", keys)
        return Source(Condition(ARTICLES, []), where, "a.provider_id")
    # An article may cite the same target at several positions: count it once.
    tables = Condition(
        "(SELECT DISTINCT target_id, article_id FROM related "
        f"WHERE target_id IN ({marks})) AS s JOIN articles AS a ON a.id = s.article_id",
        keys,
    )
    return Source(tables, Condition.true(), "s.target_id")
