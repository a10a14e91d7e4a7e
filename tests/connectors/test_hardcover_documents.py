"""Every document the Hardcover client sends validates against the real schema (ref/hardcover/schema.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import graphql
import pytest

from bookrelay.connectors.hardcover.documents import (
    BLOCKED_OPERATORS,
    LIST_WRITE_SHAPES,
    WRITE_SHAPES,
    analyse_document,
    books_document,
    editions_document,
    write_document,
)
from bookrelay.connectors.hardcover.flat_documents import all_documents, flat_documents
from bookrelay.sandbox.hardcover.depth import operation_depth

DOCUMENTS = all_documents()


@pytest.fixture(scope="module")
def schema(ref_dir: Path) -> graphql.GraphQLSchema:
    introspection = json.loads((ref_dir / "hardcover" / "schema.json").read_text(encoding="utf-8"))
    return graphql.build_client_schema(introspection["data"])


def test_enumeration_covers_every_write_kind_and_a_packed_write_of_five() -> None:
    mutations = [analyse_document(d) for d in DOCUMENTS.values() if analyse_document(d).kind == "mutation"]
    kinds = {name for shape in mutations for name in shape.field_names}
    assert kinds == set(WRITE_SHAPES) | set(LIST_WRITE_SHAPES)
    assert max(shape.units for shape in mutations) == 5


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_validates_against_the_real_schema(name: str, schema: graphql.GraphQLSchema) -> None:
    errors = graphql.validate(schema, graphql.parse(DOCUMENTS[name]))
    assert [e.message for e in errors] == []


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_N1_no_document_uses_a_blocked_operator(name: str) -> None:
    # Blocked operators are in the schema, so validation alone would not catch them (ref §3).
    found: set[str] = set()

    class Finder(graphql.language.Visitor):
        def enter_object_field(self, node: graphql.language.ObjectFieldNode, *_: object) -> None:
            found.add(node.name.value)

    graphql.visit(graphql.parse(DOCUMENTS[name]), Finder())
    assert not found & BLOCKED_OPERATORS
    # Also in the raw text, should one hide in a string or a variable default.
    assert not [op for op in BLOCKED_OPERATORS if re.search(rf"\b{op}\b", DOCUMENTS[name])]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_N1_no_document_exceeds_five_top_level_fields_or_one_search(name: str) -> None:
    shape = analyse_document(DOCUMENTS[name])
    assert 1 <= shape.units <= 5
    assert shape.field_names.count("search") <= 1


def test_P11_user_book_writes_select_the_entry_reads_newest_first(schema: graphql.GraphQLSchema) -> None:
    document = write_document(["insert_user_book"])
    ast = graphql.parse(document)
    reads = [node for node in _fields(ast) if node.name.value == "user_book_reads"]
    assert len(reads) == 1
    assert reads[0].arguments
    order = graphql.print_ast(reads[0].arguments[0])
    assert order.replace(" ", "") == "order_by:{id:desc}"
    assert not graphql.validate(schema, ast)


def _fields(ast: graphql.language.DocumentNode) -> list[graphql.language.FieldNode]:
    out: list[graphql.language.FieldNode] = []

    class Collect(graphql.language.Visitor):
        def enter_field(self, node: graphql.language.FieldNode, *_: object) -> None:
            out.append(node)

    graphql.visit(ast, Collect())
    return out


def test_N1_aliases_and_top_level_fragments_each_count_one_unit() -> None:
    document = """
    query Q { me { id } m2: me { id } ...Extra ... on query_root { b: books(limit: 1) { id } } }
    fragment Extra on query_root { e: editions(limit: 1) { id } search(query: "x") { ids } }
    """
    shape = analyse_document(document)
    assert shape.fields == ("me", "m2", "e", "search", "b")
    assert shape.units == 5
    assert shape.label == "Q"


def test_N1_nested_fields_do_not_count() -> None:
    shape = analyse_document("query { user_books { id book { id title editions { id } } } }")
    assert shape.units == 1
    assert shape.label == "user_books"


@pytest.mark.parametrize("operator", sorted(BLOCKED_OPERATORS))
def test_N1_analysis_refuses_blocked_operators(operator: str) -> None:
    with pytest.raises(ValueError, match=operator):
        analyse_document(f'query {{ books(where: {{title: {{{operator}: "x"}}}}) {{ id }} }}')


@pytest.mark.parametrize(
    "document",
    ["query {", "query A { me { id } } query B { me { id } }", "fragment F on users { id }"],
)
def test_analysis_refuses_documents_that_are_not_one_operation(document: str) -> None:
    with pytest.raises(ValueError):
        analyse_document(document)


@pytest.mark.parametrize("count", [1, 3, 5])
def test_N5_packed_builders_cost_one_unit_per_batch(count: int) -> None:
    assert analyse_document(editions_document(count)).units == count
    assert analyse_document(books_document(count)).units == count
    kinds = ["update_user_book_read"] * count
    shape = analyse_document(write_document(kinds))  # type: ignore[arg-type]
    assert shape.fields == tuple(f"w{i}" for i in range(count))
    assert shape.kind == "mutation"


def test_builders_refuse_an_empty_batch() -> None:
    with pytest.raises(ValueError):
        write_document([])
    with pytest.raises(ValueError):
        editions_document(0)


# -- query depth (Hardcover's roadmap: a maximum of 3, ref §3) ------------------------------------

MAX_DEPTH = 3
FLAT_FORMS = flat_documents()


def _depth(document: str) -> int:
    ast = graphql.parse(document)
    operation = graphql.get_operation_ast(ast)
    assert operation is not None
    return operation_depth(ast, operation)


def test_depth_report_of_every_document(capsys: pytest.CaptureFixture[str]) -> None:
    depths = {name: _depth(document) for name, document in DOCUMENTS.items()}
    with capsys.disabled():
        print("\nquery depth (every field a level, the leaf included):")
        for name, depth in sorted(depths.items(), key=lambda item: (-item[1], item[0])):
            flat = f"  → {', '.join(FLAT_FORMS[name])}" if name in FLAT_FORMS else ""
            print(f"  {depth}  {name}{flat}")
    # The deep documents really are deep: the flat forms exist for a reason.
    assert depths["shelf"] == 5 and depths["editions_1"] == 5 and depths["writes_packed_5"] == 4
    assert depths["me"] == 2


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_a_document_deeper_than_3_has_a_flat_form_of_at_most_3(name: str) -> None:
    if _depth(DOCUMENTS[name]) <= MAX_DEPTH:
        return
    assert name in FLAT_FORMS, (
        f"{name} nests deeper than {MAX_DEPTH}: give it a depth-3 form in flat_documents()"
    )
    for flat_name, flat in FLAT_FORMS[name].items():
        assert _depth(flat) <= MAX_DEPTH, flat_name
        assert DOCUMENTS[flat_name] == flat  # enumerated, hence validated against the real schema above


def test_every_flat_form_replaces_a_document_of_the_enumeration() -> None:
    assert set(FLAT_FORMS) <= set(DOCUMENTS)
    assert all(_depth(DOCUMENTS[name]) > MAX_DEPTH for name in FLAT_FORMS)


@pytest.mark.parametrize(
    ("document", "depth"),
    [
        ("query { me { id } }", 2),
        ('query { search(query: "x") { ids } }', 2),
        ("query { user_books { book { contributions { author { name } } } } }", 5),
        ("query { ...F } fragment F on query_root { books { ... on books { editions { id } } } }", 3),
        ("query { a: me { id } b: books { image { url } } }", 3),
    ],
)
def test_depth_counts_every_field_and_no_fragment(document: str, depth: int) -> None:
    assert _depth(document) == depth
