"""The limits every request runs under, in one place so a server can configure them,
and the checks of a parsed document against them.

Resolvers read them from `info.context.limits`; the document checks below, the
cost budget (schema/cost.py) and the HTTP layer read the same object. Defaults are
safe for a public API (README: "Limits").

The document checks run after parsing and before validation: validation itself
is the expensive step that hostile documents aim at (overlapping-field checks are
quadratic), so they must be cheap. Fragments are measured once each and counted
every time they are spread, so `...F` spread ten times in a fragment spread ten
times counts F's aliases a hundred times, in time linear in the document.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from schema.errors import Code, request_error

DEFAULT_PAGE_SIZE = 20
# Fields whose subtrees are introspection: their depth is not counted (GraphiQL's
# introspection query nests `ofType` deeply); validation's MaxIntrospectionDepthRule
# stops the nesting that could explode (`fields { type { fields … } } }`).
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class Limits:
    max_page_size: int = 100
    max_depth: int = 12
    max_aliases: int = 50
    max_cost: int = 50_000
    max_offset: int = 10_000
    max_tokens: int = 1_000  # GraphQL Armor's default; GraphiQL's introspection is ~170
    max_directives: int = 50
    max_operations: int = 10  # per batched HTTP request
    max_body_bytes: int = 100_000
    sql_time_budget_ms: int = 1_000


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Measure:
    """What an operation asks for, with fragments expanded. Depth counts field levels:
    `{ articles { nodes { slug } } }` is 3 deep."""

    depth: int = 0
    aliases: int = 0
    directives: int = 0


class _Measurer:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Measure] = {}
        self.visiting: set[str] = set()

    def fragment(self, name: str) -> Measure:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return Measure()  # unknown or cyclic: validation reports it
        self.visiting.add(name)
        inner = self.selections(definition.selection_set)
        self.visiting.discard(name)
        measure = _with_directives(inner, len(definition.directives or ()))
        self.memo[name] = measure
        return measure

    def selections(self, selection_set: SelectionSetNode | None) -> Measure:
        depth = aliases = directives = 0
        for node in selection_set.selections if selection_set else ():
            directives += len(node.directives or ())
            if isinstance(node, FieldNode):
                inner = self.selections(node.selection_set)
                aliases += (1 if node.alias else 0) + inner.aliases
                node_depth = 1 if node.name.value in INTROSPECTION_ROOTS else 1 + inner.depth
            elif isinstance(node, InlineFragmentNode):
                inner = self.selections(node.selection_set)
                aliases += inner.aliases
                node_depth = inner.depth
            elif isinstance(node, FragmentSpreadNode):
                inner = self.fragment(node.name.value)
                aliases += inner.aliases
                node_depth = inner.depth
            else:  # pragma: no cover - the three kinds above are all GraphQL has
                continue
            directives += inner.directives
            depth = max(depth, node_depth)
        return Measure(depth, aliases, directives)


def _with_directives(measure: Measure, directives: int) -> Measure:
    return Measure(measure.depth, measure.aliases, measure.directives + directives)


def measure_operations(document: DocumentNode) -> dict[str | None, Measure]:
    """Each operation's measure (the key is its name; None for an anonymous one)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    measurer = _Measurer(fragments)
    return {
        (d.name.value if d.name else None): _with_directives(
            measurer.selections(d.selection_set), len(d.directives or ())
        )
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    }


def check_document(document: DocumentNode, limits: Limits) -> GraphQLError | None:
    """The first limit any operation of `document` exceeds, as a client error."""
    for name, measure in measure_operations(document).items():
        label = f"operation `{name}`" if name else "the operation"
        if measure.aliases > limits.max_aliases:
            return request_error(
                f"{label} uses {measure.aliases} aliases (fragments count each time they "
                f"are spread); the limit is {limits.max_aliases}: ask for fewer aliased "
                "fields, or split the query",
                Code.TOO_MANY_ALIASES,
                aliases=measure.aliases,
                maxAliases=limits.max_aliases,
            )
        if measure.depth > limits.max_depth:
            return request_error(
                f"{label} nests selections {measure.depth} levels deep; the limit is "
                f"{limits.max_depth}: select fewer nested levels, and fetch deeper data "
                "with a separate query (e.g. `node(id:)`)",
                Code.QUERY_TOO_DEEP,
                depth=measure.depth,
                maxDepth=limits.max_depth,
            )
        if measure.directives > limits.max_directives:
            return request_error(
                f"{label} uses {measure.directives} directives; the limit is "
                f"{limits.max_directives}: remove repeated `@include`/`@skip` directives",
                Code.TOO_MANY_DIRECTIVES,
                directives=measure.directives,
                maxDirectives=limits.max_directives,
            )
    return None
