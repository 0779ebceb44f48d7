"""Reading a document's selections: the fields a selection set asks for, with its
fragments expanded, and whether an argument's value depends on the variables.

Both the cost estimate (before execution) and the preloading of nested levels
(during it) need the fields under a node regardless of how the query spelled them:
directly, in an inline fragment, or through a named fragment spread. The cost
estimate and the selection plans keep what they derive from a document across
requests only when no variable went into it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
)


def selected_fields(
    selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    """The field nodes of `selection_set`, in order, fragments expanded.

    Run on validated documents only: validation has rejected unknown and cyclic
    fragments, so an unknown name is skipped rather than reported here.
    """
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from selected_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from selected_fields(fragment.selection_set, fragments)


def mentions_variable(value: ValueNode) -> bool:
    """Whether an argument's value is, or contains, a variable."""
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(mentions_variable(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(mentions_variable(f.value) for f in value.fields)
    return False
