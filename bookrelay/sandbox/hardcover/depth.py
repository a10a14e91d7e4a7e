"""The depth of a GraphQL operation, counted as Hasura-style depth limits are most strictly read.

Every field is a level, the leaf included: ``me { id }`` is 2, ``user_books { book { title } }`` is 3.
Fragments (named and inline) add no level of their own: their fields sit at the level of the spread.
Hardcover's API docs list "maximum query depth of 3" on their 2026 roadmap (ref/hardcover.md §3).
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


def operation_depth(document: DocumentNode, operation: OperationDefinitionNode) -> int:
    """The deepest chain of fields in ``operation``, each field one level, the leaf included."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def depth(selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                deepest = max(deepest, 1 + depth(selection.selection_set, seen))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, depth(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                # A fragment cycle is invalid GraphQL (validation reports it); do not loop on it.
                if name in fragments and name not in seen:
                    deepest = max(deepest, depth(fragments[name].selection_set, seen | {name}))
        return deepest

    return depth(operation.selection_set, frozenset())
