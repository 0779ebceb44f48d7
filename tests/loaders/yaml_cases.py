"""What the fast YAML paths are checked against: PyYAML's own loader, on shared cases.

Values are compared with their types and key order (`1` is not `1.0` nor `True`, and
the stored frontmatter JSON keeps the publisher's key order).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from loaders import parse

LIMITS = {"max_values": parse.MAX_NODES, "max_depth": parse.MAX_DEPTH}


def typed(value: Any) -> Any:
    """A picture of a loaded value that tells types, NaN and key order apart."""
    if isinstance(value, dict):
        return ("map", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [typed(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def ordinary(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


def answered_alike(loader: Any, text: str) -> bool:
    """Whether `loader.load` answered (True) or returned UNUSUAL (False); an answer must
    be the value PyYAML returns, and when PyYAML fails there must be no answer."""
    fast = loader.load(text, **LIMITS)
    try:
        expected = ordinary(text)
    except (yaml.YAMLError, ValueError, OverflowError):  # 2021-13-45: a date, then fails
        assert fast is loader.UNUSUAL, text
        return False
    if fast is loader.UNUSUAL:
        return False
    assert typed(fast) == typed(expected), text
    return True


def frontmatter_of(path: Path) -> str | None:
    try:
        text = parse.decode(path.read_bytes())
    except parse.Rejection:
        return None
    if not parse.has_frontmatter(text):
        return None
    try:
        return parse._HANDLER.split(text)[0]
    except ValueError:
        return None


# Plain scalars whose type the YAML 1.1 resolver decides from their text.
RESOLVED = [
    "yes", "No", "ON", "off", "true", "False", "y", "n", "~", "null", "Null", "NULL", "",
    "0", "-0", "+12", "0o17", "017", "0x1F", "0b101", "1_000", "190:20:30", "-1:30",
    "1.5", "-.5", "1e3", "1.0e+3", "6.8523015e+5", "685_230.15", "190:20:30.15", ".inf",
    "-.Inf", ".NaN", ".nan", "2002-12-14", "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5", "2001-12-15T02:59:43.1Z", "2021-02-16T03:47:00Z",
    "12:30", "1.2.3", "0x", "-", ".", "1e", "title", "Teams", "9lives", "o'clock",
    "yesterday", "nan", "inf", "2021-13-45",
]  # fmt: skip


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(),
    st.datetimes(),
    st.sampled_from(RESOLVED),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.one_of(st.text(max_size=8), st.integers(), st.booleans()), inner, max_size=4
        )
    ),
    max_leaves=20,
)


plain_words = st.text(
    alphabet=st.sampled_from("ab0189.-+_:eEx~ nNyYtTo"), min_size=0, max_size=12
).filter(lambda s: s == s.strip())
