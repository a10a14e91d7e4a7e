"""Every GraphQL document bookrelay sends to Hardcover, as constants or builders, and their analysis.

All of them validate against the real schema (ref/hardcover/schema.json); tests enumerate them through
``flat_documents.all_documents`` (which adds the depth-3 forms). Patterns follow ref/hardcover.md §7.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bookrelay.connectors.hardcover.graphql_shape import GraphQLSyntaxError, Selection, parse_document

# Hasura operators Hardcover disables (ref §3); they are in the schema, so validation cannot catch them.
BLOCKED_OPERATORS = frozenset(
    {
        "_like",
        "_nlike",
        "_ilike",
        "_nilike",
        "_regex",
        "_iregex",
        "_nregex",
        "_niregex",
        "_similar",
        "_nsimilar",
    }
)

# -- selections ----------------------------------------------------------------------------------

READ_FIELDS = "id edition_id started_at finished_at paused_at progress progress_pages progress_seconds"
EDITION_FIELDS = (
    "id book_id title subtitle isbn_13 isbn_10 asin pages audio_seconds reading_format_id edition_format "
    "users_count language { code2 }"
)
BOOK_FIELDS = (
    "id title subtitle slug release_year alternative_titles audio_seconds image { url } "
    "contributions { contribution author { name } } book_series { position series { name } }"
)
# M5 needs every edition of a hit's book (a print ISBN names the book, not the audio edition);
# nested in the same field, they cost no extra unit.
BOOK_EDITIONS = f"editions(order_by: {{users_count: desc}}) {{ {EDITION_FIELDS} }}"
# P11: the entry's reads, newest first, ride along in every answer (a nested selection costs no unit).
USER_BOOK_FIELDS = (
    "id book_id edition_id status_id rating owned "
    f"user_book_reads(order_by: {{id: desc}}) {{ {READ_FIELDS} }}"
)
SHELF_ENTRY_FIELDS = f"{USER_BOOK_FIELDS} book {{ {BOOK_FIELDS} }} edition {{ {EDITION_FIELDS} }}"

# -- queries -------------------------------------------------------------------------------------

ME = "query Me { me { id username name books_count } }"

USER_BOOKS_FOR_BOOKS = f"""query UserBooksForBooks($userId: Int!, $bookIds: [Int!]!) {{
  user_books(where: {{user_id: {{_eq: $userId}}, book_id: {{_in: $bookIds}}}}, order_by: {{id: asc}}) {{
    {SHELF_ENTRY_FIELDS}
  }}
}}"""

SEARCH_BOOKS = """query SearchBooks($query: String!, $perPage: Int!) {
  search(query: $query, query_type: "Book", per_page: $perPage, page: 1) { ids results error }
}"""


def shelf_document(with_statuses: bool) -> str:
    """The user's ``user_books`` page by page (limit/offset, ordered by id), optionally ``status_id _in``."""
    status_var = ", $statuses: [Int!]!" if with_statuses else ""
    status_where = ", status_id: {_in: $statuses}" if with_statuses else ""
    return f"""query Shelf($userId: Int!, $limit: Int!, $offset: Int!{status_var}) {{
  user_books(where: {{user_id: {{_eq: $userId}}{status_where}}}, order_by: {{id: asc}},
             limit: $limit, offset: $offset) {{
    {SHELF_ENTRY_FIELDS}
  }}
}}"""


# Shelf export (scrobble): the shelf with the date each book was added.
EXPORT_SHELF = f"""query ExportShelf($userId: Int!, $limit: Int!, $offset: Int!) {{
  user_books(where: {{user_id: {{_eq: $userId}}}}, order_by: {{id: asc}}, limit: $limit, offset: $offset) {{
    {SHELF_ENTRY_FIELDS} date_added
  }}
}}"""

# The user's own lists with their books (ref §7 "Lists"); "Owned" is one of them (edition_owned).
MY_LISTS = """query MyLists($userId: Int!) {
  lists(where: {user_id: {_eq: $userId}}, order_by: {id: asc}) {
    id name list_books(order_by: {id: asc}) { id book_id edition_id }
  }
}"""

ListWriteKind = Literal["insert_list", "insert_list_book", "delete_list_book", "edition_owned"]

# kind → (arguments, selection); signatures from ref §5 and the schema (ListIdType has ``errors``).
LIST_WRITE_SHAPES: dict[ListWriteKind, tuple[tuple[tuple[str, str], ...], str]] = {
    "insert_list": ((("object", "ListInput!"),), "id errors list { id name }"),
    "insert_list_book": ((("object", "ListBookInput!"),), "id list_book { id list_id book_id edition_id }"),
    "delete_list_book": ((("id", "Int!"),), "id list_id"),
    "edition_owned": ((("id", "Int!"),), "id list_book { id list_id book_id edition_id }"),
}


def list_write_document(kinds: Sequence[ListWriteKind]) -> str:
    """One mutation request holding list writes as aliased fields ``w0``… (N5), as write_document."""
    return packed_mutation("ListWrites", [(kind, *LIST_WRITE_SHAPES[kind]) for kind in kinds])


def batch_alias(index: int) -> str:
    """The alias of the ``index``-th batch in a packed read (``b0``, ``b1``, …)."""
    return f"b{index}"


def editions_document(batches: int, *, with_books: bool = True) -> str:
    """Editions whose ISBN-13, ISBN-10 or ASIN is in the lists, one aliased ``_in`` field per batch (N5)."""
    _check_count(batches)
    books = f" book {{ {BOOK_FIELDS} {BOOK_EDITIONS} }}" if with_books else ""
    params: list[str] = []
    fields: list[str] = []
    for i in range(batches):
        b = batch_alias(i)
        params.append(f"${b}_isbn13: [String!]!, ${b}_isbn10: [String!]!, ${b}_asin: [String!]!")
        fields.append(
            f"  {b}: editions(where: {{_or: [{{isbn_13: {{_in: ${b}_isbn13}}}}, "
            f"{{isbn_10: {{_in: ${b}_isbn10}}}}, {{asin: {{_in: ${b}_asin}}}}]}}, "
            f"order_by: {{users_count: desc}}) {{\n"
            f"    {EDITION_FIELDS}{books}\n  }}"
        )
    return f"query EditionsByIdentifiers({', '.join(params)}) {{\n" + "\n".join(fields) + "\n}"


def books_document(batches: int) -> str:
    """Books by id with their editions, one aliased ``_in`` field per batch (N5)."""
    return books_batches("BooksByIds", "ids", "Int", "id", "order_by: {id: asc}", batches)


TITLE_MATCH_LIMIT = 200


def books_by_title_document(batches: int) -> str:
    """Books whose title equals one of the given titles, one aliased ``_in`` field per batch (N5).

    A hundred titles cost one unit where ``search`` costs one per title (only one search per request).
    """
    order = f"order_by: {{users_count: desc}}, limit: {TITLE_MATCH_LIMIT}"
    return books_batches("BooksByTitles", "titles", "String", "title", order, batches)


def books_batches(
    name: str,
    variable: str,
    gql_type: str,
    column: str,
    extra: str,
    batches: int,
    selection: str = f"{BOOK_FIELDS} {BOOK_EDITIONS}",
) -> str:
    """``books`` (with editions, by default) where ``column`` is in a list, one aliased field per batch."""
    _check_count(batches)
    params: list[str] = []
    fields: list[str] = []
    for i in range(batches):
        b = batch_alias(i)
        params.append(f"${b}_{variable}: [{gql_type}!]!")
        fields.append(
            f"  {b}: books(where: {{{column}: {{_in: ${b}_{variable}}}}}, {extra}) {{\n    {selection}\n  }}"
        )
    return f"query {name}({', '.join(params)}) {{\n" + "\n".join(fields) + "\n}"


# -- mutations -----------------------------------------------------------------------------------

WriteKind = Literal["insert_user_book", "update_user_book", "insert_user_book_read", "update_user_book_read"]

_USER_BOOK_RESULT = f"id error user_book {{ {USER_BOOK_FIELDS} }}"
_READ_RESULT = f"id error user_book_read {{ {READ_FIELDS} }}"

# kind → (arguments as (name, GraphQL type), selection); signatures from ref §5.
WRITE_SHAPES: dict[WriteKind, tuple[tuple[tuple[str, str], ...], str]] = {
    "insert_user_book": ((("object", "UserBookCreateInput!"),), _USER_BOOK_RESULT),
    "update_user_book": ((("id", "Int!"), ("object", "UserBookUpdateInput!")), _USER_BOOK_RESULT),
    "insert_user_book_read": (
        (("user_book_id", "Int!"), ("user_book_read", "DatesReadInput!")),
        _READ_RESULT,
    ),
    "update_user_book_read": ((("id", "Int!"), ("object", "DatesReadInput!")), _READ_RESULT),
}


def write_alias(index: int) -> str:
    """The alias of the ``index``-th mutation in a packed write (``w0``, ``w1``, …)."""
    return f"w{index}"


def write_variable(index: int, argument: str) -> str:
    """The variable name carrying ``argument`` of the ``index``-th packed mutation (``w0_object``)."""
    return f"{write_alias(index)}_{argument}"


def write_document(kinds: Sequence[WriteKind]) -> str:
    """One mutation request holding the given writes as aliased fields ``w0``…, each selecting its result."""
    return packed_mutation("Writes", [(kind, *WRITE_SHAPES[kind]) for kind in kinds])


def packed_mutation(name: str, shapes: Sequence[tuple[str, tuple[tuple[str, str], ...], str]]) -> str:
    """A mutation with one aliased field per (kind, arguments, selection), variables named per alias."""
    _check_count(len(shapes))
    params: list[str] = []
    fields: list[str] = []
    for i, (kind, arguments, selection) in enumerate(shapes):
        params.extend(f"${write_variable(i, arg)}: {gql_type}" for arg, gql_type in arguments)
        args = ", ".join(f"{arg}: ${write_variable(i, arg)}" for arg, _ in arguments)
        fields.append(f"  {write_alias(i)}: {kind}({args}) {{ {selection} }}")
    return f"mutation {name}({', '.join(params)}) {{\n" + "\n".join(fields) + "\n}"


def _check_count(count: int) -> None:
    if count < 1:
        raise ValueError("a document needs at least one field")


# -- analysis ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OperationShape:
    """What a document asks for at the top level: Hardcover bills one unit per top-level field (N1)."""

    name: str | None
    kind: str
    fields: tuple[str, ...]  # response keys (alias or name), in order
    field_names: tuple[str, ...]  # the schema field behind each key

    @property
    def units(self) -> int:
        """Units this document costs against the budget."""
        return len(self.fields)

    @property
    def label(self) -> str:
        """A short name for messages: the operation name, else its fields."""
        return self.name or ",".join(self.field_names) or "graphql"


@lru_cache(maxsize=256)
def analyse_document(document: str) -> OperationShape:
    """Parse ``document`` and count its top-level fields (aliases and top-level fragments included).

    Raises ``ValueError`` for a document that does not parse, holds other than one operation, or
    uses an operator Hardcover blocks.
    """
    try:
        parsed = parse_document(document)
    except GraphQLSyntaxError as exc:
        raise ValueError(f"not a GraphQL document: {exc}") from None
    if len(parsed.operations) != 1:
        raise ValueError(f"a document must hold exactly one operation, not {len(parsed.operations)}")
    blocked = parsed.object_fields & BLOCKED_OPERATORS
    if blocked:
        raise ValueError(f"Hardcover blocks the operators {', '.join(sorted(blocked))}")
    name, kind, selection = parsed.operations[0]
    fields: list[tuple[str, str]] = []
    _collect_top_level(selection, parsed.fragments, fields, frozenset())
    return OperationShape(
        name=name,
        kind=kind,
        fields=tuple(key for key, _ in fields),
        field_names=tuple(field_name for _, field_name in fields),
    )


def _collect_top_level(
    selection: Selection, fragments: dict[str, Selection], out: list[tuple[str, str]], seen: frozenset[str]
) -> None:
    for item in selection.items:
        if isinstance(item, Selection):  # an inline fragment
            _collect_top_level(item, fragments, out, seen)
        elif isinstance(item, str):  # a fragment spread
            if item in fragments and item not in seen:  # a cycle is invalid GraphQL; do not loop on it
                _collect_top_level(fragments[item], fragments, out, seen | {item})
        else:
            out.append((item.key, item.name))
