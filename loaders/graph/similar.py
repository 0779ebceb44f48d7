"""Similar articles: a bounded set of candidates, scored by signals a person can check.

Candidates come from indexed reads only, so the cost does not grow with the corpus:
the articles an article cites and that cite it, and its neighbours in time within each
of its (up to MAX_TOPICS rarest) topics, within its provider and in the whole corpus.
Topics with tens of thousands of articles are therefore read as a window around the
article's date, never in full.

Each candidate's score is the sum of these contributions (SIGNAL_WEIGHTS):

- CITES / CITED_BY: 3.0 for each direction of an explicit `related` link;
- SHARED_TOPICS: 2.0 x specificity for each topic both carry, specificity =
  ln((N + 1) / articles with the topic) / ln(N + 1): a topic on every article counts
  almost nothing, a topic on two articles almost the full 2.0;
- SAME_PROVIDER: 0.5;
- SIMILAR_TEXT: 3.0 x the cosine similarity of title (counted twice) and excerpt words,
  weighted by how rare each word is among the article and its candidates (so words
  every candidate shares, like "the", weigh nothing); counted from 0.1 up;
- CLOSE_IN_TIME: 1.0 x 2^(-days apart / 7).

A candidate needs some signal besides time: being published the same week is not
similarity on its own. Ties go to the closer publication time, then the smaller id.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from loaders.db import chunked, placeholders
from loaders.reader import Reader
from loaders.search.statistics import AVERAGES_SQL, CorpusStats

MAX_TOPICS = 3
TOPIC_WINDOW = 12  # per side of the article's date, per topic
PROVIDER_WINDOW = 12
TIME_WINDOW = 5
CITED_BY_LIMIT = 100
MAX_BRANCHES = 200  # SQLite allows 500 terms in a compound SELECT
MIN_TEXT = 0.1
HALF_LIFE_DAYS = 7.0
MICROS_PER_DAY = 86_400_000_000


class Signal(Enum):
    CITES = "CITES"
    CITED_BY = "CITED_BY"
    SHARED_TOPICS = "SHARED_TOPICS"
    SAME_PROVIDER = "SAME_PROVIDER"
    SIMILAR_TEXT = "SIMILAR_TEXT"
    CLOSE_IN_TIME = "CLOSE_IN_TIME"


SIGNAL_WEIGHTS = {
    Signal.CITES: 3.0,
    Signal.CITED_BY: 3.0,
    Signal.SHARED_TOPICS: 2.0,
    Signal.SAME_PROVIDER: 0.5,
    Signal.SIMILAR_TEXT: 3.0,
    Signal.CLOSE_IN_TIME: 1.0,
}


@dataclass(frozen=True, slots=True)
class Reason:
    signal: Signal
    contribution: float
    detail: str


@dataclass(frozen=True, slots=True)
class Similar:
    article_id: int
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class _Facts:
    id: int
    provider_id: int | None
    published_ts: int
    topics: tuple[int, ...]
    words: Counter[str]


_CITES, _CITED_BY, _NEAR = 1, 2, 3


_WORD = re.compile(r"[^\W_]+")


def _words(title: str, excerpt: str | None) -> Counter[str]:
    """Title (twice) and excerpt words, case-folded: runs of letters and digits."""
    return Counter(_WORD.findall(f"{title} {title} {excerpt or ''}".casefold()))


async def _facts(db: Reader, ids: Sequence[int]) -> dict[int, _Facts]:
    found: dict[int, _Facts] = {}
    for part in chunked(list(ids), 1000):
        rows = await db.fetch(
            "SELECT a.id, a.provider_id, a.published_ts, c.title, c.excerpt, "
            "(SELECT group_concat(topic_id) FROM article_topics WHERE article_id = a.id) "
            "FROM articles AS a JOIN article_content AS c ON c.id = a.id "
            f"WHERE a.id IN ({placeholders(part)})",
            part,
        )
        for r in rows:
            topics = tuple(int(t) for t in r[5].split(",")) if r[5] else ()
            found[r[0]] = _Facts(r[0], r[1], r[2], topics, _words(r[3], r[4]))
    return found


def _branches(source: _Facts, rarest: Sequence[int]) -> list[tuple[str, list[Any]]]:
    """Compound SELECT terms giving (source, candidate, kind) rows for one article."""
    s, ts = source.id, source.published_ts
    terms: list[tuple[str, list[Any]]] = [
        (f"SELECT ?, target_id, {_CITES} FROM related "
         "WHERE article_id = ? AND target_id IS NOT NULL", [s, s]),
        (f"SELECT * FROM (SELECT ?, article_id, {_CITED_BY} FROM related WHERE target_id = ? "
         "LIMIT ?)", [s, s, CITED_BY_LIMIT]),
    ]  # fmt: skip

    def windows(table: str, key: str, ts_col: str, where: str, params: list[Any], n: int) -> None:
        for op, direction in ((">", "ASC"), ("<", "DESC")):
            terms.append((
                f"SELECT * FROM (SELECT ?, {key}, {_NEAR} FROM {table} WHERE {where} "
                f"({ts_col}, {key}) {op} (?, ?) ORDER BY {ts_col} {direction}, {key} {direction} "
                "LIMIT ?)",
                [s, *params, ts, s, n],
            ))  # fmt: skip

    for topic in rarest:
        windows("article_topics", "article_id", "published_ts", "topic_id = ? AND", [topic],
                TOPIC_WINDOW)  # fmt: skip
    if source.provider_id is not None:
        windows("articles", "id", "published_ts", "provider_id = ? AND", [source.provider_id],
                PROVIDER_WINDOW)  # fmt: skip
    windows("articles", "id", "published_ts", "", [], TIME_WINDOW)
    return terms


@dataclass(frozen=True, slots=True)
class _Vector:
    """Words weighted by count x rarity among the documents compared, and the length."""

    weights: dict[str, float]
    norm: float

    @staticmethod
    def of(words: Counter[str], idf: dict[str, float]) -> _Vector:
        weights = {w: count * idf[w] for w, count in words.items() if idf[w] > 0}
        return _Vector(weights, math.sqrt(sum(v * v for v in weights.values())))

    def cosine(self, other: _Vector) -> float:
        if not self.norm or not other.norm:
            return 0.0
        small, large = sorted((self.weights, other.weights), key=len)
        dot = sum(v * large[w] for w, v in small.items() if w in large)
        return dot / (self.norm * other.norm)


@dataclass(frozen=True, slots=True)
class _Topic:
    name: str
    specificity: float


def _score(
    source: _Facts, candidate: _Facts, kinds: set[int], topics: dict[int, _Topic],
    texts: tuple[_Vector, _Vector],
) -> Similar | None:  # fmt: skip
    reasons: list[Reason] = []
    if _CITES in kinds:
        reasons.append(Reason(Signal.CITES, SIGNAL_WEIGHTS[Signal.CITES], "links to it"))
    if _CITED_BY in kinds:
        reasons.append(Reason(Signal.CITED_BY, SIGNAL_WEIGHTS[Signal.CITED_BY], "links here"))
    shared = [topics[t] for t in source.topics if t in candidate.topics and t in topics]
    if shared:
        weight = SIGNAL_WEIGHTS[Signal.SHARED_TOPICS] * sum(t.specificity for t in shared)
        reasons.append(Reason(Signal.SHARED_TOPICS, weight, ", ".join(t.name for t in shared)))
    if source.provider_id is not None and source.provider_id == candidate.provider_id:
        reasons.append(Reason(Signal.SAME_PROVIDER, SIGNAL_WEIGHTS[Signal.SAME_PROVIDER],
                              "same provider"))  # fmt: skip
    cosine = texts[0].cosine(texts[1])
    if cosine >= MIN_TEXT:
        ours, theirs = texts[0].weights, texts[1].weights
        common = sorted((w for w in ours if w in theirs), key=lambda w: (-theirs[w], w))[:5]
        reasons.append(Reason(Signal.SIMILAR_TEXT, SIGNAL_WEIGHTS[Signal.SIMILAR_TEXT] * cosine,
                              f"{cosine:.2f} word similarity: {', '.join(common)}"))  # fmt: skip
    if not reasons:
        return None
    days = abs(source.published_ts - candidate.published_ts) / MICROS_PER_DAY
    closeness = SIGNAL_WEIGHTS[Signal.CLOSE_IN_TIME] * 0.5 ** (days / HALF_LIFE_DAYS)
    if closeness >= 0.01:
        reasons.append(Reason(Signal.CLOSE_IN_TIME, closeness, f"{days:.1f} days apart"))
    reasons.sort(key=lambda r: -r.contribution)
    return Similar(candidate.id, sum(r.contribution for r in reasons), tuple(reasons))


async def _topics(db: Reader, ids: set[int]) -> tuple[dict[int, tuple[str, int]], int]:
    """Topic names and article counts, and the number of articles."""
    marks = placeholders(len(ids))
    rows = await db.fetch(
        f"SELECT id, name, article_count, ({AVERAGES_SQL}) FROM topics WHERE id IN ({marks})",
        list(ids),
    )
    articles = CorpusStats.from_block(rows[0][3]).rows if rows else 0
    return {r[0]: (r[1], r[2]) for r in rows}, articles


async def similar_articles(db: Reader, ids: Sequence[int], first: int) -> dict[int, list[Similar]]:
    """The `first` most similar articles to each of `ids`, best first."""
    sources = await _facts(db, ids)
    if not sources:
        return {}
    topic_ids = {t for f in sources.values() for t in f.topics}
    topic_rows, articles = await _topics(db, topic_ids) if topic_ids else ({}, 0)
    scale = math.log(articles + 1) or 1.0
    topics = {
        t: _Topic(name, math.log((articles + 1) / max(count, 1)) / scale)
        for t, (name, count) in topic_rows.items()
    }
    terms: list[tuple[str, list[Any]]] = []
    for source in sources.values():
        rarest = sorted(source.topics, key=lambda t: (topic_rows.get(t, ("", 0))[1], t))
        terms.extend(_branches(source, rarest[:MAX_TOPICS]))
    kinds: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for part in chunked(terms, MAX_BRANCHES):
        sql = " UNION ALL ".join(t[0] for t in part)
        for src, candidate, kind in await db.fetch(sql, [v for t in part for v in t[1]]):
            if candidate != src:
                kinds[src][candidate].add(kind)
    candidates = await _facts(db, sorted({c for found in kinds.values() for c in found}))
    result: dict[int, list[Similar]] = {}
    for source in sources.values():
        found = [candidates[c] for c in kinds[source.id] if c in candidates]
        documents = [source.words, *(c.words for c in found)]
        frequency = Counter(w for words in documents for w in words)
        idf = {w: math.log(len(documents) / n) for w, n in frequency.items()}
        text = _Vector.of(source.words, idf)
        scored = [
            s for c in found
            if (s := _score(source, c, kinds[source.id][c.id], topics,
                            (text, _Vector.of(c.words, idf)))) is not None
        ]  # fmt: skip
        ts = {c.id: abs(c.published_ts - source.published_ts) for c in found}
        scored.sort(key=lambda s: (-s.score, ts[s.article_id], s.article_id))
        result[source.id] = scored[:first]
    return result
