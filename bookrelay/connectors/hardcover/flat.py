"""Answers of the depth-3 documents put back into the nested shape of the deep ones, for the mapper.

Under a maximum query depth of 3 (ref/hardcover.md §3 roadmap) a book's authors, series and editions
arrive as top-level lists keyed by book id (``flat_documents.book_parts_document``) and a written entry's
reads arrive in a query of their own (``flat_documents.READS_OF_ENTRIES``). This module nests them again
as the deep documents would have sent them, so ``mapper`` reads one shape only. A part row that names
no usable book id cannot be placed: it is left out with one warning per field (S3), like any other
display or scoring field in an unexpected shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bookrelay.connectors.hardcover.fields import as_list, loose_int
from bookrelay.connectors.hardcover.shape_log import ShapeLog


def _grouped(rows: Any, key: str, place: str, shapes: ShapeLog | None) -> dict[int, list[dict[str, Any]]]:
    """Rows of a top-level part list grouped by the book id in ``key``, in the server's order."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for i, row in enumerate(as_list(rows, place)):
        book_id = loose_int(row.get(key)) if isinstance(row, Mapping) else None
        if book_id is None:
            if shapes is not None:
                shapes.warn(f"{place}[{i}].{key}", "no book id: left out")
            continue
        groups.setdefault(book_id, []).append(dict(row))
    return groups


def nest_book_parts(
    data: Mapping[str, Any], shapes: ShapeLog | None, *, with_editions: bool
) -> dict[int, dict[str, Any]]:
    """``books``, ``contributions``, ``book_series`` (and ``editions``) of a BookParts answer → book rows
    by id, each with its parts nested as in the deep documents. Malformed book rows pass through for
    the mapper to judge."""
    authors = _grouped(data.get("contributions"), "contributable_id", "contributions", shapes)
    series = _grouped(data.get("book_series"), "book_id", "book_series", shapes)
    editions = _grouped(data.get("editions"), "book_id", "editions", shapes) if with_editions else {}
    books: dict[int, dict[str, Any]] = {}
    for row in as_list(data.get("books"), "books"):
        book_id = loose_int(row.get("id")) if isinstance(row, Mapping) else None
        if book_id is None:
            continue  # nothing can be placed under it, and no item can name it
        books[book_id] = {
            **row,
            "contributions": [
                {"contribution": c.get("contribution"), "author": c.get("author")}
                for c in authors.get(book_id, [])
            ],
            "book_series": [
                {"position": s.get("position"), "series": s.get("series")} for s in series.get(book_id, [])
            ],
        }
        if with_editions:
            books[book_id]["editions"] = editions.get(book_id, [])
    return books


def editions_by_id(data: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """The ``editions`` rows of a BookParts answer asked ``by_id``, keyed by their id."""
    found: dict[int, dict[str, Any]] = {}
    for row in as_list(data.get("editions"), "editions"):
        edition_id = loose_int(row.get("id")) if isinstance(row, Mapping) else None
        if edition_id is not None:
            found[edition_id] = dict(row)
    return found


def nest_entries(
    rows: Any, books: Mapping[int, Mapping[str, Any]], editions: Mapping[int, Mapping[str, Any]], place: str
) -> list[Any]:
    """``user_books`` rows of a flat shelf page with their ``book`` and ``edition`` put back in."""
    nested: list[Any] = []
    for row in as_list(rows, place):
        if not isinstance(row, Mapping):
            nested.append(row)  # the mapper sets it aside, naming the place
            continue
        entry = dict(row)
        book_id, edition_id = loose_int(row.get("book_id")), loose_int(row.get("edition_id"))
        if book_id is not None and book_id in books:
            entry["book"] = books[book_id]
        if edition_id is not None and edition_id in editions:
            entry["edition"] = editions[edition_id]
        nested.append(entry)
    return nested


def entry_ids(rows: Any, place: str) -> tuple[list[int], list[int]]:
    """The distinct book ids and edition ids a flat shelf page names, in order."""
    book_ids: dict[int, None] = {}
    edition_ids: dict[int, None] = {}
    for row in as_list(rows, place):
        if isinstance(row, Mapping):
            if (book_id := loose_int(row.get("book_id"))) is not None:
                book_ids[book_id] = None
            if (edition_id := loose_int(row.get("edition_id"))) is not None:
                edition_ids[edition_id] = None
    return list(book_ids), list(edition_ids)


def reads_by_entry(rows: Any, place: str = "user_book_reads") -> dict[int, list[dict[str, Any]]]:
    """A ReadsOfEntries answer's reads grouped by entry id, newest first as asked."""
    return _grouped(rows, "user_book_id", place, None)
