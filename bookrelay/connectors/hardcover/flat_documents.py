"""The depth-3 forms of Hardcover's deep documents, sent once a server has refused a document for its depth.

Hardcover's roadmap announces a maximum query depth of 3, every field a level, the leaf included
(ref/hardcover.md §3). The deep documents of ``documents.py`` nest 4 or 5 levels; these forms ask the
same data within 3 (``depth.py`` decides when, ``flat_reads.py`` sends them). Books' nested parts become
top-level fields keyed by book id (one unit each), which ``flat.py`` puts back under their books.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from bookrelay.connectors.hardcover.documents import (
    EDITION_FIELDS,
    EXPORT_SHELF,
    LIST_WRITE_SHAPES,
    ME,
    MY_LISTS,
    READ_FIELDS,
    SEARCH_BOOKS,
    TITLE_MATCH_LIMIT,
    USER_BOOK_FIELDS,
    USER_BOOKS_FOR_BOOKS,
    WRITE_SHAPES,
    ListWriteKind,
    WriteKind,
    books_batches,
    books_by_title_document,
    books_document,
    editions_document,
    list_write_document,
    packed_mutation,
    shelf_document,
    write_document,
)

FLAT_BOOK_FIELDS = "id title subtitle slug release_year alternative_titles audio_seconds image { url }"
_FLAT_PARTS = {
    "books": f"books(where: {{id: {{_in: $bookIds}}}}, order_by: {{id: asc}}) {{ {FLAT_BOOK_FIELDS} }}",
    "contributions": (
        'contributions(where: {contributable_type: {_eq: "Book"}, contributable_id: {_in: $bookIds}}, '
        "order_by: {id: asc}) { contributable_id contribution author { name } }"
    ),
    "book_series": (
        "book_series(where: {book_id: {_in: $bookIds}}, order_by: {id: asc}) "
        "{ book_id position series { name } }"
    ),
}
_FLAT_EDITIONS = {
    "of_books": "editions(where: {book_id: {_in: $bookIds}}, order_by: {users_count: desc}) { %s }",
    "by_id": "editions(where: {id: {_in: $editionIds}}, order_by: {id: asc}) { %s }",
}

EditionsWanted = Literal["of_books", "by_id"]


def book_parts_document(editions: EditionsWanted) -> str:
    """Books by id with their authors, series and editions as four top-level fields (four units).

    ``of_books`` selects every edition of the books (M5 picks among them), ``by_id`` only the editions
    named in ``$editionIds`` (a shelf entry's own edition).
    """
    edition_var = ", $editionIds: [Int!]!" if editions == "by_id" else ""
    fields = [*_FLAT_PARTS.values(), _FLAT_EDITIONS[editions] % EDITION_FIELDS]
    return f"query BookParts($bookIds: [Int!]!{edition_var}) {{\n  " + "\n  ".join(fields) + "\n}"


def flat_shelf_document(with_statuses: bool, with_date_added: bool = False) -> str:
    """The shelf page of :func:`shelf_document` (or the export's) without its books: ids and reads."""
    status_var = ", $statuses: [Int!]!" if with_statuses else ""
    status_where = ", status_id: {_in: $statuses}" if with_statuses else ""
    added = " date_added" if with_date_added else ""
    return f"""query FlatShelf($userId: Int!, $limit: Int!, $offset: Int!{status_var}) {{
  user_books(where: {{user_id: {{_eq: $userId}}{status_where}}}, order_by: {{id: asc}},
             limit: $limit, offset: $offset) {{
    {USER_BOOK_FIELDS}{added}
  }}
}}"""


FLAT_USER_BOOKS_FOR_BOOKS = f"""query FlatUserBooksForBooks($userId: Int!, $bookIds: [Int!]!) {{
  user_books(where: {{user_id: {{_eq: $userId}}, book_id: {{_in: $bookIds}}}}, order_by: {{id: asc}}) {{
    {USER_BOOK_FIELDS}
  }}
}}"""


def flat_editions_document(batches: int) -> str:
    """:func:`editions_document` without the books: editions by identifier, one field per batch."""
    return editions_document(batches, with_books=False)


def book_ids_by_title_document(batches: int) -> str:
    """The ids of books whose title is in a list, one field per batch (books follow by id)."""
    order = f"order_by: {{users_count: desc}}, limit: {TITLE_MATCH_LIMIT}"
    return books_batches("BookIdsByTitles", "titles", "String", "title", order, batches, "id")


# P11 without the nested reads: the entry alone in the write's answer, its reads in one query after.
_FLAT_USER_BOOK_RESULT = "id error user_book { id book_id edition_id status_id rating owned }"
READS_OF_ENTRIES = f"""query ReadsOfEntries($ids: [Int!]!) {{
  user_book_reads(where: {{user_book_id: {{_in: $ids}}}}, order_by: {{id: desc}}) {{
    user_book_id {READ_FIELDS}
  }}
}}"""


def flat_write_document(kinds: Sequence[WriteKind]) -> str:
    """:func:`write_document` with user-book results that leave out the reads (fetch them with
    ``READS_OF_ENTRIES``)."""
    shapes = [
        (kind, args, _FLAT_USER_BOOK_RESULT if kind in ("insert_user_book", "update_user_book") else result)
        for kind, (args, result) in ((k, WRITE_SHAPES[k]) for k in kinds)
    ]
    return packed_mutation("FlatWrites", shapes)


def flat_documents() -> dict[str, dict[str, str]]:
    """Each deep document's name (in :func:`all_documents`) → the depth-3 documents that replace it."""
    parts_of_books = {"book_parts_of_books": book_parts_document("of_books")}
    parts_by_id = {"book_parts_by_id": book_parts_document("by_id")}
    kinds: list[WriteKind] = list(WRITE_SHAPES)
    forms: dict[str, dict[str, str]] = {
        "shelf": {"flat_shelf": flat_shelf_document(False), **parts_by_id},
        "shelf_by_status": {"flat_shelf_by_status": flat_shelf_document(True), **parts_by_id},
        "export_shelf": {"flat_export_shelf": flat_shelf_document(False, True), **parts_by_id},
        "user_books_for_books": {"flat_user_books_for_books": FLAT_USER_BOOKS_FOR_BOOKS, **parts_by_id},
        "editions_1": {"flat_editions_1": flat_editions_document(1), **parts_of_books},
        "editions_5": {"flat_editions_5": flat_editions_document(5), **parts_of_books},
        "books_1": parts_of_books,
        "books_5": parts_of_books,
        "books_by_title_1": {"book_ids_by_title_1": book_ids_by_title_document(1), **parts_of_books},
        "books_by_title_5": {"book_ids_by_title_5": book_ids_by_title_document(5), **parts_of_books},
        "writes_packed_5": {
            "flat_writes_packed_5": flat_write_document([*kinds, "update_user_book_read"]),
            "reads_of_entries": READS_OF_ENTRIES,
        },
    }
    for kind in ("insert_user_book", "update_user_book"):
        forms[f"write_{kind}"] = {
            f"flat_write_{kind}": flat_write_document([kind]),
            "reads_of_entries": READS_OF_ENTRIES,
        }
    return forms


def all_documents() -> dict[str, str]:
    """Every document the client can send, builders called with representative arguments (for tests)."""
    kinds: list[WriteKind] = list(WRITE_SHAPES)
    documents = {
        "me": ME,
        "shelf": shelf_document(False),
        "shelf_by_status": shelf_document(True),
        "user_books_for_books": USER_BOOKS_FOR_BOOKS,
        "search_books": SEARCH_BOOKS,
        "editions_1": editions_document(1),
        "editions_5": editions_document(5),
        "books_1": books_document(1),
        "books_5": books_document(5),
        "books_by_title_1": books_by_title_document(1),
        "books_by_title_5": books_by_title_document(5),
        "writes_packed_5": write_document([*kinds, "update_user_book_read"]),
    }
    documents.update({f"write_{kind}": write_document([kind]) for kind in kinds})
    list_kinds: list[ListWriteKind] = list(LIST_WRITE_SHAPES)
    documents.update({"export_shelf": EXPORT_SHELF, "my_lists": MY_LISTS})
    documents.update({f"list_write_{kind}": list_write_document([kind]) for kind in list_kinds})
    documents["list_writes_packed_5"] = list_write_document([*list_kinds, "edition_owned"])
    for forms in flat_documents().values():
        documents.update(forms)
    return documents
