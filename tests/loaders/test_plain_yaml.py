"""loaders/plain_yaml.py against PyYAML's own loader: the same value, or UNUSUAL."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import parse, plain_yaml
from tests.conftest import FIXTURES, REPO
from tests.loaders.yaml_cases import (
    LIMITS,
    answered_alike,
    frontmatter_of,
    values,
)


def test_every_fixture_and_seed_loads_as_pyyaml_loads_it() -> None:
    paths = sorted(FIXTURES.rglob("*.md")) + sorted((REPO / "seeds").glob("*"))
    left_to_pyyaml = set()
    for path in paths:
        text = frontmatter_of(path)
        if text is not None and not answered_alike(plain_yaml, text):
            left_to_pyyaml.add(path.name)
    assert len(paths) > 60
    assert left_to_pyyaml == {
        "alias_bomb.md", "alias_cycle.md", "empty_frontmatter.md", "malformed_yaml.md"
    }  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchor and alias
        "a: &x [1, 2]\n",  # anchored list
        "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",  # merge key
        "<<: {x: 1}\n",  # merge key without an alias
        "a: !!str 12\n",  # explicit tag
        "a: !custom x\n",  # application tag
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x, y}\n",
        "a: ! 12\n",  # the non-specific tag
        "=: x\n",  # the value key
        "? [a, b]\n: c\n",  # a complex key
        "? {a: 1}\n: c\n",
        "a: 1\n---\nb: 2\n",  # two documents
        "",  # an empty stream
        "# only a comment\n",
        "a: [1, 2\n",  # malformed
        "a: b: c\n",
        "\ta: 1\n",
        "a: 1\n a: 2\n",
    ],
)
def test_what_needs_pyyaml_is_left_to_it(text: str) -> None:
    assert plain_yaml.load(text, **LIMITS) is plain_yaml.UNUSUAL


def test_limits_hand_big_or_deep_documents_to_the_checked_path() -> None:
    wide = "k: [" + ", ".join("1" for _ in range(100)) + "]\n"
    assert plain_yaml.load(wide, max_values=50, max_depth=64) is plain_yaml.UNUSUAL
    assert plain_yaml.load(wide, max_values=200, max_depth=64) == {"k": [1] * 100}
    deep = "k: " + "[" * 10 + "]" * 10 + "\n"
    assert plain_yaml.load(deep, max_values=100, max_depth=5) is plain_yaml.UNUSUAL
    assert plain_yaml.load(deep, max_values=100, max_depth=11) is not plain_yaml.UNUSUAL
    # Through parse_article, both paths give the same verdicts.
    with pytest.raises(parse.Rejection, match="deeper than"):
        parse._load_yaml("k: " + "[" * 70 + "]" * 70 + "\n")
    with pytest.raises(parse.Rejection, match="more than"):
        parse._load_yaml("k: [" + ", ".join("1" for _ in range(parse.MAX_NODES)) + "]\n")


@settings(max_examples=300, deadline=None)
@given(
    value=values, flow=st.sampled_from([None, True, False]), style=st.sampled_from([None, "'", '"'])
)
def test_generated_documents_load_alike(value: Any, flow: bool | None, style: str | None) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, default_style=style, allow_unicode=True)
    answered = answered_alike(plain_yaml, text)
    # A dumped tree has no anchors or merge keys; the dumper tags a scalar whose style
    # would otherwise change its type (`!!int '1'`), and those go to PyYAML.
    assert answered or "!!" in text
