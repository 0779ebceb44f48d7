"""Top lists: exact relevance pages for frequent words without scoring every match.

A word found in half of 100,000 articles has 50,000 matches, and FTS5 computes bm25
for each before it can return the best 20 (about 40 ms here). Search engines avoid
this with lists of the best documents per frequent term ("champion lists", impact
ordering). Ours are exact, not approximate:

- For each ASCII word in at least MIN_ARTICLES articles, `search_top` holds the
  LIST_SIZE articles with the highest bm25 saturation for it (how strongly its
  occurrences count; see weights.py), each with its weighted count and length, and
  `search_terms` holds a *threshold*: no article outside the list has a higher
  saturation, at the average length `avgdl` the list was built with. It also keeps
  how many articles contain the word (bm25's idf needs it): counting them at query
  time walks the word's whole doclist, a millisecond for a word in half of 100,000
  articles, while every ingest that changes articles recounts them once.
- For a single-word search, the page is computed from the list in Python with the
  same formula and numbers FTS5 uses (statistics.py), so scores are identical. It is
  served only if it provably is the true page: the article after it in the list must
  score above anything outside the list could, i.e. above
  idf * threshold * max(1, avgdl now / avgdl then). (Saturation can grow by at most
  that ratio when the average length grows; it shrinks when it falls.) Otherwise -
  a narrow filter, a deep page - search scores every match as usual.
- Every ingest keeps the lists true: articles that changed are re-scored and join a
  list when they beat its threshold; removed articles leave it (a shorter list stays
  true). Lists are rebuilt from the index when they run short, when a tenth of the
  corpus changed since the last build, or when the average length drifted. A full
  rebuild runs after the ingest's COMMIT, in processes (`refresh` drops the lists,
  `lists_in_processes` and `store_lists` make them again): the write lock is not held
  for it, and searches score every match meanwhile.

Words outside ASCII always take the full path: only for ASCII is the index's spelling
of a word certain without asking FTS5.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import aiosqlite

from loaders.db import (
    chunked,
    connect_sync,
    create_indexes,
    drop_indexes,
    meta_int,
    placeholders,
    roll_back,
)
from loaders.files import Processes
from loaders.query.filters import ArticleFilter, compile_filter
from loaders.reader import Reader
from loaders.search.statistics import (
    AVERAGES_SQL,
    DOCSIZE_TABLE,
    CorpusStats,
    document_length,
    idf,
    relevance,
    saturation,
    weight_from_saturation,
)
from loaders.search.weights import COLUMNS, FTS_TABLE, K1, RELEVANCE_SQL, TOKENIZER, B

if TYPE_CHECKING:
    from loaders.search import occurrences

log = logging.getLogger(__name__)

MIN_ARTICLES = 5000  # fewer matches are scored in full in a few ms; lists cost ingest time
LIST_SIZE = 500  # enough for a first page under filters keeping a tenth of the hits
REBUILD_FRACTION = 0.1  # of the corpus changed since the last build
MAX_DRIFT = 0.05  # relative change of the average article length since the last build
STATE_KEY = "search_top_lists"
SQL_CHUNK = 500
SHARES_PER_PROCESS = 4
# Scoring a word from its occurrences costs ~0.17 us an occurrence, through bm25 ~0.8 us an
# article: the first is cheaper up to about 4.5 occurrences per article (measured over
# the 371 frequent words of the benchmark's 100,000 articles: 7.6 -> 3.2 CPU-seconds).
OCCURRENCES_PER_ARTICLE = 4
MAX_OCCURRENCES = 2_000_000  # held in memory at once, ~50 bytes each
WORKER_CACHE_KB = 65536  # a list process reads every frequent word's doclist and sizes
# A list process reads a private database while the ingest that waits for it finishes
# its own transaction; that transaction may hold the file (rollback journal) for as long
# as index building takes at the corpus's size: wait, it is the only writer there is.
LIST_READER_WAIT_MS = 3_600_000
# A bound computed in floating point may be off in its last bits: demand a clear margin.
SAFETY = 1.0 + 1e-9

_COLUMN_NAMES = ", ".join(name for name, _ in COLUMNS)
_WEIGHT_CASE = "CASE w.col " + " ".join(f"WHEN '{n}' THEN {w}" for n, w in COLUMNS) + " END"


# ---------------------------------------------------------------- keeping lists true


async def _corpus(conn: aiosqlite.Connection) -> CorpusStats:
    rows = list(await conn.execute_fetchall(AVERAGES_SQL))
    return CorpusStats.from_block(rows[0][0] if rows else None)


# The LIST_SIZE + 1 best matches of a word, as FTS5 scores them.
RANK_SQL = (
    f"SELECT rowid, {RELEVANCE_SQL} AS score FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? "
    "ORDER BY score DESC, rowid DESC LIMIT ?"
)
LENGTHS_SQL = f"SELECT id, sz FROM {DOCSIZE_TABLE} WHERE id IN (SELECT value FROM json_each(?))"
INSERT_ENTRIES = "INSERT INTO search_top (term, article_id, weight, length) VALUES (?, ?, ?, ?)"
INSERT_TERM = "INSERT INTO search_terms (term, threshold, avgdl, containing) VALUES (?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class WordList:
    """One word's list, ready to store."""

    entries: list[tuple[str, int, int, int]]  # (word, article id, weight, length)
    term: tuple[str, float, float, int]  # (word, threshold, avgdl, containing)


def _rank_arguments(word: str, size: int) -> tuple[str, int]:
    return f'"{word}"', size + 1


def _lengths_argument(ids: Iterable[int]) -> str:
    return json.dumps(list(ids))


def _lengths_of(sizes: Iterable[Sequence[Any]]) -> dict[int, int]:
    """{article id: indexed tokens} from (id, docsize record) rows."""
    return {rowid: document_length(size) for rowid, size in sizes}


async def _lengths(conn: aiosqlite.Connection, ids: Iterable[int]) -> dict[int, int]:
    """Indexed tokens of these articles."""
    return _lengths_of(await conn.execute_fetchall(LENGTHS_SQL, (_lengths_argument(ids),)))


def _word_list(
    word: str, containing: int, corpus: CorpusStats,
    ranked: Sequence[Sequence[Any]], lengths: Mapping[int, int], size: int,
) -> WordList | None:  # fmt: skip
    """The list from a word's best matches (RANK_SQL) and their lengths; None if
    FTS5's scores cannot be reproduced exactly from the stored numbers."""
    word_idf = idf(corpus.rows, containing)
    avgdl = corpus.avgdl
    entries: list[tuple[str, int, int, int]] = []
    saturations: list[float] = []
    for rowid, score in ranked:
        length = lengths[rowid]
        weight = weight_from_saturation(score / word_idf, length, avgdl)
        if weight < 1 or relevance([(word_idf, weight)], length, avgdl) != score:
            return None
        entries.append((word, rowid, weight, length))
        saturations.append(saturation(weight, length, avgdl))
    threshold = saturations[size] if len(entries) > size else 0.0
    return WordList(entries[:size], (word, threshold, avgdl, containing))


async def _list_of_word(
    conn: aiosqlite.Connection, word: str, containing: int, corpus: CorpusStats
) -> WordList | None:
    """One word's list, read through the caller's connection (and transaction)."""
    ranked = list(await conn.execute_fetchall(RANK_SQL, _rank_arguments(word, LIST_SIZE)))
    if not ranked:
        return None
    lengths = await _lengths(conn, [rowid for rowid, _ in ranked])
    return _word_list(word, containing, corpus, ranked, lengths, LIST_SIZE)


async def _store(conn: aiosqlite.Connection, made: Sequence[WordList]) -> None:
    await conn.executemany(INSERT_ENTRIES, [entry for found in made for entry in found.entries])
    await conn.executemany(INSERT_TERM, [found.term for found in made])


async def build_word(
    conn: aiosqlite.Connection, word: str, containing: int, corpus: CorpusStats
) -> bool:
    """Rebuild one word's list from the index; False (and no list) if FTS5's scores
    cannot be reproduced exactly from the stored numbers."""
    await conn.execute("DELETE FROM search_top WHERE term = ?", (word,))
    await conn.execute("DELETE FROM search_terms WHERE term = ?", (word,))
    made = await _list_of_word(conn, word, containing, corpus)
    if made is None:
        return False
    await _store(conn, [made])
    return True


def _listable(word: str) -> bool:
    return word.isascii() and word.isalnum()


VOCABULARY_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocabulary "
    f"USING fts5vocab(main, {FTS_TABLE}, row)"
)
FREQUENT_SQL = (
    "SELECT term, doc, cnt FROM temp.search_vocabulary WHERE doc >= ? ORDER BY doc DESC, term"
)


class FrequentWord(NamedTuple):
    word: str
    containing: int  # articles
    occurrences: int  # in all of them, every column


def _frequent(rows: Iterable[Sequence[Any]]) -> list[FrequentWord]:
    return [FrequentWord(*row) for row in rows if _listable(row[0])]


async def frequent_words(conn: aiosqlite.Connection) -> list[FrequentWord]:
    """The words that get a list, most frequent first."""
    await conn.execute(VOCABULARY_TABLE)
    return _frequent(await conn.execute_fetchall(FREQUENT_SQL, (MIN_ARTICLES,)))


def frequent_words_at(db_path: str) -> list[FrequentWord]:
    """frequent_words of the committed database at `db_path`, read by a connection of its
    own (it reads every word's doclist: a quarter of a second at 100,000 articles)."""
    conn = connect_sync(db_path, read_only=True, busy_timeout_ms=LIST_READER_WAIT_MS)
    try:
        # The vocabulary is a table in `temp`, which query_only forbids creating; the
        # file itself stays read-only (opened with mode=ro).
        conn.execute("PRAGMA query_only = OFF")
        conn.execute(VOCABULARY_TABLE)
        return _frequent(conn.execute(FREQUENT_SQL, (MIN_ARTICLES,)).fetchall())
    finally:
        conn.close()


async def rebuild(conn: aiosqlite.Connection, corpus: CorpusStats) -> None:
    """Drop every list and build one per frequent word."""
    made = []
    for word, containing, _ in await frequent_words(conn):
        found = await _list_of_word(conn, word, containing, corpus)
        if found is not None:
            made.append(found)
    await _replace_all(conn, made)


async def _replace_all(conn: aiosqlite.Connection, made: Sequence[WordList]) -> None:
    """Drop every list and store `made`."""
    await _delete_lists(conn)
    # Nothing deletes articles while the lists fill: the index that cascades their
    # deletion to search_top can wait, and is built once.
    deferred = await drop_indexes(conn, ["search_top_by_article"])
    await _store(conn, made)
    await create_indexes(conn, deferred)


def lists_of_words(db_path: str, words: Sequence[FrequentWord], size: int) -> list[WordList]:
    """The lists (of `size` articles) of `words`, read from the database at `db_path` by a
    connection of its own: the work of one process of `lists_in_processes`.

    A word whose articles hold it at most OCCURRENCES_PER_ARTICLE times on average is
    scored from its occurrences (`_from_occurrences`), the others by FTS5's bm25."""
    conn = connect_sync(db_path, read_only=True, busy_timeout_ms=LIST_READER_WAIT_MS)
    try:
        conn.execute(f"PRAGMA cache_size = -{WORKER_CACHE_KB}")
        conn.execute("PRAGMA query_only = OFF")  # for tables in `temp`, as above
        corpus = CorpusStats.from_block(conn.execute(AVERAGES_SQL).fetchone()[0])
        counted = _from_occurrences(conn, [w for w in words if _counted_cheaper(w)], corpus, size)
        made: list[WordList] = []
        for word in words:
            if word.word in counted:
                found = counted[word.word]
            else:
                found = _ranked_list(conn, word, corpus, size)
            if found is not None:
                made.append(found)
        return made
    finally:
        conn.close()


def _from_occurrences(
    conn: sqlite3.Connection, words: Sequence[FrequentWord], corpus: CorpusStats, size: int
) -> dict[str, WordList | None]:
    """The lists of `words` scored from their occurrences (occurrences.py), by word;
    none if the first (the least frequent) has another list than FTS5's ranking gives,
    or the sizes cannot be read."""
    if not words:
        return {}
    from loaders.search import occurrences  # numpy: only the list builders need it

    conn.execute(occurrences.INSTANCES_TABLE)
    lengths = occurrences.Lengths.read(conn)
    if lengths is None:
        log.warning("top lists: the index's size records do not add up; using FTS5")
        return {}
    made: dict[str, WordList | None] = {}
    for word in sorted(words, key=lambda w: w.containing):
        found = occurrences.scored(conn, *word, lengths, corpus)
        made[word.word] = None if found is None else _word_list_of(word.word, found, corpus, size)
        if len(made) == 1 and made[word.word] != _ranked_list(conn, word, corpus, size):
            log.warning("top lists: scores from occurrences differ from FTS5's; using FTS5")
            return {}
    return made


def _counted_cheaper(word: FrequentWord) -> bool:
    return (
        word.occurrences <= OCCURRENCES_PER_ARTICLE * word.containing
        and word.occurrences <= MAX_OCCURRENCES
    )


def _ranked_list(
    conn: sqlite3.Connection, word: FrequentWord, corpus: CorpusStats, size: int
) -> WordList | None:
    """A word's list from FTS5's ranking (RANK_SQL)."""
    ranked = conn.execute(RANK_SQL, _rank_arguments(word.word, size)).fetchall()
    if not ranked:
        return None
    sizes = conn.execute(LENGTHS_SQL, (_lengths_argument(r for r, _ in ranked),))
    return _word_list(word.word, word.containing, corpus, ranked, _lengths_of(sizes), size)


def _word_list_of(word: str, found: occurrences.Scored, corpus: CorpusStats, size: int) -> WordList:
    """A word's list from the scores of all articles containing it."""
    avgdl = corpus.avgdl
    best = found.best(size + 1)
    entries = [
        (word, int(found.ids[i]), int(found.weights[i]), int(found.lengths[i])) for i in best
    ]
    threshold = saturation(entries[size][2], entries[size][3], avgdl) if len(best) > size else 0.0
    return WordList(entries[:size], (word, threshold, avgdl, len(found.ids)))


# Lists being computed: a task whose result is its shares, each a future of its lists.
Computing = asyncio.Task[list[asyncio.Future[list[WordList]]]]


def computing(db_path: Path, processes: int, running: Processes) -> Computing:
    """The lists of the frequent words of the committed database at `db_path` (read by a
    connection of their own, `frequent_words_at`), being computed in shares by
    `processes` processes of `running` (0 or 1: a thread of this one). Its result is the
    shares (`computed` gathers them).

    Computing the lists is a large part of a full ingest's last seconds (3.5 CPU-seconds
    at 100,000 articles) and would run on one core inside the ingest's transaction.
    Other processes can only read committed data, so the ingest commits first: a first
    ingest (loaders/building.py) computes the lists here while it finishes in a second
    transaction, and stores them in a third (`store_computed`); a large re-ingest after
    it drops them and commits (`refresh`), then stores them with `store_lists`.
    Searches meanwhile score every match, which gives the same pages.
    """

    async def shares() -> list[asyncio.Future[list[WordList]]]:
        found = await asyncio.to_thread(frequent_words_at, str(db_path))
        if processes <= 1:
            whole = asyncio.to_thread(lists_of_words, str(db_path), found, LIST_SIZE)
            return [asyncio.ensure_future(whole)]
        # Most frequent first, dealt round-robin into small shares: each process takes
        # the next when it is done, so both end together.
        count = min(len(found), processes * SHARES_PER_PROCESS)
        if not count:
            return []  # no frequent word: no pool to start
        loop = asyncio.get_running_loop()
        pool = running.pool(processes)
        return [
            loop.run_in_executor(pool, lists_of_words, str(db_path), found[i::count], LIST_SIZE)
            for i in range(count)
        ]

    return asyncio.ensure_future(shares())


async def computed(lists: Computing) -> list[WordList]:
    """All the lists of `lists`, once every share is done."""
    parts = await asyncio.gather(*await lists)
    return [found for part in parts for found in part]


async def lists_in_processes(db_path: Path, processes: int, running: Processes) -> list[WordList]:
    """The lists `computing` computes, all of them."""
    return await computed(computing(db_path, processes, running))


async def cancel(lists: Computing) -> None:
    """Stop computing lists (a share a process has begun runs to its end, unread)."""
    lists.cancel()
    await asyncio.gather(lists, return_exceptions=True)
    if not lists.cancelled() and lists.exception() is None:
        for share in lists.result():
            share.cancel()
        await asyncio.gather(*lists.result(), return_exceptions=True)


async def store_computed(conn: aiosqlite.Connection, made: Sequence[WordList]) -> None:
    """Replace every list with `made`, inside the caller's transaction."""
    await _replace_all(conn, made)
    await _save_state(conn, _State((await _corpus(conn)).avgdl, 0))


async def store_lists(
    conn: aiosqlite.Connection, made: Sequence[WordList], *, corpus_version: int | None = None
) -> bool:
    """Replace every list with `made`, in a transaction of its own.

    With `corpus_version` (the version `made` was computed at, for a database others
    write to), the lists are stored only if the corpus is still at that version and no
    lists were stored since, and not at all if another ingest holds the database:
    False then, and that ingest (or the next) builds them.
    """
    try:
        await conn.execute("BEGIN IMMEDIATE")
    except aiosqlite.OperationalError:
        if corpus_version is None:
            raise
        return False  # busy past the timeout: an ingest runs, and it will see no lists
    try:
        if corpus_version is not None and (
            await meta_int(conn, "corpus_version", 0) != corpus_version
            or await _load_state(conn) is not None
        ):
            await conn.execute("ROLLBACK")
            return False
        await store_computed(conn, made)
        await conn.execute("COMMIT")
        return True
    except BaseException:
        await roll_back(conn)
        raise


async def _score_new(conn: aiosqlite.Connection, ids: Sequence[int]) -> None:
    """Add changed articles to the lists whose threshold they beat."""
    await conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_delta "
        f"USING fts5({_COLUMN_NAMES}, tokenize = {TOKENIZER})"
    )
    await conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_delta_words "
        "USING fts5vocab(temp, search_delta, instance)"
    )
    terms = {
        row[0]: (row[1], row[2])
        for row in await conn.execute_fetchall("SELECT term, threshold, avgdl FROM search_terms")
    }
    if not terms:
        return
    for part in chunked(list(ids), SQL_CHUNK):
        await conn.execute("DELETE FROM temp.search_delta")
        await conn.execute(
            f"INSERT INTO temp.search_delta (rowid, {_COLUMN_NAMES}) "
            f"SELECT id, {_COLUMN_NAMES} FROM article_content WHERE id IN ({placeholders(part)})",
            part,
        )
        # The FTS index and this copy tokenize alike, so these are the index's counts.
        counted = await conn.execute_fetchall(
            f"SELECT w.term, w.doc, sum({_WEIGHT_CASE}) FROM temp.search_delta_words AS w "
            "WHERE w.term IN (SELECT term FROM search_terms) GROUP BY w.term, w.doc"
        )
        lengths = await _lengths(conn, part)
        joining = []
        for word, rowid, weight in counted:
            threshold, avgdl = terms[word]
            if saturation(weight, lengths[rowid], avgdl) > threshold:
                joining.append((word, rowid, weight, lengths[rowid]))
        await conn.executemany(
            "INSERT INTO search_top (term, article_id, weight, length) VALUES (?, ?, ?, ?)",
            joining,
        )
    await conn.execute("DELETE FROM temp.search_delta")


async def _rebuild_short(conn: aiosqlite.Connection, corpus: CorpusStats) -> None:
    """Rebuild lists that removals left with fewer than half their articles."""
    short = await conn.execute_fetchall(
        "SELECT t.term FROM search_terms AS t WHERE t.threshold > 0 AND "
        "(SELECT count(*) FROM search_top AS s WHERE s.term = t.term) < ?",
        (LIST_SIZE // 2,),
    )
    for (word,) in short:
        rows = list(
            await conn.execute_fetchall(
                f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?", (f'"{word}"',)
            )
        )
        await build_word(conn, word, rows[0][0], corpus)


@dataclass(frozen=True, slots=True)
class _State:
    avgdl: float
    changes: int


async def _load_state(conn: aiosqlite.Connection) -> _State | None:
    rows = list(await conn.execute_fetchall("SELECT value FROM meta WHERE key = ?", (STATE_KEY,)))
    if not rows:
        return None
    data: dict[str, Any] = json.loads(rows[0][0])
    return _State(float(data["avgdl"]), int(data["changes"]))


async def _save_state(conn: aiosqlite.Connection, state: _State) -> None:
    await conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (STATE_KEY, json.dumps({"avgdl": state.avgdl, "changes": state.changes})),
    )


async def refresh(
    conn: aiosqlite.Connection, changed_ids: Collection[int], removed: int,
    *, defer_rebuild: bool = False,
) -> bool:  # fmt: skip
    """Bring the lists in step with the index after an ingest changed articles (inside
    the ingest's transaction: readers see old lists with the old index, or new with new).

    With `defer_rebuild`, a rebuild that is due only drops the lists (searches then score
    every match, the same pages) and True says the caller is to rebuild them after
    COMMIT with `lists_in_processes` and `store_lists`, on every core and outside the
    transaction: 3.5 CPU-seconds at 100,000 articles. Lists that are missing already (never
    built, or dropped by an ingest whose lists were not stored) are rebuilt here, in the
    transaction: under a stream of ingests each committing before the previous one's lists
    are stored, deferring again and again would never bring them back.
    """
    corpus = await _corpus(conn)
    state = await _load_state(conn)
    changes = (state.changes if state else 0) + len(changed_ids) + removed
    drifted = state is not None and abs(corpus.avgdl - state.avgdl) > MAX_DRIFT * state.avgdl
    if corpus.rows == 0 or state is None or drifted or changes > REBUILD_FRACTION * corpus.rows:
        if defer_rebuild and state is not None and corpus.rows > 0:
            await _drop_all(conn)
            return True
        await rebuild(conn, corpus)
        await _save_state(conn, _State(corpus.avgdl, 0))
        return False
    ids = list(changed_ids)
    for part in chunked(ids, SQL_CHUNK):
        await conn.execute(
            f"DELETE FROM search_top WHERE article_id IN ({placeholders(part)})", part
        )
    await _score_new(conn, ids)
    await _rebuild_short(conn, corpus)
    await _recount(conn)
    await _save_state(conn, _State(state.avgdl, changes))
    return False


async def missing(conn: aiosqlite.Connection) -> bool:
    """Whether the lists of a non-empty corpus were dropped and not rebuilt (an ingest
    stopped between its COMMIT and its lists' transaction): the next ingest rebuilds
    them, changes or not."""
    if await _load_state(conn) is not None:
        return False
    return bool(await conn.execute_fetchall("SELECT 1 FROM articles LIMIT 1"))


async def _delete_lists(conn: aiosqlite.Connection) -> None:
    await conn.execute("DELETE FROM search_top")
    await conn.execute("DELETE FROM search_terms")


async def _drop_all(conn: aiosqlite.Connection) -> None:
    """The lists and the state saying they were built, gone: `missing` says so after."""
    await _delete_lists(conn)
    await conn.execute("DELETE FROM meta WHERE key = ?", (STATE_KEY,))


async def _recount(conn: aiosqlite.Connection) -> None:
    """Count again the articles containing each listed word (the words are ASCII letters
    and digits, so quoting them makes a one-word FTS5 query)."""
    await conn.execute(
        f"UPDATE search_terms SET containing = (SELECT count(*) FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH '\"' || search_terms.term || '\"')"
    )


# ---------------------------------------------------------------- answering from a list


@dataclass(frozen=True, slots=True)
class ListedPage:
    """A page proven exact from a top list: (score, article id) in order."""

    hits: list[tuple[float, int]]
    has_more: bool
    matches: int  # articles containing the word, filter or not


async def listed_page(
    db: Reader,
    word: str,
    filter: ArticleFilter,
    size: int,
    *,
    after: tuple[float, int] | None = None,
    offset: int = 0,
) -> ListedPage | None:
    """The page of a one-word search in relevance order (score, then id, descending),
    from the word's top list; None when there is no list or it cannot prove the page."""
    found = await db.fetch_one(
        f"SELECT t.threshold, t.avgdl, ({AVERAGES_SQL}), t.containing "
        "FROM search_terms AS t WHERE t.term = ?",
        (word,),
    )
    if found is None:
        return None
    threshold, list_avgdl, block, matches = found
    corpus = CorpusStats.from_block(block)
    avgdl = corpus.avgdl
    word_idf = idf(corpus.rows, matches)
    bound = word_idf * threshold * max(1.0, avgdl / list_avgdl) * SAFETY
    needed = offset + size + 1
    # relevance([(word_idf, weight)], length, avgdl) in SQL: the operations of
    # statistics.relevance in the same order on the same doubles (so the same floats),
    # for the whole list in C; only the rows the page needs come back.
    score = "0.0 + ? * ((s.weight * ?) / (s.weight + ? * (1 - ? + ? * s.length / ?)))"
    params: list[Any] = [word_idf, K1 + 1.0, K1, B, B, avgdl, word]
    join = where = ""
    if not filter.is_empty():
        condition = compile_filter(filter)
        join = "CROSS JOIN articles AS a ON a.id = s.article_id"
        where = f" AND ({condition.sql})"
        params += condition.params
    past = ""
    if after is not None:
        past = "WHERE (score, id) < (?, ?)"
        params += after
    scored = await db.fetch(
        f"SELECT score, id FROM (SELECT {score} AS score, s.article_id AS id "
        f"FROM search_top AS s {join} WHERE s.term = ?{where}) {past} "
        "ORDER BY score DESC, id DESC LIMIT ?",
        [*params, needed],
    )
    if len(scored) >= needed and scored[needed - 1][0] > bound:
        return ListedPage(scored[offset : offset + size], True, matches)
    if threshold == 0.0:  # the list holds every article with the word
        return ListedPage(scored[offset : offset + size], len(scored) >= needed, matches)
    return None
