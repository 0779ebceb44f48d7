"""Top lists scored from a word's occurrences equal FTS5's own ranking, and fall back to
it when they would not."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders import db
from loaders.ingest import ingest
from loaders.search import occurrences, toplists
from loaders.search.statistics import document_length
from loaders.search.weights import COLUMNS
from loaders.synthetic import generate_corpus
from tests.loaders.conftest import SMALL_LIST_SIZE, SMALL_MIN_ARTICLES


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("occurrences")
    generate_corpus(folder / "corpus", 400, seed=5)
    path = folder / "news.db"
    asyncio.run(ingest(path, [folder / "corpus"], workers=0))
    return path


def _frequent(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[toplists.FrequentWord]:
    monkeypatch.setattr(toplists, "MIN_ARTICLES", SMALL_MIN_ARTICLES)
    return toplists.frequent_words_at(str(path))


def _ranked_by_fts5(path: Path, words: list[toplists.FrequentWord]) -> list[toplists.WordList]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(toplists, "OCCURRENCES_PER_ARTICLE", 0)
        return toplists.lists_of_words(str(path), words, SMALL_LIST_SIZE)


def _counting_scores(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    scored: list[str] = []
    original = occurrences.scored

    def counting(conn: sqlite3.Connection, word: str, *args: Any) -> Any:
        scored.append(word)
        return original(conn, word, *args)

    monkeypatch.setattr(occurrences, "scored", counting)
    return scored


def test_lists_from_occurrences_are_fts5s_lists(
    indexed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = _frequent(indexed, monkeypatch)
    cheap = [w for w in words if w.occurrences <= toplists.OCCURRENCES_PER_ARTICLE * w.containing]
    assert len(cheap) > 20 and len(cheap) < len(words)  # both ways are taken
    scored = _counting_scores(monkeypatch)
    made = toplists.lists_of_words(str(indexed), words, SMALL_LIST_SIZE)
    assert sorted(scored) == sorted(w.word for w in cheap)
    assert made == _ranked_by_fts5(indexed, words)  # entries, thresholds, counts: all equal
    assert len(made) == len(words)
    assert all(len(found.entries) == SMALL_LIST_SIZE for found in made)


def test_a_list_unlike_fts5s_makes_fts5_rank_every_word(
    indexed: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    words = _frequent(indexed, monkeypatch)
    original = occurrences.scored

    def upside_down(*args: Any) -> occurrences.Scored | None:
        found = original(*args)
        assert found is not None
        return occurrences.Scored(found.ids, found.weights, found.lengths, -found.scores)

    monkeypatch.setattr(occurrences, "scored", upside_down)
    with caplog.at_level(logging.WARNING, logger="loaders.search.toplists"):
        made = toplists.lists_of_words(str(indexed), words, SMALL_LIST_SIZE)
    assert "differ from FTS5's" in caplog.text
    assert made == _ranked_by_fts5(indexed, words)


def test_size_records_that_do_not_add_up_make_fts5_rank_every_word(
    indexed: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    words = _frequent(indexed, monkeypatch)
    scored = _counting_scores(monkeypatch)
    short = "SELECT group_concat(id), group_concat(length(sz) + 1), group_concat(hex(sz), '')"
    monkeypatch.setattr(occurrences, "SIZES_SQL", occurrences.SIZES_SQL.replace(
        "SELECT group_concat(id), group_concat(length(sz)), group_concat(hex(sz), '')", short
    ))  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="loaders.search.toplists"):
        made = toplists.lists_of_words(str(indexed), words, SMALL_LIST_SIZE)
    assert "size records do not add up" in caplog.text and scored == []
    assert made == _ranked_by_fts5(indexed, words)


def test_occurrence_counts_that_do_not_add_up_give_no_list(indexed: Path) -> None:
    conn = db.connect_sync(indexed, read_only=True)
    try:
        conn.execute("PRAGMA query_only = OFF")
        conn.execute(occurrences.INSTANCES_TABLE)
        conn.execute(toplists.VOCABULARY_TABLE)
        word, containing, count = conn.execute(
            "SELECT term, doc, cnt FROM temp.search_vocabulary ORDER BY doc DESC LIMIT 1"
        ).fetchone()
        lengths = occurrences.Lengths.read(conn)
        assert lengths is not None
        corpus = toplists.CorpusStats.from_block(conn.execute(toplists.AVERAGES_SQL).fetchone()[0])
        found = occurrences.scored(conn, word, containing, count, lengths, corpus)
        assert found is not None and len(found.ids) == containing
        assert occurrences.scored(conn, word, containing, count + 1, lengths, corpus) is None
        assert occurrences.scored(conn, word, containing + 1, count, lengths, corpus) is None
    finally:
        conn.close()


def _varint(value: int) -> bytes:
    """SQLite's big-endian varint, for values under 2**56."""
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(groups))


def _decoded(records: list[bytes]) -> list[float]:
    data = np.frombuffer(b"".join(records), dtype=np.uint8)
    sizes = np.array([len(r) for r in records], dtype=np.int64)
    return [float(x) for x in occurrences._lengths(data, sizes)]


column_sizes = st.lists(st.integers(0, 2**40), min_size=len(COLUMNS), max_size=len(COLUMNS))


@given(st.lists(column_sizes, max_size=30))
def test_size_records_decode_all_at_once_as_one_by_one(rows: list[list[int]]) -> None:
    records = [b"".join(map(_varint, row)) for row in rows]
    assert _decoded(records) == [float(document_length(r)) for r in records]
    assert _decoded(records) == [float(sum(row)) for row in rows]


def test_size_records_of_another_shape_are_decoded_one_by_one() -> None:
    records = [b"".join(map(_varint, [3, 1, 200, 2, 1])), b"".join(map(_varint, [7, 300]))]
    assert _decoded(records) == [207.0, 307.0]


def test_the_best_are_in_fts5s_order_with_ties_at_the_cut() -> None:
    found = occurrences.Scored(
        ids=np.array([1, 2, 3, 4, 5, 6], dtype=np.int64),
        weights=np.ones(6),
        lengths=np.ones(6),
        scores=np.array([0.5, 0.9, 0.5, 0.1, 0.5, 0.9]),
    )
    assert [int(found.ids[i]) for i in found.best(3)] == [6, 2, 5]
    assert [int(found.ids[i]) for i in found.best(4)] == [6, 2, 5, 3]
    assert [int(found.ids[i]) for i in found.best(10)] == [6, 2, 5, 3, 1, 4]
