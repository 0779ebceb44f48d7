"""Scoring every article that contains a word at once, from the word's occurrences.

A top list (toplists.py) needs the best LIST_SIZE + 1 articles of a frequent word. Asking
FTS5 for them (toplists.RANK_SQL) scores each match with bm25, and bm25 looks up each
article's size record with a statement of its own: about 0.8 us a match, 6.6 of the 7
CPU-seconds the lists cost at 100,000 articles (8.3 million matches). FTS5 also lists a
word's occurrences as rows (the fts5vocab `instance` table), at about 0.17 us each and
1.75 per match on average, and every article's size can be read once for all words.
Here both go into numpy arrays, and every article's score is computed with the
operations of statistics.relevance in the same order on the same doubles: the same
floats FTS5 would return (toplists.py compares with FTS5 once per batch of words, and
uses FTS5 alone if they ever differ). A word that occurs many times per article costs
more this way than through bm25; toplists.py chooses per word.

numpy is imported only where lists are built (an ingest; answering queries never loads it).
"""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loaders.search.statistics import DOCSIZE_TABLE, CorpusStats, document_length, idf
from loaders.search.weights import COLUMNS, FTS_TABLE, K1, B

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

INSTANCES_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_instances "
    f"USING fts5vocab(main, {FTS_TABLE}, instance)"
)
# One number per occurrence, article id * SLOTS + its column's index, all of a word's
# occurrences as one text value: a row per occurrence would cost more in Python than
# bm25 does in C. The occurrences come in article id order (a doclist's order).
SLOTS = 16
assert len(COLUMNS) <= SLOTS
_COLUMN_INDEX = "CASE col " + " ".join(f"WHEN '{n}' THEN {i}" for i, (n, _) in enumerate(COLUMNS))
OCCURRENCES_SQL = (
    f"SELECT group_concat(doc * {SLOTS} + {_COLUMN_INDEX} END) "
    "FROM temp.search_instances WHERE term = ?"
)
_WEIGHT_OF_SLOT = np.array(
    [float(w) for _, w in COLUMNS] + [0.0] * (SLOTS - len(COLUMNS)), dtype=np.float64
)


# Every size record, as three values of one scan (the same order): a row per article
# costs ~0.6 us in Python, 60 ms at 100,000 articles for each batch of words.
SIZES_SQL = (
    f"SELECT group_concat(id), group_concat(length(sz)), group_concat(hex(sz), '') "
    f"FROM {DOCSIZE_TABLE}"
)


@dataclass(frozen=True, slots=True)
class Lengths:
    """Every article's length in tokens (all columns), by article id."""

    ids: Ints  # ascending
    tokens: Floats

    @staticmethod
    def read(conn: sqlite3.Connection) -> Lengths | None:
        """The lengths, or None if the size records do not add up (then FTS5 ranks)."""
        ids_text, sizes_text, records_hex = conn.execute(SIZES_SQL).fetchone()
        ids: Ints = np.fromstring(ids_text or "", dtype=np.int64, sep=",")
        sizes: Ints = np.fromstring(sizes_text or "", dtype=np.int64, sep=",")
        data = np.frombuffer(bytes.fromhex(records_hex or ""), dtype=np.uint8)
        if len(ids) != len(sizes) or int(sizes.sum()) != len(data):
            return None
        tokens = _lengths(data, sizes)
        if np.any(ids[1:] <= ids[:-1]):  # not in id order (a full scan gives id order)
            order = np.argsort(ids, kind="stable")
            ids, tokens = ids[order], tokens[order]
        return Lengths(ids, tokens)


def _lengths(data: npt.NDArray[np.uint8], sizes: Ints) -> Floats:
    """Each size record's sum of varints (one per column, records of `sizes` bytes
    back to back in `data`), decoded for all records at once; record by record in
    Python if any is not of the expected shape."""
    columns = len(COLUMNS)
    if not len(sizes):
        return np.zeros(0, dtype=np.float64)
    values = data.astype(np.int64)
    ends = np.flatnonzero((values & 0x80) == 0)  # the last byte of each varint
    if len(ends) == columns * len(sizes) and np.array_equal(
        ends[columns - 1 :: columns], np.cumsum(sizes) - 1
    ):
        varint = np.repeat(np.arange(len(ends)), np.diff(ends, prepend=-1))
        shift = 7 * (ends[varint] - np.arange(len(values)))
        if shift.max() < 56:  # varints of up to 8 bytes: columns of under 2**56 tokens
            starts = np.concatenate(([0], ends[:-1] + 1))
            counts = np.add.reduceat((values & 0x7F) << shift, starts)
            lengths: Floats = counts.reshape(-1, columns).sum(axis=1).astype(np.float64)
            return lengths
    bounds = [0, *np.cumsum(sizes).tolist()]
    raw = data.tobytes()
    return np.array(
        [document_length(raw[a:b]) for a, b in itertools.pairwise(bounds)], dtype=np.float64
    )


@dataclass(frozen=True, slots=True)
class Scored:
    """The articles containing a word with their weighted counts, lengths and scores."""

    ids: Ints
    weights: Floats
    lengths: Floats
    scores: Floats

    def best(self, count: int) -> list[int]:
        """Positions of the `count` best articles, in FTS5's order (score, then id,
        descending), ties at the cut included in that order."""
        n = len(self.scores)
        if n > count:
            cut = np.partition(self.scores, n - count)[n - count]
            candidates = np.flatnonzero(self.scores >= cut)
        else:
            candidates = np.arange(n)
        order = np.lexsort((-self.ids[candidates], -self.scores[candidates]))
        return [int(i) for i in candidates[order][:count]]


def scored(
    conn: sqlite3.Connection, word: str, containing: int, occurrences: int,
    lengths: Lengths, corpus: CorpusStats,
) -> Scored | None:  # fmt: skip
    """Every article containing `word` (an ASCII word as the index spells it), scored;
    None if what the index says does not add up to the vocabulary's counts."""
    text = conn.execute(OCCURRENCES_SQL, (word,)).fetchone()[0]
    codes: Ints = np.fromstring(text or "", dtype=np.int64, sep=",")
    if len(codes) != occurrences or not occurrences:
        return None
    articles = codes // SLOTS
    if np.any(articles[1:] < articles[:-1]):  # not in doclist order: sort (stably)
        order = np.argsort(articles, kind="stable")
        articles, codes = articles[order], codes[order]
    starts = np.flatnonzero(np.diff(articles, prepend=-1))
    ids = articles[starts]
    weights = np.add.reduceat(_WEIGHT_OF_SLOT[codes % SLOTS], starts)
    at = np.searchsorted(lengths.ids, ids)
    if len(ids) != containing or np.any(at >= len(lengths.ids)):
        return None
    if not np.array_equal(lengths.ids[at], ids):
        return None
    tokens = lengths.tokens[at]
    avgdl = corpus.avgdl
    # statistics.relevance for one phrase, operation for operation (numpy's float64
    # arithmetic rounds each operation as Python's does).
    saturations = (weights * (K1 + 1.0)) / (weights + K1 * (1 - B + B * tokens / avgdl))
    scores = 0.0 + idf(corpus.rows, containing) * saturations
    return Scored(ids, weights, tokens, scores)
