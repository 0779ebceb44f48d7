"""The numbers bm25 uses, read where FTS5 keeps them, and bm25 recomputed from them.

FTS5 stores two small records that this module decodes (their format is part of
SQLite's stable file format, described in ext/fts5/fts5_storage.c):

- `article_fts_data` row 1, the "averages" record: the number of rows, then the total
  number of tokens of each column, as varints;
- `article_fts_docsize`: per row, the number of tokens of each column, as varints.

The top lists (toplists.py) score articles in Python instead of asking FTS5, so the
formula below repeats FTS5's bm25 operation for operation: the scores are the same
floating-point numbers, which keeps cursors valid across both ways of answering. The
top lists verify this when they are built (a list is not stored if any score differs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from loaders.search.weights import FTS_TABLE, K1, MIN_IDF, B

AVERAGES_SQL = f"SELECT block FROM {FTS_TABLE}_data WHERE id = 1"
DOCSIZE_TABLE = f"{FTS_TABLE}_docsize"


def varints(blob: bytes) -> list[int]:
    """Decode SQLite's big-endian varints (1 to 9 bytes each)."""
    values: list[int] = []
    i, n = 0, len(blob)
    while i < n:
        value = 0
        for j in range(9):
            byte = blob[i]
            i += 1
            if j == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


@dataclass(frozen=True, slots=True)
class CorpusStats:
    """What bm25 needs about the whole index."""

    rows: int
    tokens: int

    @property
    def avgdl(self) -> float:
        return float(self.tokens) / float(self.rows) if self.rows else 0.0

    @staticmethod
    def from_block(block: bytes | None) -> CorpusStats:
        if not block:
            return CorpusStats(0, 0)
        values = varints(block)
        return CorpusStats(values[0], sum(values[1:]))


def document_length(size_blob: bytes) -> int:
    """An article's length in tokens, all columns together, from its docsize record."""
    return sum(varints(size_blob))


def idf(rows: int, containing: int) -> float:
    """FTS5's idf, floor included."""
    value = math.log((rows - containing + 0.5) / (containing + 0.5))
    return value if value > 0.0 else MIN_IDF


def saturation(weight: float, length: float, avgdl: float) -> float:
    """bm25's per-phrase factor without idf: how strongly `weight` occurrences count in
    an article of `length` tokens. Increases with weight, decreases with length."""
    return (weight * (K1 + 1.0)) / (weight + K1 * (1 - B + B * length / avgdl))


def relevance(
    idfs_and_weights: Sequence[tuple[float, float]], length: float, avgdl: float
) -> float:
    """-bm25 for one article: the sum over phrases, accumulated in FTS5's order (FTS5
    returns the sum negated; negation is exact, so this is -bm25 to the last bit)."""
    score = 0.0
    for phrase_idf, weight in idfs_and_weights:
        score += phrase_idf * saturation(weight, length, avgdl)
    return score


def weight_from_saturation(value: float, length: float, avgdl: float) -> int:
    """The integer `weight` whose saturation is `value` (inverts `saturation`)."""
    denominator = K1 * (1 - B + B * length / avgdl)
    return round(value * denominator / (K1 + 1.0 - value))
