"""One wanted run's work per book: present, add, fail with a retry time, unmonitor (W2-W4)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from bookrelay.connectors.bookshelf.api import BookshelfApi
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.rreading_glasses.api import RrgApi
from bookrelay.domain.models import Status
from bookrelay.domain.wanted import (
    UNMONITORED_REASON,
    AddTarget,
    AddToBookshelf,
    LedgerRow,
    LibraryBook,
    ShelfBook,
    UnmonitorRemoved,
    WorkMetadata,
    decide_after_lookup,
)
from bookrelay.errors import AuthError, BookrelayError, NotFound, QuotaExhausted, ServiceUnavailable
from bookrelay.store.models import WantedState
from bookrelay.sync import wanted_log
from bookrelay.sync.wanted_report import WantedReport, WantedRow, WantedSettings

log = logging.getLogger(__name__)


def ledger_of(store: Any, user_id: str) -> dict[int, LedgerRow]:
    return {
        row.hardcover_book_id: LedgerRow(
            book_id=row.hardcover_book_id,
            state=str(getattr(row.state, "value", row.state)),
            attempts=row.attempts or 0,
            next_retry_at=_aware(row.next_retry_at),
            reason=row.reason,
            bookshelf_book_id=row.bookshelf_book_id,
            title=row.title,
        )
        for row in store.wanted.list_for_user(user_id)
    }


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; the store writes UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def shelf_book(entry: Any) -> ShelfBook:
    book = getattr(entry, "book", None)
    return ShelfBook(
        entry.book_id, getattr(book, "title", "") or "", tuple(getattr(book, "authors", ()) or ())
    )


class BookRun:
    """One wanted run's collaborators, the library as it grows, and the report."""

    def __init__(
        self,
        *,
        bookshelf: BookshelfApi,
        metadata: RrgApi,
        store: Any,
        user_id: str,
        settings: WantedSettings,
        dry_run: bool,
        now: datetime,
        report: WantedReport,
        library: dict[str, LibraryBook],
        target: AddTarget | None,
    ) -> None:
        self.bookshelf, self.metadata, self.store = bookshelf, metadata, store
        self.user_id, self.settings, self.dry_run, self.now = user_id, settings, dry_run, now
        self.report, self.library, self.target = report, library, target
        self.outages = 0

    def row(self, book: ShelfBook, outcome: str, **fields: Any) -> WantedRow:
        row = WantedRow(book.book_id, book.title, outcome, **fields)
        self.report.rows.append(row)
        wanted_log.outcome(_name(book), outcome, row.reason, row.next_retry_at)
        return row

    def fail(self, action: AddToBookshelf, reason: str, meta: WorkMetadata | None) -> None:
        retry_at = self.now + self.settings.backoff(action.attempts + 1)
        if not self.dry_run:
            stored = self.store.wanted.mark_failed(
                self.user_id,
                action.book.book_id,
                reason,
                title=action.book.title or None,
                backoff=self.settings.backoff,
            )
            retry_at = _aware(stored.next_retry_at) or retry_at
        self.row(
            action.book, "failed", reason=reason, retried=action.retry, next_retry_at=retry_at, **_meta(meta)
        )

    async def present(
        self, book: ShelfBook, found: LibraryBook, *, retried: bool, meta: WorkMetadata | None
    ) -> None:
        outcome = "present"
        if not found.monitored:
            # W2 records it; it is on the shelf, so monitor it (an author refresh leaves books unmonitored).
            outcome = "would_monitor" if self.dry_run else "monitored"
            if not self.dry_run:
                await self.bookshelf.set_monitored([found.id], True)
                if self.settings.search_on_add:
                    await self.bookshelf.search_books([found.id])
                self.library[found.foreign_book_id] = LibraryBook(
                    found.id, found.foreign_book_id, found.title, True, found.foreign_edition_id
                )
        if not self.dry_run:
            self.store.wanted.record(
                self.user_id,
                book.book_id,
                WantedState.PRESENT,
                title=book.title or found.title,
                bookshelf_book_id=found.id,
            )
        self.row(
            book,
            outcome,
            retried=retried,
            bookshelf_book_id=found.id,
            foreign_book_id=found.foreign_book_id,
            **_meta(meta),
        )

    async def add(self, action: AddToBookshelf) -> None:
        book = action.book
        meta: WorkMetadata | None = None
        try:
            # Warm and resolve first: Bookshelf itself gives up on a cold work (ref B.3).
            wanted_log.resolving(_name(book))
            meta = await self.metadata.work(book.book_id)
            found = self.library.get(str(meta.canonical_id))
            if found is not None:
                await self.present(book, found, retried=action.retry, meta=meta)
                return
            candidate = await self.bookshelf.search_work(meta.canonical_id)
            if candidate is None:
                self.fail(action, f"Bookshelf found no book for work:{meta.canonical_id}", meta)
                return
            found = decide_after_lookup(candidate, self.library)
            if found is not None:
                await self.present(book, found, retried=action.retry, meta=meta)
                return
            if self.dry_run or self.target is None:
                self.row(
                    book,
                    "would_add",
                    retried=action.retry,
                    foreign_book_id=candidate.foreign_book_id,
                    **_meta(meta),
                )
                return
            library_id = await self.bookshelf.add_book(
                candidate, self.target, search=self.settings.search_on_add
            )
        except NotFound:
            self.outages = 0
            self.fail(action, f"unknown to rreading-glasses (work {book.book_id})", meta)
            return
        except (AuthError, QuotaExhausted):
            raise
        except ServiceUnavailable as exc:
            # A 500 is Bookshelf refusing this book (ref A.6), not an outage.
            outage = getattr(exc, "status", None) != 500
            self.outages = self.outages + 1 if outage else 0
            self.fail(action, f"unavailable: {exc}" if outage else str(exc), meta)
            return
        except BookrelayError as exc:
            self.outages = 0
            self.fail(action, str(exc), meta)
            return
        except Exception as exc:  # one odd answer fails its book, never the other books
            log.warning("wanted: unexpected error for %s", _name(book), exc_info=True)
            self.outages = 0
            self.fail(action, f"unexpected error ({exc.__class__.__name__}); see the log", meta)
            return
        self.outages = 0
        self.library[candidate.foreign_book_id] = LibraryBook(
            library_id, candidate.foreign_book_id, candidate.title, True, candidate.monitored_edition_id
        )
        self.store.wanted.record(
            self.user_id,
            book.book_id,
            WantedState.ADDED,
            title=book.title or candidate.title,
            bookshelf_book_id=library_id,
        )
        self.row(
            book,
            "added",
            retried=action.retry,
            bookshelf_book_id=library_id,
            foreign_book_id=candidate.foreign_book_id,
            **_meta(meta),
        )


def _name(book: ShelfBook) -> str:
    return wanted_log.book_name(book.title, book.authors, book.book_id)


def _meta(meta: WorkMetadata | None) -> dict[str, Any]:
    if meta is None:
        return {}
    return {"isbn13": meta.isbn13, "asin": meta.asin, "cover_url": meta.cover_url}


async def unmonitor(
    run: BookRun, hardcover: HardcoverApi, hc_user_id: int, removed: list[UnmonitorRemoved]
) -> None:
    entries = await hardcover.user_books_for_books(hc_user_id, [r.book_id for r in removed])
    status = {e.book_id: e.status for e in entries}
    for action in removed:
        book = ShelfBook(action.book_id, action.title or "")
        if status.get(action.book_id) in (Status.READ, Status.READING):
            run.row(book, "kept", reason=f"left the shelf as {status[action.book_id].name.lower()}")
            continue
        if run.dry_run:
            run.row(book, "would_unmonitor", bookshelf_book_id=action.bookshelf_book_id)
            continue
        await run.bookshelf.set_monitored([action.bookshelf_book_id], False)
        run.store.wanted.record(
            run.user_id,
            action.book_id,
            WantedState.ADDED,
            title=action.title,
            reason=UNMONITORED_REASON,
            bookshelf_book_id=action.bookshelf_book_id,
        )
        run.row(book, "unmonitored", bookshelf_book_id=action.bookshelf_book_id)
