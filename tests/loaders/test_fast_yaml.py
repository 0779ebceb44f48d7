"""What both fast YAML paths (block_yaml.py, plain_yaml.py) promise: PyYAML's value
or UNUSUAL, on real, synthetic and generated frontmatter."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import block_yaml, plain_yaml
from loaders.synthetic import generate_corpus
from tests.conftest import POWER_APPS, SHARED_SEEDS
from tests.loaders.yaml_cases import (
    LIMITS,
    RESOLVED,
    answered_alike,
    frontmatter_of,
    ordinary,
    plain_words,
)

LOADERS = pytest.mark.parametrize("loader", [block_yaml, plain_yaml], ids=["lines", "events"])


@LOADERS
def test_synthetic_articles_take_the_fast_path(tmp_path: Path, loader: Any) -> None:
    for path in generate_corpus(tmp_path, 300, seed=7):
        text = frontmatter_of(path)
        assert text is not None
        assert answered_alike(loader, text), path.name


@LOADERS
@pytest.mark.skipif(not POWER_APPS.is_dir(), reason="needs ../shared")
def test_the_real_corpus_takes_the_fast_path(loader: Any) -> None:
    for path in sorted(POWER_APPS.glob("*.md")) + sorted(SHARED_SEEDS.glob("*")):
        text = frontmatter_of(path)
        if text is not None:
            assert answered_alike(loader, text), path.name


@LOADERS
@pytest.mark.parametrize("scalar", RESOLVED)
def test_plain_scalars_resolve_as_pyyaml_resolves_them(loader: Any, scalar: str) -> None:
    for text in (f"k: {scalar}\n", f"- {scalar}\n", f"{scalar}: v\n",
                 f"k: [{scalar}, x]\n", f"k:\n  - {scalar}\n"):  # fmt: skip
        answered_alike(loader, text)


@LOADERS
def test_duplicate_keys_keep_the_first_position_and_the_last_value(loader: Any) -> None:
    text = "a: 1\nb: 2\na: 3\n"
    assert answered_alike(loader, text)
    assert list(loader.load(text, **LIMITS).items()) == [("a", 3), ("b", 2)]


@LOADERS
def test_dates_and_times_are_pyyaml_objects(loader: Any) -> None:
    text = "d: 2002-12-14\nt: 2001-12-14t21:59:43.10-05:00\n"
    loaded = loader.load(text, **LIMITS)
    assert type(loaded["d"]) is date and type(loaded["t"]) is datetime
    assert loaded == ordinary(text)


@LOADERS
@settings(max_examples=300, deadline=None)
@given(words=st.lists(plain_words, min_size=1, max_size=6))
def test_hand_typed_plain_scalars_load_alike(loader: Any, words: list[str]) -> None:
    """Unquoted text as publishers type it, not as a dumper would quote it."""
    text = "".join(f"k{i}: {w}\n" for i, w in enumerate(words)) + "l:\n"
    answered_alike(loader, text + "".join(f"  - {w}\n" for w in words))
