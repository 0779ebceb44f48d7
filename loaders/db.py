"""SQLite connections and the storage schema.

One file holds the whole corpus. Every connection runs in WAL mode so that the
server keeps reading the last committed corpus while an ingest writes the next
one, and a crash mid-ingest leaves the previous state intact.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

# Written into the file header by PRAGMA application_id so that `newsgraph`
# refuses to write into a database that belongs to something else.
APPLICATION_ID = 0x4E475248  # "NGRH"
# Version 2 split article facts (narrow, indexed for filters, orders and facets)
# from their content; version 3 added the full-text index and its top lists; version
# 4 the files' stamps (size, mtime) that let an ingest skip unchanged files; 5 keeps
# the full-text index from the ingest instead of triggers; 6 stores the corpus's
# facet counts; 8 keeps each article's images and topic ids on its content row, so a
# page of cards needs no statement per list; 9 adds the articles_flags index; 10 keeps
# only the frontmatter keys no column holds (`extra`), not a JSON copy of it all; 11
# drops the `images` table, which nothing read once 8 put the images on the content
# row (an article's `image_count` serves the has-image filter). The
# database is derived from files, so an older schema is rebuilt empty (see _rebuild)
# and refilled by the next ingest, except one the current schema only adds indexes
# to, which the next ingest brings up to date in place (see _add_indexes).
SCHEMA_VERSION = 11
# Versions the current schema only adds indexes to: (CREATE ... IF NOT EXISTS).
ADDS_INDEXES_TO: frozenset[int] = frozenset()
BUSY_TIMEOUT_MS = 10_000


class DatabaseError(Exception):
    """The database file cannot be opened or is not a newsgraph database."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Folders that were ingested; an article belongs to the root it was last found under.
CREATE TABLE IF NOT EXISTS roots (
    id   INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
);

CREATE TABLE IF NOT EXISTS providers (
    id            INTEGER PRIMARY KEY,
    domain        TEXT NOT NULL UNIQUE,      -- stored lower-cased
    name          TEXT NOT NULL,
    images        TEXT NOT NULL DEFAULT '[]', -- JSON list of image objects
    article_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS topics (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    article_count INTEGER NOT NULL DEFAULT 0
);

-- One row per article: its identity (the file it came from) and every fact that
-- filters, orders and facets read. Kept narrow on purpose: counting and grouping
-- scan these rows, and the long texts live in article_content.
CREATE TABLE IF NOT EXISTS articles (
    id              INTEGER PRIMARY KEY,
    path            TEXT NOT NULL UNIQUE,   -- identity: path relative to its root
    root_id         INTEGER NOT NULL REFERENCES roots(id),
    slug            TEXT NOT NULL UNIQUE,
    content_hash    TEXT NOT NULL,
    published_ts    INTEGER NOT NULL,       -- microseconds since the epoch (UTC)
    published_month INTEGER NOT NULL,       -- YYYYMM in UTC, for the months facet
    provider_id     INTEGER REFERENCES providers(id),
    type            TEXT COLLATE NOCASE,    -- filters and facets ignore case
    category        TEXT COLLATE NOCASE,
    published       INTEGER,                -- 0/1, or NULL when the file does not say
    quality         INTEGER,
    heat            INTEGER,
    image_count     INTEGER NOT NULL,
    related_count   INTEGER NOT NULL,
    trending        REAL NOT NULL,          -- see loaders/trending.py
    sort_title      TEXT NOT NULL,          -- casefolded title, for the TITLE order
    file_size       INTEGER,                -- the file's stamp when last read: an equal
    file_mtime_ns   INTEGER                 -- stamp means unchanged (NULL: read it again)
);
-- Orders: each index serves its order in both directions, ties broken by id.
CREATE INDEX IF NOT EXISTS articles_newest ON articles(published_ts, id);
CREATE INDEX IF NOT EXISTS articles_by_provider ON articles(provider_id, published_ts, id);
CREATE INDEX IF NOT EXISTS articles_by_provider_trending ON articles(provider_id, trending, id);
CREATE INDEX IF NOT EXISTS articles_trending ON articles(trending, id);
CREATE INDEX IF NOT EXISTS articles_by_heat ON articles(ifnull(heat, -2147483649), id);
CREATE INDEX IF NOT EXISTS articles_by_quality ON articles(ifnull(quality, -2147483649), id);
CREATE INDEX IF NOT EXISTS articles_by_title ON articles(sort_title, id);
CREATE INDEX IF NOT EXISTS articles_by_root ON articles(root_id);
-- Facets group on these without sorting.
CREATE INDEX IF NOT EXISTS articles_by_type ON articles(type);
CREATE INDEX IF NOT EXISTS articles_by_category ON articles(category);
CREATE INDEX IF NOT EXISTS articles_by_month ON articles(published_month);
CREATE INDEX IF NOT EXISTS articles_by_published ON articles(published);
-- Counts under flag filters (published, quality, heat, has image or related, type):
-- these columns are all such a count reads, so SQLite scans this index, a tenth of the
-- table's pages (published, has image, quality 50+ at 100,000 articles: 21 -> 7 ms).
CREATE INDEX IF NOT EXISTS articles_flags
    ON articles(published, quality, heat, image_count, related_count, type);

-- What an article shows (and what search reads): fetched by id for a page's rows only.
CREATE TABLE IF NOT EXISTS article_content (
    id               INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    title            TEXT NOT NULL,
    excerpt          TEXT,
    published_at     TEXT NOT NULL,         -- UTC ISO-8601, e.g. 2021-02-16T03:47:00Z
    original_url     TEXT,
    web_url          TEXT,
    amp_url          TEXT,
    cdn_amp_url      TEXT,
    featured_content TEXT,
    provider_name    TEXT,                  -- as written in this article
    provider_images  TEXT NOT NULL DEFAULT '[]',
    topic_names      TEXT NOT NULL DEFAULT '', -- as written, one per line (for search)
    images           TEXT NOT NULL DEFAULT '[]', -- JSON, as rows.decoded_images reads it
    -- A copy of the article's rows in `article_topics` (same order), which serve
    -- filters, facets and topic pages: a card reads them here, with its row.
    topic_ids        TEXT NOT NULL DEFAULT '',   -- topic ids, comma-separated
    body             TEXT NOT NULL,
    secured          TEXT,                  -- stored, never served
    extra            TEXT                   -- the publisher's own keys as JSON (parse.py)
);

CREATE TABLE IF NOT EXISTS article_topics (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    topic_id   INTEGER NOT NULL REFERENCES topics(id),
    name       TEXT NOT NULL,                -- as written in this article
    -- Copies of the article's order keys, so a topic's newest and trending pages are
    -- index ranges instead of sorting every article of the topic.
    published_ts INTEGER NOT NULL,
    trending     REAL NOT NULL,
    PRIMARY KEY (article_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS article_topics_by_topic
    ON article_topics(topic_id, published_ts, article_id);
CREATE INDEX IF NOT EXISTS article_topics_trending
    ON article_topics(topic_id, trending, article_id);

-- Every URL an article can be reached by, normalized (see loaders/urls.py).
CREATE TABLE IF NOT EXISTS article_urls (
    url        TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (url, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS article_urls_by_article ON article_urls(article_id);

-- An article's `related` references, in frontmatter order, as written.
CREATE TABLE IF NOT EXISTS related (
    article_id      INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    title           TEXT NOT NULL,
    excerpt         TEXT,
    original_url    TEXT,
    web_url         TEXT,
    amp_url         TEXT,
    cdn_amp_url     TEXT,
    published_at    TEXT,
    type            TEXT,
    quality         INTEGER,
    provider_name   TEXT,
    provider_domain TEXT,
    images          TEXT NOT NULL DEFAULT '[]', -- JSON list of image objects
    normalized_url  TEXT,                       -- of the reference's main URL
    target_id       INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    PRIMARY KEY (article_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS related_by_target ON related(target_id, article_id);
CREATE INDEX IF NOT EXISTS related_by_url ON related(normalized_url);

-- Every normalized URL of a reference (webUrl, originalUrl, ampWebUrl, cdnAmpWebUrl),
-- so that a new article can find the references that name it by any of its URLs.
CREATE TABLE IF NOT EXISTS reference_urls (
    article_id INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    priority   INTEGER NOT NULL,
    url        TEXT NOT NULL,
    PRIMARY KEY (article_id, position, priority),
    FOREIGN KEY (article_id, position) REFERENCES related(article_id, position) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reference_urls_by_url ON reference_urls(url);
-- References that resolve to no corpus article, by URL: the link checker's groups
-- (covering, so grouping reads the index alone).
CREATE INDEX IF NOT EXISTS related_unresolved ON related(target_id, normalized_url, article_id)
    WHERE target_id IS NULL;

-- Facet counts of the whole corpus (loaders/query/facets.py), recounted by every ingest
-- that changes it: the unfiltered facets of a home page read these rows instead of
-- scanning. Raw grouped values (a month as YYYYMM, heat as stored); topics and
-- providers keep their own article_count.
CREATE TABLE IF NOT EXISTS corpus_facets (
    facet TEXT NOT NULL,
    value ANY,
    count INTEGER NOT NULL,
    PRIMARY KEY (facet, value)
);

-- Full-text search (see loaders/search). The index reads its text from article_content
-- (external content: no second copy); the ingest keeps it in step batch by batch
-- (loaders/search/index.py), before content rows change or go and after new ones.
-- Tokens are runs of letters, digits and marks, case-folded, diacritics removed; no
-- stemming. Column order matters: the bm25 weights in loaders/search/weights.py follow it.
CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5(
    title, excerpt, body, topic_names, provider_name,
    content = 'article_content', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);
-- Top lists of frequent words (see loaders/search/toplists.py): per word, the articles
-- scoring best for it alone, and a threshold no article outside the list exceeds.
CREATE TABLE IF NOT EXISTS search_terms (
    term      TEXT PRIMARY KEY,   -- as the index spells it (lower-case ASCII letters/digits)
    threshold REAL NOT NULL,      -- bm25 saturation term bound for articles not listed
    avgdl     REAL NOT NULL,      -- the average article length the threshold holds for
    containing INTEGER NOT NULL   -- articles containing the word (for its idf), kept exact
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS search_top (
    term       TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    weight     INTEGER NOT NULL,  -- sum of column weights over the word's occurrences
    length     INTEGER NOT NULL,  -- the article's indexed tokens
    PRIMARY KEY (term, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS search_top_by_article ON search_top(article_id);
"""


def _configure(conn: sqlite3.Connection, *, read_only: bool, busy_timeout_ms: int) -> None:
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    conn.execute("PRAGMA foreign_keys = ON")
    # NORMAL is durable across application crashes in WAL mode; only an OS crash
    # can lose the last transaction, and never corrupts the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    if read_only:
        conn.execute("PRAGMA query_only = ON")


def _check_and_migrate(conn: sqlite3.Connection, *, create: bool) -> None:
    """Verify the file belongs to newsgraph (or is empty) and bring its schema up to date."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    table_count = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and table_count > 0):
        raise DatabaseError("not a newsgraph database (it holds other data)")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"database schema version {version} is newer than this newsgraph "
            f"({SCHEMA_VERSION}); upgrade newsgraph"
        )
    if version == SCHEMA_VERSION:
        return
    if not create:
        if version == 0:
            raise DatabaseError("database is empty; ingest content first")
        action = (
            "bring it up to date (its articles are kept)"
            if version in ADDS_INDEXES_TO
            else "rebuild it"
        )
        raise DatabaseError(
            f"database schema version {version} is older than this newsgraph "
            f"({SCHEMA_VERSION}); run `newsgraph ingest` on your content to {action}"
        )
    if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
        raise DatabaseError("could not switch the database to WAL mode")
    if version == 0:
        _create(conn)
    elif version in ADDS_INDEXES_TO:
        _add_indexes(conn)
    else:
        _rebuild(conn, version)


def _create(conn: sqlite3.Connection) -> None:
    with conn:
        conn.executescript(
            "BEGIN;"
            + SCHEMA
            + f"PRAGMA application_id = {APPLICATION_ID};"
            + f"PRAGMA user_version = {SCHEMA_VERSION};"
            + "INSERT OR IGNORE INTO meta(key, value) VALUES ('corpus_version', '0');"
            + "COMMIT;"
        )


# ANALYZE creates sqlite_stat1: a row here means the planner has statistics.
_ANALYZED = "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"


def _add_indexes(conn: sqlite3.Connection) -> None:
    """Create what the schema has and the database lacks (indexes only), keeping its
    data, with statistics for the planner."""
    statistics = "ANALYZE articles_flags;" if conn.execute(_ANALYZED).fetchone() else ""
    conn.executescript(
        "BEGIN IMMEDIATE;"
        + SCHEMA
        + statistics
        + f"PRAGMA user_version = {SCHEMA_VERSION};"
        + "COMMIT;"
    )


def _rebuild(conn: sqlite3.Connection, old_version: int) -> None:
    """Replace an older schema with the current one, empty, in one transaction.

    The corpus version moves on (served content changes) and the database is marked
    so that `serve` asks for content instead of quietly serving nothing or the seeds.
    """
    corpus_version = int(
        conn.execute("SELECT value FROM meta WHERE key = 'corpus_version'").fetchone()[0]
    )
    # Virtual tables first: dropping one drops its shadow tables with it.
    tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY sql LIKE 'CREATE VIRTUAL%' DESC"
    ).fetchall()
    drops = "".join(f'DROP TABLE IF EXISTS "{name}";' for (name,) in tables)
    conn.execute("PRAGMA foreign_keys = OFF")  # drop in any order; restored below
    try:
        # One script, so the drop and the new schema commit together (executescript
        # would commit a transaction opened by a separate execute).
        conn.executescript(
            "BEGIN IMMEDIATE;"
            + drops
            + SCHEMA
            + f"PRAGMA user_version = {SCHEMA_VERSION};"
            + "INSERT INTO meta(key, value) VALUES "
            + f"('corpus_version', '{corpus_version + 1}'), "
            + f"('emptied_by_upgrade', '{old_version}');"
            + "COMMIT;"
        )
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def emptied_by_upgrade(conn: sqlite3.Connection) -> bool:
    """Whether an upgrade emptied the database and no ingest has refilled it yet."""
    row = conn.execute("SELECT 1 FROM meta WHERE key = 'emptied_by_upgrade'").fetchone()
    return row is not None


def connect_sync(
    path: str | Path, *, read_only: bool = False, busy_timeout_ms: int | None = None
) -> sqlite3.Connection:
    """Open (creating when writable) a newsgraph database with the standard settings;
    a lock held by another connection is waited for up to `busy_timeout_ms` (default
    BUSY_TIMEOUT_MS)."""
    try:
        if read_only:
            # A URI, escaped: a `#` or `?` in the path would end its file name.
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False)
        conn.isolation_level = None  # explicit BEGIN/COMMIT only
        wait = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
        _configure(conn, read_only=read_only, busy_timeout_ms=wait)
        _check_and_migrate(conn, create=not read_only)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot open database {path}: {exc}") from exc
    return conn


async def connect(path: str | Path, *, read_only: bool = False) -> aiosqlite.Connection:
    """Async counterpart of connect_sync: the same connection, driven by aiosqlite's thread.

    The connection is opened and checked before aiosqlite gets it: when aiosqlite's
    own connector fails, its worker thread outlives the event loop and crashes.
    """
    opened = await asyncio.to_thread(connect_sync, path, read_only=read_only)
    return await aiosqlite.Connection(lambda: opened, iter_chunk_size=256)


async def meta_int(conn: aiosqlite.Connection, key: str, default: int) -> int:
    """An integer kept in the meta table (corpus_version, next_article_id), or `default`."""
    rows = list(await conn.execute_fetchall("SELECT value FROM meta WHERE key = ?", (key,)))
    return int(rows[0][0]) if rows else default


async def roll_back(conn: aiosqlite.Connection) -> None:
    """ROLLBACK if a transaction is open. A COMMIT interrupted by cancellation may still
    finish in aiosqlite's thread, leaving nothing to roll back: that is no reason to
    replace the error being raised."""
    if conn.in_transaction:
        with contextlib.suppress(aiosqlite.OperationalError):
            await conn.execute("ROLLBACK")


def placeholders(values: Sequence[Any] | int) -> str:
    """`?, ?, ?` for an IN list of the given length."""
    n = values if isinstance(values, int) else len(values)
    return ", ".join("?" * n)


def chunked(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """Slices of at most `size` items (keeps IN lists under SQLite's variable limit)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


# A dropped index: its name and the statement that creates it again.
DroppedIndex = tuple[str, str]


async def drop_indexes(conn: aiosqlite.Connection, names: Sequence[str]) -> list[DroppedIndex]:
    """Drop these indexes (those that exist) before a bulk write, for `create_indexes`
    after it: one sort per index instead of an index update per row. Inside a write
    transaction, a failure or crash before COMMIT leaves them as they were."""
    rows = await conn.execute_fetchall(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN "
        f"({placeholders(names)})",
        names,
    )
    for name, _ in rows:
        await conn.execute(f"DROP INDEX {name}")
    return [(name, sql) for name, sql in rows]


async def create_indexes(conn: aiosqlite.Connection, indexes: Sequence[DroppedIndex]) -> None:
    """Create dropped indexes again, with planner statistics when the database has
    them (dropping an index drops its rows of sqlite_stat1)."""
    for _, sql in indexes:
        await conn.execute(sql)
    if indexes and await has_statistics(conn):
        for name, _ in indexes:
            await conn.execute(f"ANALYZE {name}")


async def has_statistics(conn: aiosqlite.Connection) -> bool:
    """Whether ANALYZE ever ran on this database (it creates sqlite_stat1)."""
    return bool(list(await conn.execute_fetchall(_ANALYZED)))
