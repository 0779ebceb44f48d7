"""Parsing and validation of single files (pure; no database)."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import parse
from loaders.files import FileTask, Status, content_hash, load_file
from loaders.parse import HAS_C_YAML, Rejection, parse_article, slugify
from tests.conftest import INVALID, REPO, VALID

ARTICLE = b"""---
title: "A title"
publishedDateTime: 2021-04-01T10:00:00-07:00
quality: 5
topics: [AI, Computer Vision, ai]
---
Body text.
"""


def test_the_c_yaml_loader_is_used() -> None:
    assert HAS_C_YAML


def test_offsets_are_converted_to_utc() -> None:
    article = parse_article(ARTICLE)
    assert article.published_at == "2021-04-01T17:00:00Z"
    assert article.published_ts == 1617296400 * 1_000_000


def test_crlf_and_bom_parse_like_lf() -> None:
    crlf = b"\xef\xbb\xbf" + ARTICLE.replace(b"\n", b"\r\n")
    assert parse_article(crlf) == parse_article(ARTICLE)


def test_topics_are_deduplicated_case_insensitively_in_order() -> None:
    assert parse_article(ARTICLE).topics == ("AI", "Computer Vision")


def test_the_publishers_own_keys_are_kept_as_extra() -> None:
    raw = ARTICLE.replace(
        b"quality: 5", b"quality: 5\nx_custom:\n  nested: [1, 2]\n  day: 2021-02-03\nauthor: R."
    )
    extra = json.loads(parse_article(raw).extra_json or "null")
    assert extra == {"x_custom": {"nested": [1, 2], "day": "2021-02-03"}, "author": "R."}


def test_articles_of_the_usual_keys_have_no_extra() -> None:
    """The seed articles use every key of the format (MODELLED_KEYS names each of them)."""
    seeds = sorted((REPO / "seeds").rglob("*.md"))
    assert seeds and parse_article(ARTICLE).extra_json is None
    for path in seeds:
        assert parse_article(path.read_bytes()).extra_json is None, path


def test_an_extra_value_json_cannot_hold_is_a_clear_rejection() -> None:
    raw = ARTICLE.replace(b"quality: 5", b"quality: 5\nbig: 1180591620717411303424")
    with pytest.raises(Rejection, match="frontmatter cannot be stored"):
        parse_article(raw)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Computer Vision", "computer-vision"), ("Café  Society", "cafe-society"),
     ("画像認識", "画像認識"), ("C++ & Rust!", "c-rust")],
)  # fmt: skip
def test_slugify(name: str, expected: str) -> None:
    assert slugify(name) == expected


def _load(path: Any, max_bytes: int = 2_000_000) -> Any:
    return load_file(FileTask(str(path), path.name, None, max_bytes))


@pytest.mark.parametrize("name", sorted(p.name for p in INVALID.iterdir()))
def test_every_invalid_fixture_is_rejected_with_its_reason(
    name: str, expected: dict[str, Any]
) -> None:
    result = _load(INVALID / name)
    assert result.status is Status.REJECTED
    keywords = [
        expected["invalid"][name],
        *expected.get("invalid_also_acceptable", {}).get(name, []),
    ]
    assert any(k.lower() in result.reason.lower() for k in keywords), result.reason
    # Reasons are for people: one line, no Python internals.
    assert "\n" not in result.reason and "Traceback" not in result.reason


def test_field_errors_name_the_field_and_the_problem() -> None:
    result = _load(INVALID / "image_width_string.md")
    assert result.reason == "images[0].width: expected an integer, got a string 'wide'"


def test_malformed_yaml_reports_the_line() -> None:
    result = _load(INVALID / "malformed_yaml.md")
    assert "line" in result.reason


def test_alias_bomb_is_rejected_fast_in_bounded_memory() -> None:
    tracemalloc.start()
    started = time.perf_counter()
    result = _load(INVALID / "alias_bomb.md")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.status is Status.REJECTED
    assert elapsed < 2.0
    assert peak < 50 * 1024 * 1024


def test_oversized_file_is_rejected_before_reading(tmp_path: Any) -> None:
    big = tmp_path / "big.md"
    big.write_bytes(ARTICLE + b"x" * 5000)
    result = _load(big, max_bytes=1000)
    assert result.status is Status.REJECTED
    assert "over the 1000-byte limit" in result.reason


@pytest.mark.parametrize("kind", ["named pipe", "folder"])
def test_a_path_that_is_no_longer_a_file_is_rejected_at_once(tmp_path: Path, kind: str) -> None:
    """The walk saw a file; by the read it is something else. A named pipe would make
    an ordinary open wait for a writer for ever."""
    path = tmp_path / "a.md"
    if kind == "named pipe":
        os.mkfifo(path)
    else:
        path.mkdir()
    results: list[Any] = []
    reader = threading.Thread(target=lambda: results.append(_load(path)), daemon=True)
    reader.start()
    reader.join(10)
    assert results, "the read is still waiting"
    assert results[0].status is Status.REJECTED
    assert results[0].reason == "cannot read file: not a regular file"


@pytest.mark.parametrize(("real", "rejected"), [(500, False), (5000, True)])
def test_a_file_that_grew_since_its_stat_is_read_to_its_end_or_one_byte_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real: int, rejected: bool
) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(ARTICLE + b"x" * (real - len(ARTICLE)))
    true_fstat = os.fstat

    def smaller(fd: int) -> os.stat_result:  # the size it had a moment before
        found = list(true_fstat(fd))
        found[stat.ST_SIZE] = 100
        return os.stat_result(found)

    monkeypatch.setattr(os, "fstat", smaller)
    result = _load(path, max_bytes=1000)
    if rejected:
        assert result.reason == "file is 1001 bytes, over the 1000-byte limit"
    else:
        assert result.status is Status.PARSED
        assert result.content_hash == content_hash(path.read_bytes())  # all of it


def test_txt_without_frontmatter_is_ignored_not_rejected() -> None:
    assert _load(VALID / "readme_notes.txt").status is Status.IGNORED


def test_unchanged_file_is_not_parsed(tmp_path: Any) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(ARTICLE)
    first = _load(path)
    again = load_file(FileTask(str(path), "a.md", first.content_hash, 2_000_000))
    assert first.status is Status.PARSED
    assert again.status is Status.UNCHANGED and again.article is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [("quality: 99999999999", "out of range"), ("published: 1", "true or false"),
     ("heat: .nan", "integer"), ("title: ['x']", "string")],
)  # fmt: skip
def test_type_errors(value: str, reason: str) -> None:
    key = value.split(":")[0]
    raw = (
        ARTICLE.replace(b"quality: 5", value.encode())
        if key != "title"
        else (ARTICLE.replace(b'title: "A title"', value.encode()))
    )
    with pytest.raises(Rejection) as info:
        parse_article(raw)
    assert info.value.field == key
    assert reason in info.value.reason


def test_an_impossible_date_is_malformed_yaml_not_a_parser_failure() -> None:
    """YAML 1.1 reads 2021-13-45 as a timestamp, and PyYAML's constructor then fails
    with a ValueError: the reason names the problem instead of 'unexpected failure'."""
    raw = ARTICLE.replace(b"quality: 5", b"quality: 5\nupdated: 2021-13-45")
    with pytest.raises(Rejection, match=r"^malformed YAML: month must be in 1\.\.12$"):
        parse_article(raw)


# Pieces of files around the frontmatter's `---` lines, odd ones included.
SPLIT_PIECES = st.sampled_from(
    ["---", "----", "--- ", "-- -", "\n", "\n\n", " ", "\t", "\u00a0", "\r", "x", "title: a"]
)


@settings(max_examples=2000, deadline=None)
@given(pieces=st.lists(SPLIT_PIECES, max_size=12), opening=st.sampled_from(["---\n", "---", ""]))
def test_frontmatter_splits_as_python_frontmatter_splits_it(
    pieces: list[str], opening: str
) -> None:
    text = opening + "".join(pieces)
    try:
        expected: tuple[str, str] | None = parse._HANDLER.split(text)
    except ValueError:
        expected = None
    try:
        got: tuple[str, str] | None = parse.split_frontmatter(text)
    except ValueError:
        got = None
    assert got == expected, repr(text)


def test_the_common_layout_takes_the_string_search() -> None:
    text = "---\ntitle: x\n---\nbody\n"
    with_regex_unavailable = parse._HANDLER.FM_BOUNDARY
    try:
        parse._HANDLER.FM_BOUNDARY = None  # the handler would fail if asked
        assert parse.split_frontmatter(text) == ("\ntitle: x\n", "\nbody\n")
    finally:
        parse._HANDLER.FM_BOUNDARY = with_regex_unavailable
    assert parse.split_frontmatter(text) == parse._HANDLER.split(text)


def test_dates_before_year_1000_keep_four_digit_years() -> None:
    article = parse_article(b"---\ntitle: T\npublishedDateTime: 0999-03-04T05:06:07.25Z\n---\n")
    assert article.published_at == "0999-03-04T05:06:07.25Z"


@settings(max_examples=500, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1000, 1, 2), timezones=st.timezones()))
def test_format_utc_writes_what_strftime_writes_from_year_1000(moment: datetime) -> None:
    utc = moment.astimezone(UTC)
    fraction = f".{utc.microsecond:06d}".rstrip("0") if utc.microsecond else ""
    assert parse.format_utc(moment) == utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
