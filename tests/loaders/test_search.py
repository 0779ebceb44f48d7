"""Search reads against SQLite: ranking, index maintenance, highlights."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.ingest import ingest
from loaders.query.filters import ArticleFilter
from loaders.query.ordering import MOST_RELEVANT, NEWEST_FIRST, Ordering
from loaders.query.pages import PageRequest
from loaders.reader import Reader
from loaders.search.highlight import Markers, highlights
from loaders.search.hits import search_count, search_page, search_scores
from loaders.search.language import parse_query
from loaders.search.statistics import AVERAGES_SQL, CorpusStats, document_length, idf, relevance
from loaders.search.weights import COLUMNS, RELEVANCE_SQL, TOKENIZER
from tests.conftest import FIXTURES
from tests.statements import StatementCounter

SEARCH = FIXTURES / "search" / "articles"


@pytest.fixture
async def search_db(tmp_path: Path) -> AsyncIterator[Reader]:
    path = tmp_path / "search.db"
    report = await ingest(path, [SEARCH])
    assert not report.rejected, report.rejected
    reader = await Reader.open(path, size=1)
    yield reader
    await reader.close()


async def _slugs(
    db: Reader, text: str, ordering: Ordering = MOST_RELEVANT, **kw: object
) -> list[str]:
    page = await search_page(db, parse_query(text), PageRequest(first=50, ordering=ordering, **kw))
    return [hit.row.slug for hit in page.hits]


async def test_field_weights_rank_title_over_topic_excerpt_provider_body(search_db: Reader) -> None:
    assert await _slugs(search_db, "heliostat") == [
        "rank_title", "rank_topic", "rank_excerpt", "rank_provider", "rank_body", "rank_body_long",
    ]  # fmt: skip


async def test_scores_are_bm25_and_descend(search_db: Reader) -> None:
    page = await search_page(
        search_db, parse_query("heliostat"), PageRequest(first=10, ordering=MOST_RELEVANT)
    )
    scores = [hit.score for hit in page.hits]
    assert all(s is not None and s > 0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    direct = await search_scores(search_db, '"heliostat"', [hit.row.id for hit in page.hits])
    assert [direct[hit.row.id] for hit in page.hits] == scores


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"solar grid"', {"phrase_exact"}),
        ("solar grid", {"phrase_exact", "phrase_apart"}),
        ("regulat*", {"phrase_exact", "phrase_apart"}),
        ("solar -panels", {"phrase_exact"}),
        ("zeppelin OR harbour", {"zeppelin", "private_use", "phrase_exact"}),
        ("cafe", {"accent"}),
        ("CAFÉ ölmühle", {"accent"}),
        ("kunstliche", {"accent"}),  # a topic name
        ("strassen", set()),  # ß is a letter, not a diacritic
        ("plains daily heliostat", {"rank_title", "rank_topic", "rank_excerpt", "rank_body",
                                   "rank_body_long"}),  # provider name
    ],
)  # fmt: skip
async def test_query_language_semantics(search_db: Reader, query: str, expected: set[str]) -> None:
    assert set(await _slugs(search_db, query)) == expected


async def test_any_order_may_replace_relevance(search_db: Reader) -> None:
    newest = await _slugs(search_db, "heliostat", NEWEST_FIRST)
    assert newest == [
        "rank_body_long", "rank_body", "rank_provider", "rank_excerpt", "rank_topic", "rank_title",
    ]  # fmt: skip
    page = await search_page(
        search_db, parse_query("heliostat"), PageRequest(first=3, ordering=NEWEST_FIRST)
    )
    assert all(hit.score is None for hit in page.hits)  # loaded apart when asked for


async def test_filters_apply_to_hits(search_db: Reader) -> None:
    only = ArticleFilter(providers=("heliostat-weekly.example.org",))
    assert await _slugs(search_db, "heliostat", filter=only) == ["rank_provider"]
    assert await search_count(search_db, '"heliostat"', only) == 1
    assert await search_count(search_db, '"heliostat"', ArticleFilter()) == 6


async def test_bm25_recomputed_in_python_is_fts5s_to_the_last_bit(search_db: Reader) -> None:
    """The top lists depend on it: same inputs, same operations, same floats."""
    block = await search_db.fetch_one(AVERAGES_SQL)
    assert block is not None
    corpus = CorpusStats.from_block(block[0])
    weights = dict(COLUMNS)
    for word in ("heliostat", "the", "mirrors", "zeppelin", "solar"):
        rows = await search_db.fetch(
            f"SELECT rowid, {RELEVANCE_SQL} FROM article_fts WHERE article_fts MATCH ?", (word,)
        )
        for rowid, score in rows:
            size = await search_db.fetch_one(
                "SELECT sz FROM article_fts_docsize WHERE id = ?", (rowid,)
            )
            counted = await search_db.fetch(
                "SELECT title, excerpt, body, topic_names, provider_name FROM article_content "
                "WHERE id = ?",
                (rowid,),
            )
            assert size is not None and counted
            weight = sum(
                weights[name] * _count(text, word)
                for (name, _), text in zip(COLUMNS, counted[0], strict=True)
            )
            length = document_length(size[0])
            assert relevance([(idf(corpus.rows, len(rows)), weight)], length, corpus.avgdl) == score


def _count(text: str | None, word: str) -> int:
    """Occurrences of `word` as FTS5 tokenizes `text` (asked of FTS5 itself)."""
    if not text:
        return 0
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize = {TOKENIZER})")
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        conn.execute("INSERT INTO t VALUES (?)", (text,))
        return int(conn.execute("SELECT count(*) FROM v WHERE term = ?", (word,)).fetchone()[0])
    finally:
        conn.close()


async def test_hits_follow_every_reingest(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(SEARCH, folder)
    db_path = tmp_path / "s.db"
    await ingest(db_path, [folder])
    reader = await Reader.open(db_path, size=1)
    try:
        assert "zeppelin" in await _slugs(reader, "zeppelin")
        # edit: the word leaves one article and enters another
        text = (folder / "zeppelin.md").read_text().replace("zeppelin", "airship")
        (folder / "zeppelin.md").write_text(text)
        text = (folder / "filler_sport.md").read_text().replace("regatta", "regatta zeppelin")
        (folder / "filler_sport.md").write_text(text)
        # add and remove
        (folder / "new_airship.md").write_text(
            "---\ntitle: Airship hangar reopens\npublishedDateTime: 2021-10-01\n---\nBody.\n"
        )
        (folder / "private_use.md").unlink()
        report = await ingest(db_path, [folder])
        assert len(report.updated) == 2 and report.added and report.removed
        assert set(await _slugs(reader, "zeppelin")) == {"filler_sport"}
        assert set(await _slugs(reader, "airship")) == {"zeppelin", "new_airship"}
        assert await search_count(reader, '"zeppelin"', ArticleFilter()) == 1
        integrity = await reader.fetch(
            "SELECT count(*) FROM article_fts WHERE article_fts MATCH 'zeppelin OR airship'"
        )
        assert integrity[0][0] == 3
    finally:
        await reader.close()
    check = sqlite3.connect(db_path)
    try:  # the index holds exactly what article_content holds
        check.execute("INSERT INTO article_fts(article_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        check.close()


DEFAULT_MARKERS = Markers()


async def _highlights(db: Reader, query: str, slug: str, markers: Markers = DEFAULT_MARKERS) -> Any:
    row = await db.fetch_one("SELECT id FROM articles WHERE slug = ?", (slug,))
    assert row is not None
    found = await highlights(db, parse_query(query).expression(), [row[0]], markers)
    return found[row[0]]


async def test_highlights_escape_text_but_not_markers(search_db: Reader) -> None:
    found = await _highlights(search_db, "script", "html")
    assert found.title == (
        "Tags like &lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt; "
        "&amp; friends"
    )
    assert (
        found.excerpt
        == "Escaping &lt;b&gt;matters&lt;/b&gt; when a <mark>script</mark> appears in text."
    )
    assert "&lt;<mark>script</mark>&gt; tags &amp; entities like &amp;amp;" in found.body


async def test_highlight_markers_are_configurable(search_db: Reader) -> None:
    markers = Markers(start='<em class="hit">', end="</em>", ellipsis="[...]", snippet_tokens=4)
    found = await _highlights(search_db, "heliostat", "rank_body_long", markers)
    assert found.title == "Mirrors that follow the sun"
    assert found.body.startswith("[...]") or found.body.endswith("[...]")
    assert '<em class="hit">heliostat</em>' in found.body
    words = found.body.replace("[...]", "").replace('<em class="hit">', "").replace("</em>", "")
    assert len(words.split()) == 4


async def test_a_marker_holding_the_private_characters_is_never_rewritten(
    search_db: Reader,
) -> None:
    """Our markers are swapped for the caller's in one pass when theirs contain ours."""
    markers = Markers(start="\ue001[", end="]\ue000", ellipsis="\ue002", snippet_tokens=4)
    found = await _highlights(search_db, "heliostat", "rank_title", markers)
    assert found.title == "\ue001[Heliostat]\ue000 fields at dawn"
    plain = await _highlights(search_db, "heliostat", "rank_title", Markers(start="[", end="]"))
    assert plain.title == "[Heliostat] fields at dawn"


async def test_body_without_a_match_has_no_snippet(search_db: Reader) -> None:
    found = await _highlights(search_db, "heliostat", "rank_title")
    assert found.title == "<mark>Heliostat</mark> fields at dawn"
    assert found.body is None


async def test_text_with_the_marker_characters_is_escaped_without_markers(
    search_db: Reader,
) -> None:
    found = await _highlights(search_db, "zeppelin", "private_use")
    assert found.title == "Marker \ue000 inside a zeppelin title"
    assert "<mark>" not in found.body and "zeppelin" in found.body
    assert "\ue000" not in found.body and "\ue001" not in found.body


async def test_highlights_of_a_page_cost_one_statement(search_db: Reader) -> None:
    ids = [r[0] for r in await search_db.fetch("SELECT id FROM articles")]
    counter = StatementCounter()
    await search_db.set_trace(counter)
    found = await highlights(search_db, '"heliostat"', ids, Markers())
    await search_db.set_trace(None)
    assert len(found) == 6 and len(counter.statements) == 1, counter.statements


async def test_an_older_schema_is_rebuilt_with_the_index(tmp_path: Path) -> None:
    """Version 2 had no FTS index: opening rebuilds (virtual tables and all), ingest refills."""
    from loaders import db

    path = tmp_path / "old.db"
    await ingest(path, [SEARCH])
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 2")
    conn.close()
    upgraded = db.connect_sync(path)
    try:
        assert db.emptied_by_upgrade(upgraded)
        assert upgraded.execute("SELECT count(*) FROM article_fts").fetchone()[0] == 0
        assert upgraded.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    finally:
        upgraded.close()
    await ingest(path, [SEARCH])
    reader = await Reader.open(path, size=1)
    try:
        assert await _slugs(reader, "zeppelin") == ["private_use", "zeppelin"]
    finally:
        await reader.close()


async def test_scratch_highlights_mark_what_the_index_marks(search_db: Reader) -> None:
    """Queries of one group of alternatives are marked in a scratch table holding only
    titles and excerpts; every hit must read exactly as the corpus index marks it."""
    ids = [r[0] for r in await search_db.fetch("SELECT id FROM articles")]
    titles = [r[0] for r in await search_db.fetch("SELECT title FROM article_content")]
    words = sorted({w for t in titles for w in t.lower().split() if w.isalnum()})[:25]
    texts = [
        *words,
        "cafe", "café", "zeppel*", "sc*", '"solar grid"', "<script>", "mirrors OR script",
        "heliostat OR zeppelin OR accent", "market* OR weather",
        "\ue000", "data data",  # private-use text; a repeated word
        # AND and NOT take the index (a title word is marked only when the body has the
        # other word): the scratch table would leave these unmarked
        "mirrors engineers", "heliostat -zeppelin",
    ]  # fmt: skip
    compared = 0
    for text in texts:
        query = parse_query(text)
        expression = query.expression()
        for markers in (Markers(), Markers("[", "]")):
            scratch = await highlights(search_db, expression, ids, markers, body=False)
            index = await highlights(search_db, expression, ids, markers, body=False, scratch=False)
            for rowid, expected in index.items():
                assert scratch[rowid] == expected, (text, rowid)
                compared += 1
    assert compared > 100


async def test_plain_pages_are_marked_in_python_as_the_index_marks_them(
    search_db: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages whose titles and excerpts are ASCII take no scratch table (it would fail
    here), and read exactly as the corpus index marks them."""
    from loaders.search import highlight as module

    rows = await search_db.fetch("SELECT id, title, excerpt FROM article_content")
    plain = [r[0] for r in rows if module._is_plain(r[1]) and module._is_plain(r[2])]
    assert 5 <= len(plain) < len(rows)

    def no_scratch() -> None:
        raise AssertionError("the scratch table was used")

    monkeypatch.setattr(module._SCRATCH, "table", no_scratch)
    compared = 0
    for text in ["heliostat", "mirrors OR script", "sc*", "market* OR weather", "Data"]:
        expression = parse_query(text).expression()
        python = await highlights(search_db, expression, plain, Markers("[", "]"), body=False)
        index = await highlights(
            search_db, expression, plain, Markers("[", "]"), body=False, scratch=False
        )
        for rowid, expected in index.items():
            assert python[rowid] == expected, (text, rowid)
            compared += 1
    assert compared >= 5


# Plain texts made of tokens the alternatives may match, joined by separators.
PLAIN_TOKENS = ["data", "Data", "DATA", "a", "ab", "d0", "ta", "xdata", "data9", "e", "_", "9"]
PLAIN_SEPARATORS = [" ", "_", "-", "'", ".", "<", "&", "\n", "\u00a0", "\u2019", "\u2014", "\u201c"]
plain_texts = st.lists(
    st.tuples(st.sampled_from(PLAIN_TOKENS), st.sampled_from(PLAIN_SEPARATORS)), max_size=8
).map(lambda parts: "".join(token + separator for token, separator in parts))


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(plain_texts | st.text(alphabet="aAdt0 _-'\u2019", max_size=20), min_size=1,
                   max_size=4),
    alternatives=st.lists(
        st.tuples(st.sampled_from(["data", "a", "ab", "Data", "ta", "d0", "e"]), st.booleans()),
        min_size=1, max_size=3,
    ),
)  # fmt: skip
def test_python_marking_is_fts5s_highlight(
    texts: list[str], alternatives: list[tuple[str, bool]]
) -> None:
    from loaders.search import highlight as module

    terms = [f'"{w}"' + ("*" if star and len(w) > 1 else "") for w, star in alternatives]
    expression = terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"
    parsed = module._ascii_alternatives(expression)
    assert parsed is not None and all(module._is_plain(t) for t in texts)
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(title, tokenize = {TOKENIZER})")
    conn.executemany("INSERT INTO t (rowid, title) VALUES (?, ?)", enumerate(texts, 1))
    marked = dict(
        conn.execute(
            "SELECT rowid, highlight(t, 0, ?, ?) FROM t WHERE t MATCH ?",
            (module.OPEN, module.CLOSE, expression),
        )
    )
    conn.close()
    for rowid, text in enumerate(texts, 1):
        assert module._marked_in_python(parsed, text) == marked.get(rowid, text), text


@pytest.mark.parametrize(
    "expression",
    ['"solar grid"', '"café"', '("data") NOT ("x")', '"data" "grid"', '("a" OR "b c")', '"a_b"'],
)
def test_python_marking_takes_only_ascii_words_and_prefixes(expression: str) -> None:
    from loaders.search import highlight as module

    assert module._ascii_alternatives(expression) is None
