"""Fixtures shared by the loader tests."""

from __future__ import annotations

import pytest

from loaders.search import toplists

# Top lists on a small synthetic corpus: words in 40 articles get lists of 30.
SMALL_MIN_ARTICLES = 40
SMALL_LIST_SIZE = 30


@pytest.fixture
def small_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toplists, "MIN_ARTICLES", SMALL_MIN_ARTICLES)
    monkeypatch.setattr(toplists, "LIST_SIZE", SMALL_LIST_SIZE)
