"""The TRENDING key: its order is the decayed score's order at any moment, and a new
half-life re-ranks the stored corpus."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from loaders.ingest import ingest
from loaders.trending import MICROSECONDS_PER_HOUR, trending_key, trending_score, weight
from tests.conftest import VALID

YEAR = 365 * 24 * MICROSECONDS_PER_HOUR


def test_ranking_by_the_key_is_ranking_by_the_score_at_any_moment() -> None:
    rng = random.Random(3)
    base = 1_600_000_000_000_000
    articles = [
        (rng.choice([None, -1, *range(0, 200)]), rng.choice([None, *range(0, 200)]),
         base + rng.randrange(YEAR))
        for _ in range(300)
    ]  # fmt: skip
    by_key = sorted(articles, key=lambda a: trending_key(*a, 24.0))
    for now in (base + YEAR, base + 5 * YEAR // 4):
        scores = [trending_score(trending_key(*a, 24.0), now, 24.0) for a in by_key]
        expected = [weight(h, q) * 2 ** (-(now - ts) / (24.0 * MICROSECONDS_PER_HOUR))
                    for h, q, ts in by_key]  # fmt: skip
        assert scores == sorted(scores)
        for got, want in zip(scores, expected, strict=True):
            assert abs(got - want) <= 1e-9 * max(abs(want), 1e-300)


def test_unknown_heat_and_quality_weigh_nothing() -> None:
    assert weight(None, None) == weight(-1, None) == weight(0, 0) == 1.0
    assert weight(10, 10) == 16.0


def _keys(path: Path) -> tuple[dict[str, float], set[float], str]:
    conn = sqlite3.connect(path)
    try:
        keys = dict(conn.execute("SELECT path, trending FROM articles"))
        topic_keys = {r[0] for r in conn.execute("SELECT trending FROM article_topics")}
        version = conn.execute("SELECT value FROM meta WHERE key = 'corpus_version'").fetchone()
        return keys, topic_keys, version[0]
    finally:
        conn.close()


async def test_a_new_half_life_re_ranks_every_article(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    await ingest(path, [VALID], trending_half_life_hours=24.0)
    day, day_topics, first_version = _keys(path)
    report = await ingest(path, [VALID], trending_half_life_hours=168.0)
    week, week_topics, second_version = _keys(path)
    assert not report.changed and report.unchanged  # no file changed...
    assert int(second_version) == int(first_version) + 1  # ...but the order did
    assert day.keys() == week.keys() and all(day[p] != week[p] for p in day)
    assert week_topics <= set(week.values()) and not week_topics & day_topics
    await ingest(path, [VALID], trending_half_life_hours=168.0)
    assert _keys(path)[2] == second_version  # same half-life: nothing to re-rank
