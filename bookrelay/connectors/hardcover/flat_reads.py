"""The reads behind the depth-3 forms: what the deep documents select under a book or an entry,
fetched as top-level fields and nested again (``flat``) for the mapper.

Hardcover announces a maximum query depth of 3 (ref/hardcover.md §3 roadmap). :func:`deep_or_flat`
sends the deep document until a server refuses one for its depth (a validation error: nothing of it
ran), then that server gets the flat forms from here on (``depth.SERVERS``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from bookrelay.connectors.hardcover import documents as docs
from bookrelay.connectors.hardcover import flat, mapper
from bookrelay.connectors.hardcover import flat_documents as flat_docs
from bookrelay.connectors.hardcover.depth import DepthMemory
from bookrelay.connectors.hardcover.fields import as_list, loose_int
from bookrelay.connectors.hardcover.session import DepthLimited, HardcoverSession
from bookrelay.connectors.hardcover.shape_log import ShapeLog
from bookrelay.domain.models import UserBook
from bookrelay.errors import BadResponse, BookrelayError

SERVICE = "hardcover"
IN_BATCH = 100  # values per ``_in`` list in the flat forms' follow-up requests
T = TypeVar("T")


def _unique(values: Any) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v not in (None, "")))


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def deep_or_flat(
    session: HardcoverSession,
    depth: DepthMemory,
    deep: Callable[[], Awaitable[T]],
    flat_form: Callable[[], Awaitable[T]],
) -> T:
    """Run ``deep``; once the server has refused a document for its depth, run ``flat_form`` instead.

    The refusal is a validation error (nothing ran), so the flat form may redo what ``deep`` asked.
    """
    if not depth.flat(session.url):
        try:
            return await deep()
        except DepthLimited as exc:
            depth.learn(session.url, exc.message)
    return await flat_form()


async def nest_entry_rows(
    session: HardcoverSession, rows: Any, place: str, shapes: ShapeLog | None
) -> list[Any]:
    """Flat ``user_books`` rows with their ``book`` and ``edition`` fetched (one BookParts request per
    hundred entries) and put back in, shaped as the deep documents send them."""
    nested: list[Any] = []
    rows = list(as_list(rows, place))
    for start in range(0, len(rows), IN_BATCH):
        chunk = rows[start : start + IN_BATCH]
        book_ids, edition_ids = flat.entry_ids(chunk, place)
        books: dict[int, dict[str, Any]] = {}
        editions: dict[int, dict[str, Any]] = {}
        if book_ids:
            variables = {"bookIds": book_ids, "editionIds": edition_ids}
            data = await session.execute(flat_docs.book_parts_document("by_id"), variables)
            books = flat.nest_book_parts(data, shapes, with_editions=False)
            editions = flat.editions_by_id(data)
        nested.extend(flat.nest_entries(chunk, books, editions, place))
    return nested


async def read_entry_pages(
    session: HardcoverSession,
    depth: DepthMemory,
    shapes: ShapeLog | None,
    documents: tuple[str, str],
    variables: Mapping[str, Any],
    page_size: int,
) -> list[UserBook]:
    """Library entries page by page (limit/offset), with the deep document or, on a server that limits
    depth, its flat form (``documents`` is the pair) plus the books' parts."""

    async def pages(flat_form: bool) -> list[UserBook]:
        entries: list[UserBook] = []
        offset = 0
        while True:
            page_variables = {**variables, "limit": page_size, "offset": offset}
            data = await session.execute(documents[flat_form], page_variables)
            place = f"user_books(offset={offset})"
            rows = data["user_books"]
            if flat_form:
                rows = await nest_entry_rows(session, rows, place, shapes)
            entries.extend(mapper.map_user_books(rows, place, shapes))
            # Count the rows sent, not those mapped: a row set aside (S3) does not end the paging.
            if len(rows) < page_size:
                return entries
            offset += page_size

    return await deep_or_flat(session, depth, lambda: pages(False), lambda: pages(True))


async def book_rows(
    session: HardcoverSession, shapes: ShapeLog | None, book_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """Book rows with their authors, series and editions nested, fetched as BookParts (4 units a
    hundred books): the depth-3 way to read what the deep documents select under ``book``."""
    rows: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(list(book_ids), IN_BATCH):
        data = await session.execute(flat_docs.book_parts_document("of_books"), {"bookIds": list(chunk)})
        rows.update(flat.nest_book_parts(data, shapes, with_editions=True))
    return rows


async def editions_with_books(
    session: HardcoverSession, shapes: ShapeLog | None, answers: Mapping[str, Any]
) -> dict[str, Any]:
    """Flat edition rows per alias with their ``book`` (and its parts) put back in."""
    book_ids = _unique(
        loose_int(row.get("book_id"))
        for rows in answers.values()
        if isinstance(rows, list)
        for row in rows
        if isinstance(row, Mapping)
    )
    books = await book_rows(session, shapes, book_ids)
    return {
        alias: [
            {**row, "book": books.get(loose_int(row.get("book_id")) or 0)}
            if isinstance(row, Mapping)
            else row
            for row in rows
        ]
        if isinstance(rows, list)
        else rows
        for alias, rows in answers.items()
    }


async def book_ids_by_title(
    session: HardcoverSession, groups: Sequence[Sequence[Sequence[Any]]]
) -> list[int]:
    """The ids of books titled as in the batches, most read first per batch (the flat form's step one)."""
    ids: list[int] = []
    for group in groups:
        variables = {f"{docs.batch_alias(i)}_titles": list(c) for i, c in enumerate(group)}
        data = await session.execute(flat_docs.book_ids_by_title_document(len(group)), variables)
        for i in range(len(group)):
            alias = docs.batch_alias(i)
            rows = data[alias] if isinstance(data[alias], list) else None
            if rows is None:
                raise BadResponse(f"books[{alias}]: expected a list", service=SERVICE)
            ids.extend(
                found for found in (loose_int(r.get("id")) for r in rows if isinstance(r, Mapping)) if found
            )
    return _unique(ids)


async def with_reads(
    session: HardcoverSession, group: Sequence[Any], answers: list[Any]
) -> tuple[list[Any], str | None]:
    """The flat write answers with each written entry's reads, newest first, read a hundred entries a
    query (P11: the deep form selects them in the mutation's own answer); the reason when that failed."""
    ids = _unique(
        loose_int(wire["user_book"].get("id"))
        for op, wire in zip(group, answers, strict=True)
        if op.kind in ("insert_user_book", "update_user_book")
        and isinstance(wire, Mapping)
        and isinstance(wire.get("user_book"), Mapping)
    )
    if not ids:
        return answers, None
    reads: dict[int, list[dict[str, Any]]] = {}
    try:
        for chunk in _chunks(ids, IN_BATCH):
            data = await session.execute(flat_docs.READS_OF_ENTRIES, {"ids": list(chunk)})
            reads.update(flat.reads_by_entry(data["user_book_reads"]))
    except BookrelayError as exc:
        return answers, f"written, but its reads could not be read back: {exc.message}"
    nested: list[Any] = []
    for wire in answers:
        entry = wire.get("user_book") if isinstance(wire, Mapping) else None
        if isinstance(entry, Mapping):
            entry_id = loose_int(entry.get("id"))
            wire = {**wire, "user_book": {**entry, "user_book_reads": reads.get(entry_id or 0, [])}}
        nested.append(wire)
    return nested, None
