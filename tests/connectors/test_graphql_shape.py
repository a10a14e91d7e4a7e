"""The client's own GraphQL reader (N1: units = top-level fields) agrees with graphql-core, the reference
implementation, on every document the client sends and on documents that use the rest of the language."""

from __future__ import annotations

import graphql
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookrelay.connectors.hardcover.documents import BLOCKED_OPERATORS, analyse_document
from bookrelay.connectors.hardcover.flat_documents import all_documents
from bookrelay.connectors.hardcover.graphql_shape import GraphQLSyntaxError, parse_document


def reference_shape(document: str) -> tuple[str | None, str, tuple[str, ...], tuple[str, ...], set[str]]:
    """What graphql-core reads: operation name and kind, top-level keys and names, object field names."""
    ast = graphql.parse(document)
    (operation,) = [d for d in ast.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, graphql.FragmentDefinitionNode)}
    fields: list[graphql.FieldNode] = []

    def collect(selection_set: graphql.SelectionSetNode, seen: frozenset[str]) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, graphql.FieldNode):
                fields.append(selection)
            elif isinstance(selection, graphql.InlineFragmentNode):
                collect(selection.selection_set, seen)
            elif isinstance(selection, graphql.FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    collect(fragments[name].selection_set, seen | {name})

    collect(operation.selection_set, frozenset())
    object_fields: set[str] = set()

    class Finder(graphql.language.Visitor):
        def enter_object_field(self, node: graphql.language.ObjectFieldNode, *_: object) -> None:
            object_fields.add(node.name.value)

    graphql.visit(ast, Finder())
    return (
        operation.name.value if operation.name else None,
        operation.operation.value,
        tuple((f.alias or f.name).value for f in fields),
        tuple(f.name.value for f in fields),
        object_fields,
    )


def ours(document: str) -> tuple[str | None, str, tuple[str, ...], tuple[str, ...], set[str]]:
    parsed = parse_document(document)
    shape = analyse_document(document) if not parsed.object_fields & BLOCKED_OPERATORS else None
    assert shape is not None
    return shape.name, shape.kind, shape.fields, shape.field_names, parsed.object_fields


TRICKY = {
    "anonymous": "{ me { id } b: books(limit: 1) { id } }",
    "strings with braces": 'query Q { search(query: "} { ) ( # not a comment", query_type: "Book") { ids } }',
    "escaped quote": r'query { search(query: "say \"hi\" {", per_page: 1) { ids } }',
    "block string": 'query { search(query: """a "quoted" } { \\""" block""") { ids } }',
    "comments": "# leading\nquery Q # after the name\n{ me { id } # inside\n x: me { id } }",
    "variables with defaults and directives": (
        'query Q($a: Int = 3, $b: [String!]! = ["x"], $c: Boolean! @deprecated) @live '
        "{ me @include(if: $c) { id } books(where: {id: {_eq: $a}, title: {_in: $b}}) { id } }"
    ),
    "nested objects and lists": 'query { books(where: {_or: [{id: {_eq: 1}}, {title: {_eq: "x"}}]}) { id } }',
    "fragments in both places": (
        "query Q { ...Top ... on query_root { b: books { id ...BookBits } } "
        "... @skip(if: false) { me { id } } }"
        " fragment Top on query_root { e: editions { id } }"
        " fragment BookBits on books { title }"
    ),
    "numbers": "query { books(limit: 10, offset: 0, where: {rating: {_gt: -1.5e3}}) { id } }",
    "enum and null": "query { books(order_by: {id: desc}, where: {slug: {_is_null: true}, x: null}) { id } }",
    "mutation": "mutation M($o: UserBookCreateInput!) { w0: insert_user_book(object: $o) { id error } }",
}


@pytest.mark.parametrize("name", sorted(all_documents()))
def test_N1_reader_agrees_with_graphql_core_on_every_client_document(name: str) -> None:
    document = all_documents()[name]
    assert ours(document) == reference_shape(document)


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_N1_reader_agrees_with_graphql_core_on_the_rest_of_the_language(name: str) -> None:
    assert ours(TRICKY[name]) == reference_shape(TRICKY[name])


@pytest.mark.parametrize(
    "document",
    [
        "",
        "query {",
        "query { me { id }",
        "query { me(id: ) { id } }",
        'query { search(query: "unterminated) { ids } }',
        "query Q($a Int) { me { id } }",
        "query { me { id } } %",
        "fragment on on T { id }",
    ],
)
def test_reader_refuses_what_graphql_core_refuses(document: str) -> None:
    with pytest.raises(graphql.GraphQLError):
        graphql.parse(document)
    with pytest.raises(GraphQLSyntaxError):
        parse_document(document)
    with pytest.raises(ValueError, match="not a GraphQL document"):
        analyse_document(document)


NAMES = st.sampled_from(["me", "books", "editions", "search", "user_books", "w0", "b1", "title", "id"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Random queries: aliased fields with arguments (object values included), nested selections,
    inline fragments and spreads of fragments defined after the operation."""

    def selection(depth: int) -> str:
        parts = []
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["field", "field", "inline", "spread"] if depth < 2 else ["field"]))
            if kind == "inline":
                parts.append("... on query_root " + selection(depth + 1))
            elif kind == "spread":
                parts.append("...F" + str(draw(st.integers(0, 1))))
            else:
                alias = draw(NAMES) + ": " if draw(st.booleans()) else ""
                args = ""
                if draw(st.booleans()):
                    column, op = draw(NAMES), draw(st.sampled_from(["_eq", "_in", "_gt"]))
                    args = f'(where: {{{column}: {{{op}: "v{{}}"}}}}, limit: {draw(st.integers(0, 99))})'
                sub = " " + selection(depth + 1) if depth < 2 and draw(st.booleans()) else ""
                parts.append(f"{alias}{draw(NAMES)}{args}{sub}")
        return "{ " + " ".join(parts) + " }"

    operation = draw(st.sampled_from(["query Q", "mutation M", "query", ""]))
    fragments = " ".join(f"fragment F{i} on query_root {selection(2)}" for i in range(2))
    return f"{operation} {selection(0)} {fragments}"


@settings(max_examples=200, deadline=None)
@given(documents())
def test_N1_reader_agrees_with_graphql_core_on_random_documents(document: str) -> None:
    assert ours(document) == reference_shape(document)
