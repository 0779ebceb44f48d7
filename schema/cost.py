"""A query cost budget in which page sizes multiply.

Depth and alias limits do not stop `topics(first: 100) { articles(first: 100) {
topics { articles(first: 100) ... } } }`, which asks for millions of objects. Before
execution we estimate how many fields the operation resolves: every field counts
once per object it is resolved on; a connection multiplies its `edges`/`nodes` by
`first` (or `last`); lists with their own `first` (facet values) by it; other lists
(topics, images, related) count as LIST_ESTIMATE items.
Introspection is not counted here: validation's MaxIntrospectionDepthRule stops the
nesting (`fields { type { fields … } } }`) that could make it explode.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast,
)

from schema.errors import Code, request_error
from schema.limits import DEFAULT_PAGE_SIZE, Limits
from schema.selections import mentions_variable, selected_fields

LIST_ESTIMATE = 10
CONNECTION_LISTS = frozenset({"edges", "nodes"})


class _Estimator:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.read_variables = False  # whether the estimate depends on the variables

    def _argument(self, node: FieldNode, name: str, arg_type: Any) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                self.read_variables = self.read_variables or mentions_variable(argument.value)
                return value_from_ast(argument.value, arg_type, self.variables)
        return None

    def _page_size(self, node: FieldNode, args: dict[str, Any]) -> int | None:
        """`last` when given, else `first` (its default when null); None without either."""
        for name in ("last", "first"):
            if name in args:
                value = self._argument(node, name, args[name].type)
                if value is not None:
                    return max(int(value), 0)
        return DEFAULT_PAGE_SIZE if "first" in args else None

    def cost(self, parent: GraphQLNamedType, selection_set: SelectionSetNode,
             multiplicity: int, page: int | None) -> int:  # fmt: skip
        """Fields resolved under `selection_set` on `multiplicity` objects of `parent`."""
        total = 0
        for node in selected_fields(selection_set, self.fragments):
            fields = getattr(parent, "fields", None)
            field = fields.get(node.name.value) if fields else None
            if field is None:  # __typename, or a field of an interface's implementation
                total += multiplicity
                continue
            field_type = (
                field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            )
            count = multiplicity
            size = self._page_size(node, field.args)
            if isinstance(field_type, GraphQLList):
                if node.name.value in CONNECTION_LISTS and page is not None:
                    count *= page
                elif "ids" in field.args:
                    ids = self._argument(node, "ids", field.args["ids"].type) or []
                    count *= max(len(ids), 1)
                elif size is not None:  # a list with its own size, e.g. a facet's values
                    count *= size
                else:
                    count *= LIST_ESTIMATE
            total += count
            child_page = size
            if node.selection_set is not None:
                named = get_named_type(field.type)
                if not isinstance(named, GraphQLObjectType):
                    # Interfaces (Node): estimate with the widest implementation.
                    impls = self.schema.get_possible_types(named)
                    named = max(impls, key=lambda t: len(t.fields)) if impls else named
                total += self.cost(named, node.selection_set, count, child_page)
        return total


def request_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> tuple[int, bool]:
    """The cost of the operation a request will run (the largest, when ambiguous), and
    whether it depends on the variables (when not, it is the same for every request)."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}  # fmt: skip
    operations = [
        d for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]  # fmt: skip
    estimator = _Estimator(schema, fragments, variables or {})
    costs = [0]
    try:
        for op in operations:
            root = schema.get_root_type(op.operation)
            if root is not None:
                costs.append(estimator.cost(root, op.selection_set, 1, None))
    except (TypeError, ValueError):
        return 0, True  # malformed variables: execution reports them precisely
    return max(costs), estimator.read_variables


def check_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    limits: Limits,
    known: dict[str | None, int] | None = None,
) -> GraphQLError | None:
    """A client error when the operation's estimated cost is over the budget.

    `known` keeps, per operation name, the costs that do not depend on variables, so
    a document sent again is not estimated again (pass one dict per document).
    """
    cost = known.get(operation_name) if known is not None else None
    if cost is None:
        cost, read_variables = request_cost(schema, document, operation_name, variables)
        if known is not None and not read_variables:
            known[operation_name] = cost
    if cost <= limits.max_cost:
        return None
    return request_error(
        f"query cost {cost} exceeds the budget of {limits.max_cost}: ask for smaller "
        "pages (`first`) on nested connections, or split the query",
        Code.QUERY_TOO_COSTLY, cost=cost, maxCost=limits.max_cost,
    )  # fmt: skip
