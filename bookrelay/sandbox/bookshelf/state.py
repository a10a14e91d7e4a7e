"""The fake Bookshelf's state: profiles, root folders, authors and books, and Readarr's add-book rules.

Rules (ref/bookshelf-rreading-glasses-audible.md A.3-A.6): lookups and adds go through the metadata
server (here the :class:`RrgState`, in-process); exactly one monitored edition is required and it must be
one the metadata server returns now (else 500); an unknown book is a 400 validation failure; the
metadata server down is a 503; posting a book that exists updates it; a new author's ``addOptions``
decide which of their books end up monitored when Bookshelf refreshes the author.
"""

from __future__ import annotations

import copy
import hmac
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bookrelay.sandbox.bookshelf.records import (
    RootFolder,
    load_settings,
    server_error,
    validation_error,
)
from bookrelay.sandbox.bookshelf.shapes import AuthorRow, BookRow, EditionRow, book_from_work
from bookrelay.sandbox.rreading_glasses.state import MetadataDown, RrgState

_PREFIXES = {"author", "work", "edition", "isbn", "asin"}


class BookshelfState:
    """Everything the fake Bookshelf remembers; one instance per sandbox (or per test)."""

    def __init__(
        self, section: dict[str, Any], *, metadata: RrgState, clock: Callable[[], float] = time.time
    ) -> None:
        self._section = copy.deepcopy(section)
        self.metadata = metadata
        self._clock = clock
        self._load()

    @classmethod
    def from_fixture(
        cls, section: dict[str, Any], *, metadata: RrgState, clock: Callable[[], float] = time.time
    ) -> BookshelfState:
        """Build the state from the ``bookshelf`` fixture section; ValueError names a bad key."""
        return cls(section, metadata=metadata, clock=clock)

    def _load(self) -> None:
        s = self._section
        self.api_key = str(s.get("api_key") or "bookshelf-sandbox-key")
        self.instance_name = str(s.get("instance_name") or "Bookshelf")
        self.quality_profiles, self.metadata_profiles, self.root_folders = load_settings(s)
        self.authors: dict[int, AuthorRow] = {}
        self.books: dict[int, BookRow] = {}
        self._next_id = {"author": 1, "book": 1, "edition": 1, "command": 1}
        self._failures: list[int] = []
        self.counters: Counter[str] = Counter()
        self.commands: list[dict[str, Any]] = []
        for i, entry in enumerate(s.get("library") or []):
            self._load_library_entry(entry, i)

    def _load_library_entry(self, entry: Any, index: int) -> None:
        if not isinstance(entry, dict) or not isinstance(entry.get("work_id"), int):
            raise ValueError(f"bookshelf fixture: library[{index}].work_id must be a Hardcover book id")
        canonical = self.metadata.canonical_id(entry["work_id"])
        if canonical is None:
            raise ValueError(f"bookshelf fixture: library[{index}].work_id is unknown to rreading_glasses")
        work = self.metadata.work_resource(
            self.metadata.works[canonical], self.metadata.works[canonical].editions
        )
        book = book_from_work(work)
        root = self.root_folders[0] if self.root_folders else None
        author = self._author_for(book.author, root=root, monitored=True)
        book.author = author
        book.monitored = bool(entry.get("monitored", True))
        self._store(book)

    # -- test controls ---------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Traffic counters: requests, writes (POST/PUT received), books_added, books_updated, searches, …"""
        base = {"requests": 0, "writes": 0, "books_added": 0, "books_updated": 0, "searches": 0}
        return {**base, **self.counters}

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able view of the library: books with their monitored flag and monitored editions."""
        return {
            "books": [
                {
                    "id": b.id,
                    "foreignBookId": b.foreign_book_id,
                    "title": b.title,
                    "monitored": b.monitored,
                    "monitoredEditions": [e.foreign_edition_id for e in b.editions if e.monitored],
                    "author": b.author.foreign_author_id,
                    "searchForNewBook": b.search_for_new_book,
                }
                for b in sorted(self.books.values(), key=lambda b: b.id)
            ],
            "authors": [
                {"id": a.id, "foreignAuthorId": a.foreign_author_id, "name": a.name, "monitored": a.monitored}
                for a in sorted(self.authors.values(), key=lambda a: a.id)
            ],
            "commands": copy.deepcopy(self.commands),
        }

    def reset(self) -> None:
        """Back to the fixture as loaded: library, counters and queued failures."""
        self._load()

    def fail_next(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` requests with ``status`` before doing anything else."""
        self._failures.extend([status] * count)

    def take_failure(self) -> int | None:
        """The status of the next injected failure, consumed; None when none is queued."""
        return self._failures.pop(0) if self._failures else None

    def key_ok(self, key: str | None) -> bool:
        """True when ``key`` is the instance's API key."""
        return bool(key) and hmac.compare_digest(str(key), self.api_key)

    def now_iso(self) -> str:
        """The fake clock as Readarr's UTC timestamp."""
        return datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- library ---------------------------------------------------------------------------------

    def _new_id(self, kind: str) -> int:
        value = self._next_id[kind]
        self._next_id[kind] += 1
        return value

    def _store(self, book: BookRow) -> BookRow:
        existing = self.book_by_foreign_id(book.foreign_book_id)
        if existing is not None:
            book.id = existing.id
            book.added = existing.added
        else:
            book.id = self._new_id("book")
            book.added = self.now_iso()
        for edition in book.editions:
            edition.book_id = book.id
            if not edition.id:
                edition.id = self._new_id("edition")
        self.books[book.id] = book
        return book

    def book_by_foreign_id(self, foreign_book_id: str) -> BookRow | None:
        """The library's book with this foreign (Hardcover) id, or None."""
        return next((b for b in self.books.values() if b.foreign_book_id == foreign_book_id), None)

    def author_by_foreign_id(self, foreign_author_id: str) -> AuthorRow | None:
        """The library's author with this foreign (Hardcover) id, or None."""
        return next((a for a in self.authors.values() if a.foreign_author_id == foreign_author_id), None)

    def _author_for(self, meta: AuthorRow, *, root: RootFolder | None, monitored: bool) -> AuthorRow:
        existing = self.author_by_foreign_id(meta.foreign_author_id)
        if existing is not None:
            return existing
        author = copy.copy(meta)
        author.id = self._new_id("author")
        author.monitored = monitored
        author.added = self.now_iso()
        if root is not None:
            author.root_folder_path = root.path
            author.path = f"{root.path.rstrip('/')}/{author.name}"
            author.quality_profile_id = root.default_quality_profile_id
            author.metadata_profile_id = root.default_metadata_profile_id
        self.authors[author.id] = author
        return author

    # -- metadata-backed operations --------------------------------------------------------------

    def _work(self, work_id: int) -> dict[str, Any] | None:
        try:
            return self.metadata.fetch_work(work_id, upstream=True)
        except MetadataDown:
            raise server_error(
                503, "Search for 'work' failed. Unable to communicate with the metadata server."
            ) from None

    def search(self, term: str) -> list[BookRow]:
        """``SearchForNewEntity``: resolve ``term`` through the metadata server into lookup books."""
        lower = term.lower()  # the whole term is lower-cased before it reaches the metadata server
        split = lower.split(":")
        books: list[BookRow] = []
        if len(split) == 2 and split[0] in _PREFIXES:
            prefix, slug = split[0], split[1].strip()
            if not slug or any(ch.isspace() for ch in slug):
                return []
            if prefix in {"isbn", "asin"}:
                return self._text_search(slug)
            if not slug.isdigit():
                return []
            number = int(slug)
            if prefix == "work":
                work = self._work(number)
                books = [book_from_work(work)] if work else []
            elif prefix == "edition":
                work_id = self.metadata.work_of_edition(number)
                work = self._work(work_id) if work_id else None
                books = [book_from_work(work)] if work else []
            else:
                books = self._author_books(number)
            return [self._with_db_fields(b) for b in books]
        return self._text_search(lower)

    def _author_books(self, author_id: int) -> list[BookRow]:
        try:
            answer = self.metadata.fetch_author(author_id, upstream=True)
        except MetadataDown:
            raise server_error(503, "Unable to communicate with the metadata server.") from None
        return [book_from_work(w) for w in (answer or {}).get("Works") or []]

    def _text_search(self, query: str) -> list[BookRow]:
        try:
            hits = self.metadata.search(query, upstream=True)
        except MetadataDown:
            raise server_error(503, "Unable to communicate with the metadata server.") from None
        books = []
        for hit in hits:
            work = self._work(int(hit["workId"]))
            if work:
                books.append(self._with_db_fields(book_from_work(work)))
        return books

    def _with_db_fields(self, book: BookRow) -> BookRow:
        # AddDbIds / UseDbFieldsFrom: a book already in the library answers with its id and flags.
        existing = self.book_by_foreign_id(book.foreign_book_id)
        if existing is not None:
            book.id = existing.id
            book.monitored = existing.monitored
            book.added = existing.added
        author = self.author_by_foreign_id(book.author.foreign_author_id)
        if author is not None:
            book.author = author
        return book

    def add_book(self, payload: Any) -> BookRow:
        """``POST /api/v1/book`` with AddBookService's rules; raises :class:`ApiError` like Readarr."""
        if not isinstance(payload, dict):
            raise validation_error("", "A non-empty request body is required.")
        foreign_book_id = str(payload.get("foreignBookId") or "")
        author_in = payload.get("author")
        if not isinstance(author_in, dict):
            raise server_error(500, "Object reference not set to an instance of an object.")
        if not foreign_book_id:
            raise validation_error("ForeignBookId", "'Foreign Book Id' must not be empty.")
        if not str(author_in.get("foreignAuthorId") or ""):
            raise validation_error("Author.ForeignAuthorId", "'Foreign Author Id' must not be empty.")
        quality = author_in.get("qualityProfileId", 0)
        if quality and all(p.id != quality for p in self.quality_profiles):
            raise validation_error("QualityProfileId", "Quality Profile does not exist", quality)
        meta_profile = author_in.get("metadataProfileId", 0)
        if meta_profile and all(p.id != meta_profile for p in self.metadata_profiles):
            raise validation_error("MetadataProfileId", "Metadata Profile does not exist", meta_profile)
        root_path = author_in.get("rootFolderPath")
        if not author_in.get("path") and not (isinstance(root_path, str) and root_path.startswith("/")):
            raise validation_error("RootFolderPath", "Invalid Path", root_path)
        editions = payload.get("editions") or []
        monitored = [e for e in editions if isinstance(e, dict) and e.get("monitored") is True]
        if len(monitored) != 1:
            # editions.Single(x => x.Monitored)
            which = "no" if not monitored else "more than one"
            raise server_error(500, f"Sequence contains {which} matching element")
        edition_id = str(monitored[0].get("foreignEditionId") or "")
        if not foreign_book_id.isdigit():
            raise validation_error("ForeignBookId", "A book with this ID was not found", foreign_book_id)
        work = self._work(int(foreign_book_id))
        if work is None:
            raise validation_error("ForeignBookId", "A book with this ID was not found", foreign_book_id)
        book = book_from_work(work)
        if all(e.foreign_edition_id != edition_id for e in book.editions):
            raise server_error(500, "Sequence contains no matching element")
        for edition in book.editions:
            edition.monitored = edition.foreign_edition_id == edition_id
            edition.manual_add = edition.monitored
        return self._commit_add(book, payload, author_in)

    def _commit_add(self, book: BookRow, payload: dict[str, Any], author_in: dict[str, Any]) -> BookRow:
        existing_author = self.author_by_foreign_id(book.author.foreign_author_id)
        if existing_author is None:
            author = copy.copy(book.author)
            author.id = self._new_id("author")
            author.quality_profile_id = int(author_in.get("qualityProfileId") or 0)
            author.metadata_profile_id = int(author_in.get("metadataProfileId") or 0)
            author.root_folder_path = author_in.get("rootFolderPath")
            author.path = author_in.get("path") or f"{str(author.root_folder_path).rstrip('/')}/{author.name}"
            author.monitored = bool(author_in.get("monitored", True))
            author.monitor_new_items = str(author_in.get("monitorNewItems") or "all")
            author.tags = [int(t) for t in author_in.get("tags") or []]
            author.added = self.now_iso()
            self.authors[author.id] = author
        else:
            author = existing_author
        book.author = author
        book.monitored = bool(payload.get("monitored", True))
        book.any_edition_ok = bool(payload.get("anyEditionOk", True))
        book.add_type = "manual"
        options = payload.get("addOptions") or {}
        book.search_for_new_book = bool(options.get("searchForNewBook", False))
        updated = self.book_by_foreign_id(book.foreign_book_id) is not None
        self._store(book)
        self.counters["books_updated" if updated else "books_added"] += 1
        if book.search_for_new_book and book.monitored:
            self.counters["searches"] += 1
        if existing_author is None:
            self._refresh_new_author(author, author_in.get("addOptions") or {})
        return book

    def _refresh_new_author(self, author: AuthorRow, options: dict[str, Any]) -> None:
        """RefreshAuthor for a newly added author: bring in their other books, monitored per addOptions."""
        for work in self.metadata.works_by_author(int(author.foreign_author_id)):
            if self.book_by_foreign_id(str(work.id)) is None:
                other = book_from_work(self.metadata.work_resource(work, work.editions[:20]))
                other.author = author
                self._store(other)
        to_monitor = {str(x) for x in options.get("booksToMonitor") or []}
        monitor = options.get("monitor", "all")  # C# default(MonitorTypes) is All
        if monitor == "none" and not to_monitor:
            author.monitored = False
        for book in self.books.values():
            if book.author.id != author.id:
                continue
            if to_monitor:
                book.monitored = book.foreign_book_id in to_monitor
            elif monitor == "none":
                book.monitored = False
            elif monitor in {"all", "missing", "existing"}:
                book.monitored = True

    def set_monitored(self, book_ids: list[int], monitored: bool) -> list[BookRow]:
        """``PUT /api/v1/book/monitor``; unknown ids are ignored, as Readarr does."""
        changed = [self.books[i] for i in book_ids if i in self.books]
        for book in changed:
            book.monitored = monitored
        return changed

    def queue_command(self, body: Any) -> dict[str, Any]:
        """``POST /api/v1/command``: record a command (``BookSearch`` counts as a search)."""
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise validation_error("Name", "'Name' must not be empty.")
        command = {"id": self._new_id("command"), "name": body["name"], "body": copy.deepcopy(body)}
        if body["name"] == "BookSearch":
            self.counters["searches"] += len(body.get("bookIds") or [])
        self.commands.append(command)
        return command

    def edition_rows(self, book_ids: list[int]) -> list[EditionRow]:
        """Every edition of the given library books."""
        return [e for i in book_ids if i in self.books for e in self.books[i].editions]
