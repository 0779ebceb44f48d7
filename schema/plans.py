"""Selection plans: a selection set whose answer needs no I/O, built in one pass.

Once a page's articles and everything nested under them are loaded (schema/eager.py),
the rest of the response is plain data: attributes of Strawberry objects, lists of
them, and `@direct` resolvers answering from DataLoader caches. graphql-core still
walks it field by field, building a resolve-info tuple, a path and a completion per
field. A *plan* is that walk decided once per selection set: for each response key,
how to read the value (an attribute, a direct resolver, the type name) and how to
complete it (a scalar's serializer, a nested plan, a list of either).

Running a plan on an object gives exactly the dict graphql-core would build, or gives
up (`Fallback`) at the first thing it does not handle the same way for sure: a value
still awaited, a null where the schema forbids one, a failing serializer, an object of
an unexpected type. The caller then lets graphql-core execute the selection set as
usual (resolvers only read, so running them twice changes nothing), and every error
message, path and null propagation comes from graphql-core as before. A plan runs
compiled into one Python function (`compile_plan`, at the end of this module).

Planned: fields without directives on object types, read as attributes of
Strawberry types (basic fields), through `@direct` resolvers, or `__typename`; their
types scalars, enums, object types, and lists of those. Only a `@direct` resolver may
take arguments, written as literals (or left to their defaults): a plan is shared by
every request sending the document, so it cannot hold variables' values. Anything
else (arguments elsewhere or from variables, interfaces, unions, other resolvers,
fields merged from several selections) makes the whole selection set unplanned.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from graphql.execution.values import get_argument_values
from graphql.type.scalars import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    serialize_boolean,
    serialize_float,
    serialize_id,
    serialize_int,
    serialize_string,
)
from strawberry.types.field import StrawberryField

from schema.selections import mentions_variable


class Fallback(Exception):
    """The plan cannot answer this object exactly as graphql-core would."""


class Kind(Enum):
    LEAF = "leaf"
    OBJECT = "object"


@dataclass(slots=True)
class Entry:
    """One response key of a plan."""

    name: str
    read: Callable[[Any, Any], Any]  # (source, context) → value
    kind: Kind
    non_null: bool
    is_list: bool = False
    item_non_null: bool = False
    serialize: Callable[[Any], Any] | None = None  # LEAF
    object_type: GraphQLObjectType | None = None  # OBJECT
    plan: list[Entry] | None = field(default=None)  # OBJECT, filled by the planner
    # How the compiled plan reads the value without calling `read` (see compile_plan):
    attribute: str | None = None  # a plain attribute of the source
    constant: str | None = None  # the same text for every source (`__typename`)
    run: Callable[[Any, Any], dict[str, Any]] | None = None  # OBJECT: `plan`, compiled


class _Info:
    """What a `@direct` resolver may use of its info: the request context."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


@dataclass(frozen=True, slots=True)
class _Read:
    read: Callable[[Any, Any], Any]  # (source, context) → value
    attribute: str | None = None
    constant: str | None = None


def _reader(
    parent_type: GraphQLObjectType, name: str, node: FieldNode | None = None
) -> _Read | None:
    """How to read field `name` (selected by `node`, whose arguments count) on a source."""
    if name == "__typename":
        type_name = parent_type.name
        return _Read(lambda source, context: type_name, constant=type_name)
    field_def = parent_type.fields.get(name)
    if field_def is None:
        return None
    definition = field_def.extensions.get("strawberry-definition")
    if not isinstance(definition, StrawberryField) or definition.extensions:
        return None
    if definition.is_basic_field and not field_def.args:
        attribute = definition.python_name
        return _Read(lambda source, context: getattr(source, attribute), attribute=attribute)
    resolve = field_def.resolve
    if resolve is None or not getattr(resolve, "newsgraph_direct", False):
        return None
    if not field_def.args:
        return _Read(lambda source, context: resolve(source, _Info(context)))
    if node is None or any(mentions_variable(a.value) for a in node.arguments or ()):
        return None
    try:  # the literals (validated already) and the defaults, as graphql-core passes them
        args = get_argument_values(field_def, node, None)
    except GraphQLError:
        return None
    return _Read(lambda source, context: resolve(source, _Info(context), **args))


def plan_fields(
    parent_type: GraphQLObjectType,
    grouped_field_set: Any,
    subfields: Callable[[GraphQLObjectType, Any], Any],
) -> list[Entry] | None:
    """The plan of one grouped field set, or None when any part of it is not planned.

    `subfields(type, field_details_list)` is the executor's (memoized) collection of a
    field's sub-selection.
    """
    entries: list[Entry] = []
    for name, details in grouped_field_set.items():
        if len(details) != 1:
            return None
        node = details[0].node
        if node.directives:
            return None
        entry = _field_entry(parent_type, name, node.name.value, node)
        if entry is None:
            return None
        if entry.kind is Kind.OBJECT:
            assert entry.object_type is not None
            nested, *_ = subfields(entry.object_type, details)
            entry.plan = plan_fields(entry.object_type, nested, subfields)
            if entry.plan is None:
                return None
        entries.append(entry)
    return entries


PLAN_CACHE_SIZE = 1024
# Plans by selection: (type, response names, field nodes). The nodes are kept in the
# value so their ids cannot be reused while the entry lives (prepared documents are
# cached too, so a repeated document finds its plans here without planning again).
_CACHE: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], Planned | None]] = OrderedDict()


@dataclass(frozen=True, slots=True)
class Planned:
    entries: list[Entry]
    run: Callable[[Any, Any], dict[str, Any]]  # the entries compiled (compile_plan)


def cached_plan(
    parent_type: GraphQLObjectType,
    grouped_field_set: Any,
    subfields: Callable[[GraphQLObjectType, Any], Any],
) -> Planned | None:
    """plan_fields, compiled, remembered across requests for the same selection of a
    document."""
    nodes = tuple(d.node for details in grouped_field_set.values() for d in details)
    key = (parent_type.name, tuple(grouped_field_set), tuple(map(id, nodes)))
    found = _CACHE.get(key)
    if found is not None and all(a is b for a, b in zip(found[0], nodes, strict=True)):
        _CACHE.move_to_end(key)
        return found[1]
    entries = plan_fields(parent_type, grouped_field_set, subfields)
    planned = None if entries is None else Planned(entries, compile_plan(entries))
    _CACHE[key] = (nodes, planned)
    if len(_CACHE) > PLAN_CACHE_SIZE:
        _CACHE.popitem(last=False)
    return planned


def _field_entry(
    parent_type: GraphQLObjectType, key: str, name: str, node: FieldNode | None = None
) -> Entry | None:
    """The entry answering response key `key` with field `name`, or None if unplanned."""
    how = _reader(parent_type, name, node)
    if how is None:
        return None
    if name == "__typename":
        return Entry(key, how.read, Kind.LEAF, True, serialize=str, constant=how.constant)
    entry = _entry(key, how.read, parent_type.fields[name].type)
    if entry is not None:
        entry.attribute = how.attribute
    return entry


def leaf_entry(parent_type: GraphQLObjectType, name: str) -> Entry | None:
    """The entry of field `name` alone when it is a planned scalar or enum (not a list)."""
    entry = _field_entry(parent_type, name, name)
    return entry if entry is not None and entry.kind is Kind.LEAF and not entry.is_list else None


def _entry(name: str, read: Callable[[Any, Any], Any], field_type: Any) -> Entry | None:
    non_null = isinstance(field_type, GraphQLNonNull)
    inner = field_type.of_type if non_null else field_type
    is_list = isinstance(inner, GraphQLList)
    item_non_null = False
    if is_list:
        inner = inner.of_type
        item_non_null = isinstance(inner, GraphQLNonNull)
        inner = inner.of_type if item_non_null else inner
        if isinstance(inner, GraphQLList):  # lists of lists: not needed, not planned
            return None
    if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
        return Entry(name, read, Kind.LEAF, non_null, is_list, item_non_null, inner.serialize)
    if isinstance(inner, GraphQLObjectType):
        return Entry(name, read, Kind.OBJECT, non_null, is_list, item_non_null, object_type=inner)
    return None


_PLAIN = (str, int, float, bool)


def _awaitable(value: Any) -> bool:
    """inspect.isawaitable, without its ABC check for the plain values most leaves are."""
    return not isinstance(value, _PLAIN) and hasattr(value, "__await__")


def run_plan(plan: list[Entry], source: Any, context: Any) -> dict[str, Any]:
    """The response dict of `source` for this plan; Fallback when unsure.

    The reference a compiled plan (compile_plan) must agree with, and its slow path.
    """
    result: dict[str, Any] = {}
    for entry in plan:
        try:
            value = entry.read(source, context)
        except Exception:  # graphql-core reports it, at the field's own path
            raise Fallback from None
        if entry.is_list:
            result[entry.name] = _complete_list(entry, value, context)
        else:
            result[entry.name] = _complete(entry, value, context, entry.non_null)
    return result


def answer_leaf(entry: Entry, source: Any, context: Any) -> Any:
    """The response value of a `leaf_entry` on `source`; Fallback when unsure."""
    try:
        value = entry.read(source, context)
    except Exception:
        raise Fallback from None
    return _complete(entry, value, context, entry.non_null)


def _complete(entry: Entry, value: Any, context: Any, non_null: bool) -> Any:
    if value is None:
        if non_null:
            raise Fallback
        return None
    if _awaitable(value):
        _discard(value)
        raise Fallback
    if entry.kind is Kind.LEAF:
        assert entry.serialize is not None
        try:
            serialized = entry.serialize(value)
        except Exception:
            raise Fallback from None
        if serialized is None or serialized is Undefined:
            raise Fallback
        return serialized
    object_type = entry.object_type
    assert object_type is not None and entry.plan is not None
    # Strawberry's is_type_of ignores its info argument (an isinstance test).
    if object_type.is_type_of is not None and not object_type.is_type_of(value, None):  # type: ignore[arg-type]
        raise Fallback
    if entry.run is not None:
        return entry.run(value, context)
    return run_plan(entry.plan, value, context)


def _complete_list(entry: Entry, value: Any, context: Any) -> list[Any] | None:
    if value is None:
        if entry.non_null:
            raise Fallback
        return None
    if _awaitable(value) or isinstance(value, str | bytes | dict):
        _discard(value)
        raise Fallback
    return [_complete(entry, item, context, entry.item_non_null) for item in value]


def _discard(value: Any) -> None:
    """Close an awaitable the plan will not await (graphql-core makes its own): a
    coroutine, or anything else with a `close` (pagination's `Then`)."""
    close = getattr(value, "close", None)
    if close is not None:
        close()


# ---------------------------------------------------------------- compiled plans
#
# run_plan interprets a plan: per field a call through `read`, per value a call to
# _complete with its type tests. For a 20-article page that walk is a fifth of the
# request. compile_plan turns a plan into one Python function with the reads written
# out (`source.title`) and a test per value that proves the common case needs no work
# (a `str` for a String field, an `Article` for an Article field); every other value
# goes through _complete exactly as run_plan would take it, so both give the same dict
# or both give up. Only names the schema and the parser vouch for reach the source
# text: response keys (GraphQL names, through repr) and Python attribute names.

# The values graphql-core's own serializers return unchanged, by serializer; anything
# else (custom scalars, enums) is serialized by its function on the slow path.
_UNCHANGED: dict[Any, str] = {
    serialize_string: "type({v}) is str",
    serialize_id: "type({v}) is str",
    serialize_boolean: "type({v}) is bool",
    serialize_int: f"type({{v}}) is int and {GRAPHQL_MIN_INT} <= {{v}} <= {GRAPHQL_MAX_INT}",
    serialize_float: "type({v}) is float and _isfinite({v})",
    str: "type({v}) is str",  # custom scalars kept as text (DateTime)
}


def _object_class(object_type: GraphQLObjectType | None) -> type | None:
    definition = object_type.extensions.get("strawberry-definition") if object_type else None
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) else None


class _Source:
    """The text and the names of one compiled function."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {
            "Fallback": Fallback,
            "_complete": _complete,
            "_complete_list": _complete_list,
            "_isfinite": math.isfinite,
        }

    def bind(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name


def _completion(code: _Source, entry: Entry, entry_name: str, var: str, non_null: bool) -> str:
    """An expression completing `var` (one value of `entry`) as _complete would."""
    slow = f"_complete({entry_name}, {var}, context, {non_null})"
    if entry.kind is Kind.LEAF:
        test = _UNCHANGED.get(entry.serialize)
        return f"({var} if {test.format(v=var)} else {slow})" if test else slow
    cls = _object_class(entry.object_type)
    if cls is None or entry.run is None:
        return slow
    run = code.bind("P", entry.run)
    return f"({run}({var}, context) if type({var}) is {code.bind('C', cls)} else {slow})"


def compile_plan(plan: list[Entry]) -> Callable[[Any, Any], dict[str, Any]]:
    """`plan` as one function of (source, context), nested plans compiled first."""
    for entry in plan:
        if entry.plan is not None and entry.run is None:
            entry.run = compile_plan(entry.plan)
    code = _Source()
    body: list[str] = []
    for i, entry in enumerate(plan):
        entry_name = code.bind("E", entry)
        if entry.constant is not None:
            body.append(f"v{i} = {code.bind('K', entry.constant)}")
            continue
        if entry.attribute is not None and entry.attribute.isidentifier():
            body.append(f"v{i} = source.{entry.attribute}")
        else:
            body.append(f"v{i} = {code.bind('R', entry.read)}(source, context)")
        if entry.is_list:
            item = _completion(code, entry, entry_name, "x", entry.item_non_null)
            body.append(f"v{i} = [{item} for x in v{i}] if type(v{i}) is list "
                        f"else _complete_list({entry_name}, v{i}, context)")  # fmt: skip
        else:
            body.append(f"v{i} = {_completion(code, entry, entry_name, f'v{i}', entry.non_null)}")
    result = ", ".join(f"{entry.name!r}: v{i}" for i, entry in enumerate(plan))
    text = "\n".join(
        [
            "def run(source, context):",
            "    try:",
            *(f"        {line}" for line in body),
            f"        return {{{result}}}",
            "    except Fallback:",
            "        raise",
            "    except Exception:  # a read or a serializer failed: graphql-core reports it",
            "        raise Fallback from None",
        ]
    )
    exec(compile(text, "<plan>", "exec"), code.names)  # safe: see the section comment
    run: Callable[[Any, Any], dict[str, Any]] = code.names["run"]
    return run
