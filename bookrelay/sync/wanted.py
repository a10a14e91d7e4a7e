"""The ``wanted`` job: Hardcover Want to Read → Bookshelf, via rreading-glasses (W1-W4).

collect (the shelf in pages, Bookshelf's library, the ledger) → plan (:func:`plan_wanted`, pure) →
apply (per book: warm the metadata, a fresh ``work:`` lookup, add with one monitored edition) → record
(the ledger: added / present / failed with reason and next retry). ``dry_run`` reads but never writes,
neither to Bookshelf nor to the ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bookrelay.connectors.bookshelf.api import BookshelfApi
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.rreading_glasses.api import RrgApi
from bookrelay.domain.models import Status
from bookrelay.domain.wanted import (
    UNMONITORED_REASON,
    AddTarget,
    AddToBookshelf,
    AlreadyDone,
    Deferred,
    LedgerRow,
    LibraryBook,
    RecordPresent,
    ShelfBook,
    UnmonitorRemoved,
    WaitForRetry,
    WorkMetadata,
    choose_target,
    decide_after_lookup,
    plan_wanted,
)
from bookrelay.errors import (
    AuthError,
    BookrelayError,
    NotFound,
    QuotaExhausted,
    ServiceUnavailable,
    kind_of,
)
from bookrelay.store.models import WantedState
from bookrelay.sync import wanted_log

log = logging.getLogger(__name__)

# After this many books in a row failed because a service was unreachable, the rest wait for next run.
OUTAGE_LIMIT = 3


def retry_backoff(attempts: int) -> timedelta:
    """1 hour after the first failure, doubling with each further one, at most 7 days (W4)."""
    return min(timedelta(hours=2 ** max(attempts - 1, 0)), timedelta(days=7))


@dataclass(frozen=True, slots=True)
class WantedSettings:
    """The job's settings; root folder and profiles by id, name (or path), unset → the folder's defaults."""

    root_folder: int | str | None = None
    quality_profile: int | str | None = None
    metadata_profile: int | str | None = None
    search_on_add: bool = True
    unmonitor_removed: bool = False
    page_size: int = 100
    backoff: Callable[[int], timedelta] = retry_backoff

    @classmethod
    def from_config(cls, bookshelf: Any, *, unmonitor_removed: bool = False) -> WantedSettings:
        """From ``config.global_.bookshelf`` (:class:`bookrelay.config.models.BookshelfSettings`)."""
        return cls(
            root_folder=bookshelf.root_folder,
            quality_profile=bookshelf.quality_profile,
            metadata_profile=bookshelf.metadata_profile,
            search_on_add=bookshelf.search_on_add,
            unmonitor_removed=getattr(bookshelf, "unmonitor_removed", unmonitor_removed),
        )


@dataclass(slots=True)
class WantedRow:
    """What happened to one book; ``outcome`` is added, present, monitored, failed, waiting, done,
    deferred, unmonitored, kept or (dry run) would_add / would_monitor / would_unmonitor."""

    hardcover_book_id: int
    title: str
    outcome: str
    reason: str | None = None
    retried: bool = False
    bookshelf_book_id: int | None = None
    foreign_book_id: str | None = None
    isbn13: str | None = None
    asin: str | None = None
    cover_url: str | None = None
    next_retry_at: datetime | None = None


@dataclass(slots=True)
class WantedReport:
    """The run summary: per-book rows, Hardcover units, requests per service."""

    dry_run: bool
    shelf_size: int = 0
    rows: list[WantedRow] = field(default_factory=list)
    hardcover_units: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None  # why the run ended early (quota, auth), if it did
    # The error class that ended it (QuotaExhausted, AuthError): the queue's retry rule reads it.
    stopped_kind: str | None = None

    def with_outcome(self, *outcomes: str) -> list[WantedRow]:
        """The rows with one of these outcomes."""
        return [r for r in self.rows if r.outcome in outcomes]

    def counts(self) -> dict[str, int]:
        """How many rows per outcome."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.outcome] = counts.get(row.outcome, 0) + 1
        return counts

    @property
    def retried(self) -> list[WantedRow]:
        """Rows of books whose earlier attempt had failed."""
        return [r for r in self.rows if r.retried]

    def summary(self) -> str:
        """One line for the CLI and the logs."""
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts().items())) or "nothing"
        calls = ", ".join(f"{k} {v}" for k, v in self.requests.items())
        mode = "dry run: " if self.dry_run else ""
        units = self.hardcover_units
        return f"{mode}{self.shelf_size} on the shelf: {counts}; Hardcover units {units}; requests: {calls}"


def _ledger(store: Any, user_id: str) -> dict[int, LedgerRow]:
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


def _shelf_book(entry: Any) -> ShelfBook:
    book = getattr(entry, "book", None)
    return ShelfBook(
        entry.book_id, getattr(book, "title", "") or "", tuple(getattr(book, "authors", ()) or ())
    )


class _Run:
    """One run's collaborators and its growing report."""

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


async def _unmonitor(
    run: _Run, hardcover: HardcoverApi, hc_user_id: int, removed: list[UnmonitorRemoved]
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


async def run_wanted(
    *,
    hardcover: HardcoverApi,
    bookshelf: BookshelfApi,
    metadata: RrgApi,
    store: Any,
    user_id: str,
    settings: WantedSettings,
    dry_run: bool,
    limit: int | None,
    now: datetime,
) -> WantedReport:
    """Send the user's Want to Read books to Bookshelf once each (W1-W4) and report what happened;
    ``limit`` caps the books looked up and added in this run, ``dry_run`` writes nothing anywhere."""
    report = WantedReport(dry_run=dry_run)
    units_before = hardcover.session.budget.units_spent
    hc_requests_before = hardcover.session.budget.requests_sent
    counts_before = (bookshelf.requests_sent, metadata.requests_sent)
    try:
        await bookshelf.system_status()  # fails fast on a wrong URL or key (N4)
        target: AddTarget | None = choose_target(
            await bookshelf.root_folders(),
            await bookshelf.quality_profiles(),
            await bookshelf.metadata_profiles(),
            root_folder=settings.root_folder,
            quality_profile=settings.quality_profile,
            metadata_profile=settings.metadata_profile,
        )
        library = {b.foreign_book_id: b for b in await bookshelf.books()}
        wanted_log.fetching_shelf(user_id)
        me = await hardcover.me()
        shelf = [_shelf_book(e) for e in await hardcover.want_to_read(me.id, page_size=settings.page_size)]
        report.shelf_size = len(shelf)
        wanted_log.shelf_fetched(user_id, len(shelf))
        ledger = _ledger(store, user_id)
        plan = plan_wanted(
            shelf, ledger, library, now=now, unmonitor_removed=settings.unmonitor_removed, limit=limit
        )
        run = _Run(
            bookshelf=bookshelf,
            metadata=metadata,
            store=store,
            user_id=user_id,
            settings=settings,
            dry_run=dry_run,
            now=now,
            report=report,
            library=library,
            target=target,
        )
        removed: list[UnmonitorRemoved] = []
        for action in plan.actions:
            if isinstance(action, AlreadyDone):
                run.row(action.book, "done", bookshelf_book_id=action.bookshelf_book_id)
            elif isinstance(action, RecordPresent):
                await run.present(action.book, action.library_book, retried=False, meta=None)
            elif isinstance(action, WaitForRetry):
                run.row(action.book, "waiting", reason=action.reason, next_retry_at=action.next_retry_at)
            elif isinstance(action, Deferred):
                run.row(action.book, "deferred", reason="over this run's limit")
            elif isinstance(action, UnmonitorRemoved):
                removed.append(action)
            elif run.outages >= OUTAGE_LIMIT:
                # The service is down: trying the rest now would only spend their retries.
                run.row(
                    action.book,
                    "deferred",
                    reason="a service is unavailable; tried next run",
                    retried=action.retry,
                )
            else:
                await run.add(action)
        if removed:
            await _unmonitor(run, hardcover, me.id, removed)
    except (QuotaExhausted, AuthError) as exc:
        report.stopped, report.stopped_kind = str(exc), kind_of(exc)
        if isinstance(exc, AuthError):
            wanted_log.run_failed(user_id, exc)
            raise
    except BookrelayError as exc:
        wanted_log.run_failed(user_id, exc)  # e.g. Bookshelf unreachable: the run fails, the log says why
        raise
    finally:
        report.hardcover_units = hardcover.session.budget.units_spent - units_before
        report.requests = {
            "hardcover": hardcover.session.budget.requests_sent - hc_requests_before,
            "bookshelf": bookshelf.requests_sent - counts_before[0],
            "rreading-glasses": metadata.requests_sent - counts_before[1],
        }
    wanted_log.finished(user_id, report.summary(), report.stopped)
    return report
