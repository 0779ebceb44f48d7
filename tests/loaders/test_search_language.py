"""The search query language: what people type, what FTS5 receives."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.search.language import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    SearchSyntaxError,
    parse_query,
)
from loaders.search.weights import TOKENIZER

HOSTILE = [
    '"unbalanced',
    'a "b c',
    '"',
    '""',
    "title:secret",
    "body : x",
    "NEAR(solar grid, 2)",
    "NEAR",
    "^solar",
    "solar^",
    "OR",
    "AND",
    "NOT",
    "solar OR",
    "OR solar",
    "solar OR OR grid",
    "-",
    "--solar",
    "*",
    "solar*",
    "(solar",
    "{title body}: solar",
    "solar + grid",
    "a:b:c",
    "'; DROP TABLE articles; --",
    "\\\\ \u0000 \t\n",
    "🙂 ☃",
    "画像認識",
    "x" * 300,
]


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, excerpt, body, topic_names, provider_name, "
        f"tokenize = {TOKENIZER})"
    )
    conn.execute(
        "INSERT INTO t VALUES ('Solar grid', 'or and not near', 'e-mail NEAR drone', "
        "'画像認識', 'Café')"
    )
    yield conn
    conn.close()


def _only_our_syntax(expression: str) -> bool:
    """Outside its quoted strings, the expression holds nothing but our operators."""
    outside = re.sub(r'"[^"]*"', " ", expression)
    return re.fullmatch(r"[()* ]*(?:(?:AND|OR|NOT)[()* ]*)*", outside) is not None


def _run(conn: sqlite3.Connection, text: str) -> int | None:
    """Hits of the query in FTS5, or None when it cannot be searched (a clear error)."""
    try:
        expression = parse_query(text).expression()
    except SearchSyntaxError as exc:
        assert str(exc) and "fts5" not in str(exc).lower()
        return None
    assert _only_our_syntax(expression), expression
    row = conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expression,)).fetchone()
    return int(row[0])


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_searched_or_refused_clearly(fts: sqlite3.Connection, text: str) -> None:
    # Either a clear SearchSyntaxError (None) or a count from FTS5, which raises on bad syntax.
    assert _run(fts, text) in (None, 0, 1)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_compiles_to_valid_fts5(fts: sqlite3.Connection, text: str) -> None:
    # FTS5 would raise on a syntax error; a refusal must be a SearchSyntaxError.
    assert _run(fts, text) in (
        None,
        0,
        1,
    )  # an FTS5 syntax error would raise sqlite3.OperationalError


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(['"', "-", "*", "OR", " ", ":", "^", "(", ")", "NEAR", "solar", "é"]),
        max_size=20,
    )
)
def test_operator_soup_compiles_to_valid_fts5(fts: sqlite3.Connection, parts: list[str]) -> None:
    assert _run(fts, "".join(parts)) in (None, 0, 1)


@pytest.mark.parametrize(
    ("text", "interpretation"),
    [
        ("solar grid", "solar grid"),
        ('"solar grid"', '"solar grid"'),
        ('"solar grid', '"solar grid"'),  # an open quote runs to the end
        ("regulat*", "regulat*"),
        ('"machine lear"*', '"machine lear"*'),
        ("solar -panels", "solar -panels"),
        ('solar -"rooftop panels"', 'solar -"rooftop panels"'),
        ("grid solar OR wind", "grid (solar OR wind)"),
        ("a OR b OR c", "(a OR b OR c)"),
        ("solar or wind", "solar or wind"),  # lower-case or is a word
        ("OR solar", "OR solar"),
        ("solar OR", "solar OR"),
        ("solar OR -wind", "solar OR -wind"),
        ("e-mail", '"e mail"'),
        ("node.js 10:30", '"node js" "10 30"'),
        ("(solar), grid!", "solar grid"),
        ("title:secret", '"title secret"'),
        ("NEAR(solar grid)", "NEAR solar grid"),
        ("^solar", "solar"),
    ],
)
def test_interpretation(text: str, interpretation: str) -> None:
    assert parse_query(text).interpretation() == interpretation


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no words"),
        ("   ", "no words"),
        ("!!! ... ???", "no words"),
        ('""', "no words"),
        ("*", "no words"),
        ("-solar -grid", "every word of the query is excluded"),
        ("s*", "at least 2 letters"),
        ("x" * (MAX_QUERY_CHARS + 1), f"at most {MAX_QUERY_CHARS}"),
        (" ".join(["w"] * (MAX_TERMS + 1)), f"at most {MAX_TERMS}"),
    ],
)
def test_unsearchable_queries_say_why(text: str, message: str) -> None:
    with pytest.raises(SearchSyntaxError, match=message):
        parse_query(text)


def test_matching_ignores_case_and_diacritics_but_not_word_forms(fts: sqlite3.Connection) -> None:
    assert _run(fts, "CAFE") == _run(fts, "café") == 1
    assert _run(fts, "solar") == 1 and _run(fts, "solars") == 0  # no stemming
    assert _run(fts, "sol*") == 1
    assert _run(fts, '"grid solar"') == 0 and _run(fts, "grid solar") == 1
    assert _run(fts, "e-mail") == 1 and _run(fts, "mail") == 1
    assert _run(fts, "画像認識") == 1  # a run of CJK characters is one token


def test_operators_typed_as_words_are_searched_as_words(fts: sqlite3.Connection) -> None:
    assert _run(fts, "NEAR drone") == 1  # the word "near", not FTS5's NEAR
    assert _run(fts, "solar -drone") == 0
    assert _run(fts, "zeppelin OR drone") == 1
    assert _run(fts, "NOT") == 1  # the word "not" is in the excerpt


def test_single_word_is_reported_only_for_plain_ascii_words() -> None:
    assert parse_query("Solar").single_word() == "solar"
    assert parse_query("café").single_word() is None
    assert parse_query("solar*").single_word() is None
    assert parse_query('"solar grid"').single_word() is None
    assert parse_query("solar -grid").single_word() is None
    assert parse_query("solar grid").single_word() is None


def test_fingerprint_names_what_matches_not_how_it_was_typed() -> None:
    assert parse_query("Solar  grid").fingerprint() == parse_query("solar grid").fingerprint()
    assert parse_query("solar grid").fingerprint() != parse_query("solar OR grid").fingerprint()
