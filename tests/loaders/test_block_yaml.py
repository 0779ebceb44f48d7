"""loaders/block_yaml.py against PyYAML's own loader: the same value, or UNUSUAL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import block_yaml, parse
from tests.conftest import FIXTURES, REPO
from tests.loaders.yaml_cases import (
    LIMITS,
    answered_alike,
    frontmatter_of,
    ordinary,
    values,
)


def load(text: str) -> Any:
    return block_yaml.load(text, **LIMITS)


def test_every_block_style_fixture_and_seed_loads_as_pyyaml_loads_it() -> None:
    paths = sorted(FIXTURES.rglob("*.md")) + sorted((REPO / "seeds").glob("*"))
    left_to_others = set()
    for path in paths:
        text = frontmatter_of(path)
        if text is not None and not answered_alike(block_yaml, text):
            left_to_others.add(path.relative_to(FIXTURES).parts[0])
            # Only flow style (`[a, b]`, `{a: 1}`) and what PyYAML refuses are left.
            assert "[" in text or "{" in text or path.parent.name == "invalid", path
    assert len(paths) > 60
    assert left_to_others == {"invalid", "search", "valid"}
    assert all(frontmatter_of(p) is None or load(frontmatter_of(p) or "") is not
               block_yaml.UNUSUAL for p in (REPO / "seeds").glob("*"))  # fmt: skip


# Block structures the line parser must answer, each one way PyYAML reads it.
ANSWERED = [
    "a: 1\nb: two\n",
    "key:\n- a\n- b\nnext: x\n",  # a list at its key's indentation
    "key:\n  - a\n  - b\n",
    "- a: 1\n  b: 2\n- c\n",  # compact mappings in a list
    "-   a: 1\n    b: 2\n",  # wider spacing after the dash
    "-\n  - a\n  - b\n-\n  x: 1\n",  # nested blocks under a bare dash
    "- images:\n  - url: x\n    width: 5\n  name: n\n",
    "a:\nb:\n",  # empty values are null
    "- \n- x\n",
    "  indented: 1\n  top: 2\n",
    "a: 1\n\n\nb: 2\n   \n",  # blank lines, one made of spaces
    "heat: -1\nq: -.5\n",
    'q: "say \\"hi\\" \\/ \\\\ \\t \\x41 \\u00e9 \\U0001F600"\n',
    "q: 'it''s'\n",
    "q: a,b [c] {d}\n",  # flow indicators inside a plain scalar in block context
    "url: https://example.com/a:b#frag\n",
    "k: value   \n",  # trailing spaces
    "a: 1\nb: 2\na: 3\n",  # a repeated key keeps its first place and last value
]


@pytest.mark.parametrize("text", ANSWERED)
def test_block_structures_are_answered_like_pyyaml(text: str) -> None:
    assert answered_alike(block_yaml, text), text


@pytest.mark.parametrize(
    "text",
    [
        "a: [1, 2]\n",  # flow collections
        "a: {x: 1}\n",
        "a: |\n  text\n",  # block scalars
        "a: >\n  text\n",
        "a: plain\n  continued\n",  # a value over two lines
        'a: "quoted\n  continued"\n',
        "a: 1 # comment\n",
        "# comment\na: 1\n",
        "a: 1\n#comment\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 12\n",
        "<<: {x: 1}\n",
        '"quoted key": 1\n',
        "? a\n: b\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\n...\n",
        "%YAML 1.1\n---\na: 1\n",
        "\ta: 1\n",
        "a: x\tb\n",
        "a: 1\r\nb: 2\n",  # a lone CR is a line break for YAML
        "a: x\x85y\n",  # so is NEL
        "a: \u2028\n",
        "a: \ufeffx\n",
        "a: \x07\n",
        'a: "\\ud800"\n',  # libyaml refuses surrogates
        'a: "\\q"\n',
        'a: "ends with \\"\n',
        "a: 'x' 'y'\n",
        "a: b: c\n",
        "a: 1\n a: 2\n",
        "- - a\n",
        "a: 2021-13-45\n",
        "plain scalar\n",
        "",
        "\n  \n",
    ],
)
def test_what_the_lines_do_not_say_is_left_to_the_others(text: str) -> None:
    assert load(text) is block_yaml.UNUSUAL


@pytest.mark.parametrize("ascii_only", [True, False])
def test_unfamiliar_characters_are_found_the_fast_way_as_the_regex_finds_them(
    ascii_only: bool,
) -> None:
    rest = "" if ascii_only else "é"
    for code in range(128):
        text = f"a: x{chr(code)}y{rest}\n"
        expected = block_yaml._UNFAMILIAR.search(text) is not None
        assert block_yaml._unfamiliar(text) is expected, code
        assert expected is not (code == 10 or 0x20 <= code < 0x7F), code


def test_limits_hand_big_or_deep_documents_to_the_checked_path() -> None:
    wide = "k:\n" + "".join("  - 1\n" for _ in range(100))
    assert block_yaml.load(wide, max_values=50, max_depth=64) is block_yaml.UNUSUAL
    assert block_yaml.load(wide, max_values=400, max_depth=64) == {"k": [1] * 100}
    # `- key: value` lines add two values each (a list item and a mapping entry).
    compact = "".join(f"- k{i}: 1\n" for i in range(100))
    assert block_yaml.load(compact, max_values=250, max_depth=64) is block_yaml.UNUSUAL
    deep = "".join(" " * (2 * i) + "k:\n" for i in range(10)) + " " * 20 + "k: 1\n"
    assert block_yaml.load(deep, max_values=100, max_depth=5) is block_yaml.UNUSUAL
    assert block_yaml.load(deep, max_values=100, max_depth=11) is not block_yaml.UNUSUAL
    # Through parse_article, the limits give the ordinary path's verdicts.
    deeper = "".join(" " * i + "k:\n" for i in range(70)) + " " * 70 + "k: 1\n"
    with pytest.raises(parse.Rejection, match="deeper than"):
        parse._load_yaml(deeper)
    with pytest.raises(parse.Rejection, match="more than"):
        parse._load_yaml("k:\n" + "".join("  - 1\n" for _ in range(parse.MAX_NODES)))
    with pytest.raises(parse.Rejection, match="more than"):  # 20,000 lines, 60,001 values
        parse._load_yaml("title: x\nextra:\n" + "- a: 1\n" * 20_000)


def test_a_resolver_added_later_sends_every_text_to_the_others() -> None:
    class Patched(yaml.CSafeLoader):
        pass

    before = block_yaml._LOADER
    try:
        block_yaml._LOADER = Patched("")
        Patched.add_implicit_resolver("!shout", block_yaml.re.compile("^HEY$"), list("H"))
        assert load("a: HEY\n") is block_yaml.UNUSUAL
    finally:
        block_yaml._LOADER = before
    assert load("a: HEY\n") == {"a": "HEY"}


@settings(max_examples=300, deadline=None)
@given(value=values, style=st.sampled_from([None, "'", '"']))
def test_generated_block_documents_load_alike(value: Any, style: str | None) -> None:
    text = yaml.safe_dump(value, default_flow_style=False, default_style=style,
                          allow_unicode=True, width=10_000)  # fmt: skip
    answered_alike(block_yaml, text)


# Block documents as people type them: a tree of tricky atoms written out with varied
# indentation and dash spacing, sometimes with one line shifted. Whatever comes out must
# load like PyYAML or be left to the other paths, never load differently.
KEYS = st.sampled_from(["a", "b", "key_2", "Title", "true", "null", "on", "y", "_"])
ATOMS = st.sampled_from([
    "word", "two words", "-5", "-x", '"q \\" x"', '"\\u00e9\\/\\x41"', '"open', "'it''s'",
    "'a' 'b'", "a: b", "x #c", "x#c", "[1, 2]", "{a: 1}", "|", "&a x", "*a", "!!str x",
    "~", "2021-01-01", "2021-01-01T10:00:00Z", "12:30", "a,b", "é", "0x1F", "1_000",
    ".inf", "yes", "'", '"', "\\", "?", ":", "%x", "@x", "x:", '""', "''", "- x",
])  # fmt: skip
trees = st.recursive(
    ATOMS,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3)
        | st.lists(st.tuples(KEYS, inner), min_size=1, max_size=3)
    ),
    max_leaves=12,
)


def written(tree: Any, indent: int, layout: list[int]) -> list[str]:
    """Block YAML lines for `tree`; `layout` picks each nested block's indentation."""
    step = layout[indent % len(layout)]
    pad = " " * indent
    out: list[str] = []
    if isinstance(tree, str):
        return [pad + tree]
    for item in tree:
        if isinstance(item, tuple):  # a mapping entry
            key, value = item
            if isinstance(value, str):
                out.append(f"{pad}{key}: {value}")
            else:
                out.append(f"{pad}{key}:")
                out += written(value, indent + step, layout)
        elif isinstance(item, str):
            out.append(f"{pad}- {item}")
        else:
            dash = "-" + " " * max(step - 1, 1)
            inner = written(item, indent + len(dash), layout)
            out.append(pad + dash + inner[0].lstrip(" "))
            out += inner[1:]
    return out


@settings(max_examples=1500, deadline=None)
@given(
    tree=trees,
    layout=st.lists(st.sampled_from([0, 1, 2, 4]), min_size=1, max_size=3),
    shift=st.one_of(st.none(), st.tuples(st.integers(0, 30), st.sampled_from([-1, 1, 2]))),
)
def test_typed_block_documents_load_alike_or_are_left_to_the_others(
    tree: Any, layout: list[int], shift: tuple[int, int] | None
) -> None:
    lines = written(tree, 0, layout)
    if shift is not None:
        at, by = shift[0] % len(lines), shift[1]
        lines[at] = lines[at][1:] if by < 0 else " " * by + lines[at]
    answered_alike(block_yaml, "\n".join(lines) + "\n")


# Single lines cut from odd pieces (quoted and non-ASCII keys, colons without spaces,
# tabs): mostly errors and refusals, which must agree with PyYAML's.
PIECES = st.builds(
    lambda indent, dash, key, colon, value: indent + dash + (key + colon if key else "") + value,
    st.sampled_from(["", " ", "  ", "    "]),
    st.sampled_from(["", "- ", "-  ", "-", "- - "]),
    st.sampled_from(["", "a", "x y", '"q"', "-k", "é", "1", "k" * 1100]),
    st.sampled_from([": ", ":", " : ", ":\t"]),
    ATOMS,
)


@settings(max_examples=500, deadline=None)
@given(soup=st.lists(PIECES, min_size=1, max_size=6))
def test_line_soups_load_alike_or_are_left_to_the_others(soup: list[str]) -> None:
    answered_alike(block_yaml, "\n".join(soup) + "\n")


@pytest.mark.parametrize(
    "moment",
    ["2021-02-16T03:47:00Z", "2020-02-29T23:59:59Z", "0001-01-01T00:00:00Z",
     "9999-12-31T23:59:59Z", "2021-02-29T00:00:00Z", "2021-04-31T10:00:00Z",
     "2021-00-10T10:00:00Z", "2021-13-10T10:00:00Z", "2021-01-00T10:00:00Z",
     "2021-01-10T24:00:00Z", "2021-01-10T23:60:00Z", "2021-01-10T23:59:60Z",
     "0000-01-01T00:00:00Z", "2021-01-10t10:00:00Z", "2021-01-10T10:00:00z",
     "2021-1-10T10:00:00Z", "2021-01-10T10:00:00.5Z", "2021-01-1\u0660T10:00:00Z"],
)  # fmt: skip
def test_moments_to_the_second_in_utc_load_as_pyyaml_builds_them(moment: str) -> None:
    """The same datetime, time zone object included, or no answer where PyYAML fails."""
    text = f"at: {moment}\n"
    try:
        expected = repr(ordinary(text))
    except ValueError:  # an impossible day or time
        assert load(text) is block_yaml.UNUSUAL
        return
    fast = load(text)
    assert fast is block_yaml.UNUSUAL or repr(fast) == expected


@given(st.datetimes(timezones=st.just(UTC)))
def test_generated_moments_in_utc_load_as_pyyaml_builds_them(moment: datetime) -> None:
    text = f"at: {moment.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
    assert repr(load(text)) == repr(ordinary(text))


def test_only_short_texts_are_kept_as_keys() -> None:
    """A value may put any text before its `: `; a parse process keeps none of it."""
    long_key = "A" * 1000  # a key, under libyaml's limit of 1024 characters
    assert load(f"- {long_key}: x\n") == [{long_key: "x"}]
    assert load(f"- x {'A' * 100_000}: y\n") is block_yaml.UNUSUAL  # not a plain key
    assert max(map(len, block_yaml._KEYS)) <= block_yaml._KEY_KEPT_LENGTH
