"""Faster paths through graphql-core for the fields every list response is made of.

Attribute leaves

Most fields of a response are plain attributes of a Strawberry object holding a
scalar (`title`, `slug`, `url`…). graphql-core executes each of them like any
field: it builds a resolve-info tuple, calls Strawberry's resolver wrapper, checks
for awaitables, then completes the value through the type's wrappers. For such a
field the answer is simply the attribute, serialized by its scalar type; this
execution context computes exactly that and leaves every other case (resolvers,
arguments, objects, lists, nulls, errors) to graphql-core unchanged.

Which fields qualify is decided once per (type, field) from the schema, by the same
rules as a selection plan's leaves (`schema.plans.leaf_entry`): no arguments or field
extensions, read as an attribute or by a `@direct` resolver, typed as a scalar or
enum (optionally non-null). Anything the plan would give up on, graphql-core answers.

Direct resolvers
----------------
Strawberry wraps every resolver to build its Info object, convert arguments and run
field extensions. The per-article fields of a page (provider, topics, images, a
search hit's highlights…) have no extensions, take at most scalar arguments and only
read `info.context`, and after preloading (schema/eager.py) they answer from a cache
in a microsecond; the wrapper cost ten times that, sixty times per page. Such
resolvers are marked `@direct` and called by graphql-core without the wrapper
(`install_direct_resolvers`), with their arguments renamed to the Python names.
graphql-core's own resolve info has the same `context`, which is all a direct
resolver may use.

Lean resolvers
--------------
The resolvers that start a page (`articles`, `topic`, `Topic.articles`, `search`…)
need Strawberry's Info and may take input objects, but have no extensions either. For
them the wrapper's cost is converting every argument by name (a camel-case conversion
and a type walk each, for arguments that are plain scalars already): marked `@lean`,
they are called with a Strawberry Info made directly, and only arguments of other
types than scalars go through Strawberry's conversion, as they would have.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfoHelpers,
    GraphQLScalarType,
)
from graphql.pyutils import gather_with_cancel
from strawberry import Schema
from strawberry.relay import GlobalID
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import StrawberryArgument, convert_argument
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.field import StrawberryField

from schema.plans import Entry, Fallback, Planned, answer_leaf, cached_plan, leaf_entry

F = TypeVar("F", bound=Callable[..., Any])

# (type name, field name) → the field's leaf entry, or None when it needs graphql-core's
# full path. Shared by all requests: it depends on the schema only.
_LEAVES: dict[tuple[str, str], Entry | None] = {}


def _field_leaf(parent_type: GraphQLObjectType, details: Any) -> Entry | None:
    node = details[0].node
    if node.arguments or node.directives:
        return None
    key = (parent_type.name, node.name.value)
    if key not in _LEAVES:
        _LEAVES[key] = leaf_entry(parent_type, node.name.value)
    return _LEAVES[key]


class LeafFastPath(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, answering attribute leaves directly and loaded
    selections by plan (see the module and schema/plans.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = _helpers_of(self)
        # Per grouped field set of this execution, by id: the set itself (held, so that
        # its id cannot be reused: graphql-core memoizes nested sets for the execution,
        # but the root's is dropped after use) and its plan, or None when it has none.
        self._plans: dict[int, tuple[Any, Planned | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        *rest: Any,
    ) -> Any:
        """An object whose whole selection is loaded data becomes its dict in one pass."""
        known = self._plans.get(id(grouped_field_set))
        if known is None or known[0] is not grouped_field_set:
            plan = cached_plan(parent_type, grouped_field_set, self.collect_subfields)
            self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        else:
            plan = known[1]
        if plan is not None:
            try:
                return plan.run(source_value, self.context_value)
            except Fallback:
                pass
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, *rest)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        *rest: Any,
        **options: Any,
    ) -> Any:
        leaf = _field_leaf(parent_type, field_details_list)
        if leaf is not None:
            try:
                return answer_leaf(leaf, source, self.context_value)
            except Fallback:
                pass
        return super().execute_field(parent_type, source, field_details_list, *rest, **options)


def _helpers_of(executor: LeafFastPath) -> GraphQLResolveInfoHelpers:
    """graphql-core's resolver helpers for `executor`, reaching it weakly.

    graphql-core makes them of two bound methods of the executor, which holds them: a
    reference cycle. Each request's executor, context, loaders and rows then waited
    for the cyclic collector, which ran every few requests and took ~8% of a cold page
    at 100,000 articles (with 6 ms pauses for the full collections). Resolvers use the
    helpers while their execution runs, and the executor is alive until then.
    """
    alive = weakref.ref(executor)

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        found = alive()
        return gather_with_cancel(*values) if found is None else found.gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        found = alive()
        if found is not None:
            found.track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def direct(resolver: F) -> F:
    """Mark a resolver whose arguments (if any) are scalars and that reads nothing of its
    info but `info.context` (see above).

    It returns its value, or an awaitable that starts its work only when awaited (like
    `schema.eager.cached`): a plan (schema/plans.py) may drop it unawaited.
    """
    resolver.newsgraph_direct = True  # type: ignore[attr-defined]
    return resolver


def lean(resolver: F) -> F:
    """Mark a resolver that Strawberry's wrapper needs only to make its Info and to
    convert its non-scalar arguments (see above)."""
    resolver.newsgraph_lean = True  # type: ignore[attr-defined]
    return resolver


def install_direct_resolvers(schema: Schema) -> int:
    """Let graphql-core call the `@direct` and `@lean` resolvers of `schema` itself;
    how many."""
    installed = 0
    for named in schema._schema.type_map.values():
        if not isinstance(named, GraphQLObjectType):
            continue
        for field_def in named.fields.values():
            definition = field_def.extensions.get("strawberry-definition")
            resolver = getattr(definition, "base_resolver", None)
            func = getattr(resolver, "wrapped_func", None)
            is_direct = getattr(func, "newsgraph_direct", False)
            if not callable(func) or not (is_direct or getattr(func, "newsgraph_lean", False)):
                continue
            where = f"{named.name}.{definition.name}"
            if definition.extensions:
                raise TypeError(f"{where}: @direct or @lean with extensions")
            names, others = _python_names(schema, definition, field_def)
            if is_direct:
                if others:
                    raise TypeError(f"{where}: @direct takes scalar arguments only {others}")
                field_def.resolve = _calling(func, names)
            else:
                field_def.resolve = _calling_lean(schema, definition, func, names, others)
            installed += 1
    return installed


def _python_names(
    schema: Schema, definition: StrawberryField, field_def: GraphQLField
) -> tuple[dict[str, str], dict[str, StrawberryArgument]]:
    """GraphQL argument name → Python parameter name, and the arguments that are not
    scalars (Strawberry converts them) by GraphQL name."""
    names = {}
    others = {}
    for argument in definition.arguments:
        graphql_name = schema.config.name_converter.from_argument(argument)
        arg_type = field_def.args[graphql_name].type
        if isinstance(arg_type, GraphQLNonNull):
            arg_type = arg_type.of_type
        if not isinstance(arg_type, GraphQLScalarType) or _converted(argument.type):
            others[graphql_name] = argument
        names[graphql_name] = argument.python_name
    return names, others


def _converted(arg_type: Any) -> bool:
    """Whether Strawberry turns a scalar argument into something else (a GlobalID, a
    Maybe): such arguments take its conversion."""
    if isinstance(arg_type, StrawberryMaybe):
        return True
    if isinstance(arg_type, StrawberryOptional):
        arg_type = arg_type.of_type
    return arg_type is GlobalID


def _calling_lean(
    schema: Schema,
    definition: StrawberryField,
    func: Callable[..., Any],
    names: dict[str, str],
    others: dict[str, StrawberryArgument],
) -> Callable[..., Any]:
    """graphql-core's resolver for `func(self, info, **arguments)` with Strawberry's Info
    and arguments as Strawberry's wrapper would pass them."""
    if list(inspect.signature(func).parameters)[1:2] != ["info"]:
        raise TypeError(f"{definition.name}: @lean resolvers take (self, info, ...)")
    info_class = schema.config.info_class
    config = schema.config
    scalars = schema.schema_converter.scalar_registry

    def resolve(source: Any, info: Any, **args: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=definition)
        kwargs = {}
        for name, value in args.items():
            argument = others.get(name)
            if argument is not None:
                value = convert_argument(value=value, type_=argument.type, config=config,
                                         scalar_registry=scalars, info=strawberry_info,
                                         path=(name,))  # fmt: skip
            kwargs[names[name]] = value
        return func(source, strawberry_info, **kwargs)

    return resolve


def _calling(func: Callable[..., Any], names: dict[str, str]) -> Callable[..., Any]:
    """graphql-core's resolver for `func(self)`, `func(self, info)` or
    `func(self, info, **arguments)` (graphql-core passes them by GraphQL name)."""
    if names:

        def resolve(source: Any, info: Any, **args: Any) -> Any:
            return func(source, info, **{names[k]: v for k, v in args.items()})

    elif len(inspect.signature(func).parameters) == 1:

        def resolve(source: Any, info: Any, **args: Any) -> Any:
            return func(source)

    else:

        def resolve(source: Any, info: Any, **args: Any) -> Any:
            return func(source, info)

    resolve.newsgraph_direct = True  # type: ignore[attr-defined] # plans call it too
    return resolve
