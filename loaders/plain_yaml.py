"""PyYAML's safe loading of plain frontmatter, built from libyaml's events.

`yaml.load(text, Loader=CSafeLoader)` parses in C, then builds a node object per value
and walks the node graph in Python to construct the result: half the time of a parse
is the node graph. Article frontmatter is plain YAML (mappings, lists and scalars; no
anchors, aliases, tags or merge keys), for which the node graph adds nothing: `load`
builds the value straight from the parser's events, resolving and constructing each
scalar with PyYAML's own resolver and constructors, so the result is the one
`yaml.load` returns, in a little over half the time (113 against 206 us for a
synthetic article here).

Anything else - an anchor or alias, an explicit tag, a merge key, a complex key, a tag
other than the six plain ones, several documents, a parse error, nesting or size past
the frontmatter limits - makes `load` return UNUSUAL, and the caller loads the text
the ordinary way (with its checks and error messages). tests/loaders/test_plain_yaml.py
compares both on every fixture and on generated documents.
"""

from __future__ import annotations

from typing import Any, Final

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

LOADER: Final = yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else None

STR_TAG: Final = "tag:yaml.org,2002:str"
# Tags an untagged plain scalar can resolve to whose constructors only read the scalar.
PLAIN_TAGS: Final = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp")
)


class _Unusual(Exception):
    """The text needs the ordinary loader."""


UNUSUAL: Final = object()
_NO_KEY: Final = object()  # an open mapping waits for its next key
# Resolved tags of short plain scalars: resolution depends on the text alone.
_TAGS: dict[str, str] = {}
_TAGS_KEPT: Final = 4096


def load(text: str, *, max_values: int, max_depth: int) -> Any:
    """The value `yaml.load(text, Loader=yaml.CSafeLoader)` returns, or UNUSUAL.

    A result is never bigger than `max_values` events nor deeper than `max_depth`
    containers (the limits the ordinary path checks after loading).
    """
    if LOADER is None:
        return UNUSUAL
    loader = LOADER(text)
    try:
        return _build(loader, max_values, max_depth)
    except Exception:  # _Unusual, or an error the ordinary path reports its own way
        return UNUSUAL
    finally:
        loader.dispose()


def _build(loader: Any, max_values: int, max_depth: int) -> Any:
    get_event = loader.get_event
    resolve = loader.resolve
    # First characters of plain scalars that may resolve to something else than a string.
    typed_starts = loader.yaml_implicit_resolvers
    if None in typed_starts:  # a resolver for any first character: always ask
        typed_starts = _Everything()

    def typed(event: Any) -> Any:
        value = event.value
        tag = _TAGS.get(value)
        if tag is None:
            tag = resolve(ScalarNode, value, event.implicit)
            if len(_TAGS) < _TAGS_KEPT and len(value) <= 32:
                _TAGS[value] = tag  # keys and flags recur in every file
        if tag == STR_TAG:
            return value
        if tag not in PLAIN_TAGS:
            raise _Unusual  # merge keys, `=`, reserved tags
        node = ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        return loader.yaml_constructors[tag](loader, node)

    if type(get_event()) is not StreamStartEvent or type(get_event()) is not DocumentStartEvent:
        raise _Unusual  # an empty stream: yaml.load says None its own way
    value: Any
    parent: Any = None  # the innermost open mapping or list
    key: Any = _NO_KEY  # when `parent` is a mapping: the key awaiting its value
    enclosing: list[Any] = []  # the open containers around `parent`
    for _ in range(max_values):
        event = get_event()
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise _Unusual
            value = event.value
            if event.implicit[0] and (not value or value[0] in typed_starts):
                value = typed(event)
            if parent is None:
                return _ended(get_event, value)  # a document that is one scalar
            if type(parent) is list:
                parent.append(value)
            elif key is _NO_KEY:
                key = value
            else:
                parent[key] = value
                key = _NO_KEY
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.tag is not None:
                raise _Unusual
            value = {} if kind is MappingStartEvent else []
            if parent is not None:
                if len(enclosing) >= max_depth:
                    raise _Unusual
                if type(parent) is list:
                    parent.append(value)
                elif key is _NO_KEY:
                    raise _Unusual  # a mapping or list as a key
                else:
                    parent[key] = value
                enclosing.append(parent)
            parent, key = value, _NO_KEY
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            if not enclosing:
                return _ended(get_event, parent)
            parent, key = enclosing.pop(), _NO_KEY
        else:  # aliases; anything out of place
            raise _Unusual
    raise _Unusual  # too many values: the ordinary path rejects the file


def _ended(get_event: Any, value: Any) -> Any:
    if type(get_event()) is not DocumentEndEvent or type(get_event()) is not StreamEndEvent:
        raise _Unusual  # more than one document: the ordinary loader refuses it
    return value


class _Everything:
    def __contains__(self, _: object) -> bool:
        return True
