"""Hardcover operations bookrelay uses, one method each, over a :class:`HardcoverSession`.

Reference: ref/hardcover.md (§4 data model, §5 mutations, §6 side effects, §7 working GraphQL);
upstream docs https://docs.hardcover.app/api/getting-started/ and the schema in ref/hardcover/schema.json.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bookrelay.connectors.hardcover import documents as docs
from bookrelay.connectors.hardcover import flat_documents as flat_docs
from bookrelay.connectors.hardcover import mapper
from bookrelay.connectors.hardcover.depth import SERVERS, DepthMemory
from bookrelay.connectors.hardcover.documents import WriteKind
from bookrelay.connectors.hardcover.flat_reads import (
    book_ids_by_title,
    book_rows,
    deep_or_flat,
    editions_with_books,
    nest_entry_rows,
    read_entry_pages,
    with_reads,
)
from bookrelay.connectors.hardcover.session import HardcoverSession, UnreadableWriteAnswer
from bookrelay.connectors.hardcover.shape_log import ShapeLog
from bookrelay.connectors.hardcover.writes import WriteOp, WriteResult, write_result
from bookrelay.domain.models import Book, Edition, HardcoverUser, Read, SearchHit, Status, UserBook
from bookrelay.errors import BadResponse

SERVICE = "hardcover"

__all__ = ["CatalogueHits", "HardcoverApi", "WriteOp", "WriteResult"]


@dataclass(frozen=True, slots=True)
class CatalogueHits:
    """Editions found by identifier (most used first) and the books they belong to."""

    editions: list[Edition] = field(default_factory=list)
    books: dict[int, Book] = field(default_factory=dict)

    def book_for(self, edition: Edition) -> Book | None:
        """The book of ``edition``, when the answer carried it."""
        return self.books.get(edition.book_id)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    if size < 1:
        raise ValueError("batch size must be at least 1")
    return [items[i : i + size] for i in range(0, len(items), size)]


def _unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v not in (None, "")))


class HardcoverApi:
    """Hardcover operations returning domain objects; all HTTP policy lives in the session."""

    def __init__(self, session: HardcoverSession, depth: DepthMemory | None = None) -> None:
        self.session = session
        # Servers that limit query depth get the depth-3 forms (shared by the whole process by default).
        self.depth = SERVERS if depth is None else depth
        # Odd fields forgiven and malformed rows set aside in read answers (S3); a job resets it per run.
        self.shapes = ShapeLog()

    # -- reads ------------------------------------------------------------------------------------

    async def me(self) -> HardcoverUser:
        """The token's owner (``me`` is a list: ``data.me[0]``); ref §4 ``me``, §7 "Me / user id"."""
        data = await self.session.execute(docs.ME)
        return mapper.map_me(data["me"])

    async def shelf(
        self, user_id: int, *, statuses: Iterable[Status] | None = None, page_size: int = 100
    ) -> list[UserBook]:
        """All the user's library entries (book, edition, reads newest first), paged by id; ref §7 shelf."""
        status_ids = sorted({int(s) for s in statuses}) if statuses is not None else None
        with_statuses = status_ids is not None
        documents = (docs.shelf_document(with_statuses), flat_docs.flat_shelf_document(with_statuses))
        variables: dict[str, Any] = {"userId": user_id}
        if status_ids is not None:
            variables["statuses"] = status_ids
        return await read_entry_pages(self.session, self.depth, self.shapes, documents, variables, page_size)

    async def want_to_read(self, user_id: int, page_size: int = 100) -> list[UserBook]:
        """The Want to Read shelf (status 1), paged (W1); ref §7 "Want-to-read list, paginated"."""
        return await self.shelf(user_id, statuses=[Status.WANT_TO_READ], page_size=page_size)

    async def user_books_for_books(
        self, user_id: int, book_ids: Iterable[int], *, batch: int = 100
    ) -> list[UserBook]:
        """The user's entries for these books, one ``_in`` query per batch (N5); ref §7 UserBooksForBooks."""
        chunks = _chunks(_unique(book_ids), batch)

        async def read(flat_form: bool) -> list[UserBook]:
            entries: list[UserBook] = []
            document = flat_docs.FLAT_USER_BOOKS_FOR_BOOKS if flat_form else docs.USER_BOOKS_FOR_BOOKS
            for chunk in chunks:
                data = await self.session.execute(document, {"userId": user_id, "bookIds": list(chunk)})
                rows = data["user_books"]
                if flat_form:
                    rows = await nest_entry_rows(self.session, rows, "user_books", self.shapes)
                entries.extend(mapper.map_user_books(rows, "user_books", self.shapes))
            return entries

        return await deep_or_flat(self.session, self.depth, lambda: read(False), lambda: read(True))

    async def editions_by_identifiers(
        self,
        isbn13s: Iterable[str] = (),
        isbn10s: Iterable[str] = (),
        asins: Iterable[str] = (),
        *,
        batch: int = 100,
    ) -> CatalogueHits:
        """Editions matching any identifier, each with its book; ``_in`` batches packed ≤5 a request (N5).

        ref §7 "Editions by ISBN/ASIN in batch". Identifiers are sent as given: normalising them is M3's job.
        """
        lists = [_chunks(_unique(values), batch) for values in (isbn13s, isbn10s, asins)]
        count = max(len(chunks) for chunks in lists)
        batches = [[list(chunks[i]) if i < len(chunks) else [] for chunks in lists] for i in range(count)]
        groups = _chunks(batches, self.session.max_top_level)

        async def read(flat_form: bool) -> CatalogueHits:
            hits = CatalogueHits()
            seen: set[int] = set()
            for group in groups:
                variables: dict[str, Any] = {}
                for i, (isbn13, isbn10, asin) in enumerate(group):
                    alias = docs.batch_alias(i)
                    variables.update(
                        {f"{alias}_isbn13": isbn13, f"{alias}_isbn10": isbn10, f"{alias}_asin": asin}
                    )
                document = docs.editions_document(len(group), with_books=not flat_form)
                data = await self.session.execute(document, variables)
                aliases = [docs.batch_alias(i) for i in range(len(group))]
                if flat_form:
                    data = {
                        **data,
                        **await editions_with_books(self.session, self.shapes, {a: data[a] for a in aliases}),
                    }
                for alias in aliases:
                    editions, books = mapper.map_editions_with_books(
                        data[alias], f"editions[{alias}]", self.shapes
                    )
                    hits.editions.extend(e for e in editions if e.id not in seen)
                    seen.update(e.id for e in editions)
                    hits.books.update({b.id: b for b in books if b.id not in hits.books})
            return hits

        return await deep_or_flat(self.session, self.depth, lambda: read(False), lambda: read(True))

    async def books_by_ids(self, ids: Iterable[int], *, batch: int = 100) -> list[Book]:
        """Books by id with their editions, in the order asked; missing ids are left out (M2 checks).

        Hydrates search hits (ref §7 "Search fallback"); ``_in`` batches packed ≤5 a request (N5).
        """
        wanted = _unique(ids)
        found = await self._books(docs.books_document, "ids", wanted, batch)
        return [found[i] for i in wanted if i in found]

    async def books_by_titles(self, titles: Iterable[str], *, batch: int = 100) -> list[Book]:
        """Books whose title is exactly one of ``titles`` (with their editions), most read first.

        ``_in`` batches packed ≤5 a request (N5): the cheap first try before one ``search`` per item (M4).
        """
        return list(
            (await self._books(docs.books_by_title_document, "titles", _unique(titles), batch)).values()
        )

    async def _books(
        self, document: Callable[[int], str], variable: str, values: list[Any], batch: int
    ) -> dict[int, Book]:
        """Books from ``_in`` batches of ``values``, ``max_top_level`` aliased batches a request."""
        groups = _chunks(_chunks(values, batch), self.session.max_top_level)

        async def deep() -> dict[int, Book]:
            found: dict[int, Book] = {}
            for group in groups:
                variables = {f"{docs.batch_alias(i)}_{variable}": list(c) for i, c in enumerate(group)}
                data = await self.session.execute(document(len(group)), variables)
                for i in range(len(group)):
                    for book in self._book_list(data, docs.batch_alias(i)):
                        found.setdefault(book.id, book)
            return found

        async def flat_form() -> dict[int, Book]:
            ids = values if variable == "ids" else await book_ids_by_title(self.session, groups)
            rows = await book_rows(self.session, self.shapes, ids)
            ordered = [rows[i] for i in ids if i in rows]
            return {book.id: book for book in mapper.map_books(ordered, "books", self.shapes)}

        return await deep_or_flat(self.session, self.depth, deep, flat_form)

    def _book_list(self, data: Mapping[str, Any], alias: str) -> list[Book]:
        rows = data[alias] if isinstance(data[alias], list) else None
        if rows is None:
            raise BadResponse(f"books[{alias}]: expected a list", service=SERVICE)
        return mapper.map_books(rows, f"books[{alias}]", self.shapes)

    async def search_books(self, query: str, per_page: int = 10) -> list[SearchHit]:
        """Book ``search`` (Typesense) hits in rank order; one per request (N1); ref §4 ``search``, M4."""
        if not query.strip():
            raise ValueError("search_books: empty query")
        data = await self.session.execute(docs.SEARCH_BOOKS, {"query": query, "perPage": per_page})
        return mapper.map_search(data["search"], shapes=self.shapes)

    # -- writes -----------------------------------------------------------------------------------

    async def insert_user_book(
        self, book_id: int, status: Status, edition_id: int | None = None, **fields: Any
    ) -> UserBook:
        """Add a book to the library; the answer carries the reads Hardcover created itself (P11, ref §6)."""
        return await self._one_user_book(WriteOp.insert_user_book(book_id, status, edition_id, **fields))

    async def update_user_book(self, user_book_id: int, **fields: Any) -> UserBook:
        """Change a library entry (``status=``, ``edition_id=``, ``rating=``…); returns it with its reads."""
        return await self._one_user_book(WriteOp.update_user_book(user_book_id, **fields))

    async def insert_user_book_read(self, user_book_id: int, read_fields: Mapping[str, Any]) -> Read:
        """Add a read-through to an entry (only when no open read exists, P11); ref §5, §7."""
        return await self._one_read(WriteOp.insert_user_book_read(user_book_id, read_fields))

    async def update_user_book_read(self, read_id: int, read_fields: Mapping[str, Any]) -> Read:
        """Update a read: progress, dates, edition; omitted keys keep, None clears (ref §6.3)."""
        return await self._one_read(WriteOp.update_user_book_read(read_id, read_fields))

    async def run_writes(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Send ``ops`` packed ``max_top_level`` a request (N5); one op's ``error`` hides no other's success.

        A request-level failure (auth, quota, an ambiguous write) raises; ops of earlier requests were
        applied, so the caller re-reads Hardcover before retrying (P11).
        """
        sent: list[tuple[WriteOp, Any, int]] = []  # (op, its answer, its index in its request)
        flat_ops: list[int] = []  # positions in ``sent`` answered by the flat form, reads still to read
        for group in _chunks(list(ops), self.session.max_top_level):
            variables: dict[str, Any] = {}
            for i, op in enumerate(group):
                variables.update(
                    {docs.write_variable(i, name): value for name, value in op.arguments.items()}
                )
            kinds = [op.kind for op in group]

            async def deep(kinds: list[WriteKind] = kinds, variables: dict[str, Any] = variables) -> Any:
                return await self.session.execute(
                    docs.write_document(kinds), variables, write=True, partial=True
                ), False

            async def flat_form(kinds: list[WriteKind] = kinds, variables: dict[str, Any] = variables) -> Any:
                return await self.session.execute(
                    flat_docs.flat_write_document(kinds), variables, write=True, partial=True
                ), True

            data, flat_used = await deep_or_flat(self.session, self.depth, deep, flat_form)
            if flat_used:
                flat_ops.extend(range(len(sent), len(sent) + len(group)))
            sent.extend((op, data.get(docs.write_alias(i)), i) for i, op in enumerate(group))
        unread: str | None = None
        if flat_ops:
            # The written entries' reads, a hundred entries a query after all the writes (P11): the flat
            # form cannot select them in the mutation's own answer.
            answers, unread = await with_reads(
                self.session, [sent[k][0] for k in flat_ops], [sent[k][1] for k in flat_ops]
            )
            for k, answer in zip(flat_ops, answers, strict=True):
                sent[k] = (sent[k][0], answer, sent[k][2])
        results: list[WriteResult] = []
        for position, (op, wire, i) in enumerate(sent):
            result = write_result(op, wire, i)
            if unread is not None and position in flat_ops and result.ok and result.user_book is not None:
                # Written, but its reads are unknown: P11 needs them, so re-read before acting on it.
                result = WriteResult(op, ok=False, id=result.id, error=unread, outcome_unknown=True)
            results.append(result)
        return results

    async def _one(self, op: WriteOp) -> WriteResult:
        result = (await self.run_writes([op]))[0]
        if not result.ok:
            failure = UnreadableWriteAnswer if result.outcome_unknown else BadResponse
            raise failure(f"{op.kind} failed: {result.error}", service=SERVICE)
        return result

    async def _one_user_book(self, op: WriteOp) -> UserBook:
        result = await self._one(op)
        assert result.user_book is not None  # write_result guarantees it for an ok user_book write
        return result.user_book

    async def _one_read(self, op: WriteOp) -> Read:
        result = await self._one(op)
        assert result.read is not None
        return result.read
