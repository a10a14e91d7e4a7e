"""The ``wanted`` job: Hardcover Want to Read → Bookshelf, via rreading-glasses (W1-W4).

collect (the shelf in pages, Bookshelf's library, the ledger) → plan (:func:`plan_wanted`, pure) →
apply (per book: warm the metadata, a fresh ``work:`` lookup, add with one monitored edition) → record
(the ledger: added / present / failed with reason and next retry). ``dry_run`` reads but never writes,
neither to Bookshelf nor to the ledger.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bookrelay.connectors.bookshelf.api import BookshelfApi
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.rreading_glasses.api import RrgApi
from bookrelay.domain.wanted import (
    AddTarget,
    AlreadyDone,
    Deferred,
    RecordPresent,
    UnmonitorRemoved,
    WaitForRetry,
    choose_target,
    plan_wanted,
)
from bookrelay.errors import AuthError, BookrelayError, QuotaExhausted
from bookrelay.sync import wanted_log
from bookrelay.sync.wanted_books import BookRun, ledger_of, shelf_book, unmonitor
from bookrelay.sync.wanted_report import WantedReport, WantedRow, WantedSettings, retry_backoff

__all__ = ["OUTAGE_LIMIT", "WantedReport", "WantedRow", "WantedSettings", "retry_backoff", "run_wanted"]

log = logging.getLogger(__name__)

# After this many books in a row failed because a service was unreachable, the rest wait for next run.
OUTAGE_LIMIT = 3


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
        shelf = [shelf_book(e) for e in await hardcover.want_to_read(me.id, page_size=settings.page_size)]
        report.shelf_size = len(shelf)
        wanted_log.shelf_fetched(user_id, len(shelf))
        ledger = ledger_of(store, user_id)
        plan = plan_wanted(
            shelf, ledger, library, now=now, unmonitor_removed=settings.unmonitor_removed, limit=limit
        )
        run = BookRun(
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
            await unmonitor(run, hardcover, me.id, removed)
    except (QuotaExhausted, AuthError) as exc:
        report.stop(exc)
        if isinstance(exc, AuthError):
            wanted_log.run_failed(user_id, exc)
            raise
    except BookrelayError as exc:
        wanted_log.run_failed(user_id, exc)  # e.g. Bookshelf unreachable: the run fails, the log says why
        raise
    finally:
        report.units_spent = hardcover.session.budget.units_spent - units_before
        report.requests = {
            "hardcover": hardcover.session.budget.requests_sent - hc_requests_before,
            "bookshelf": bookshelf.requests_sent - counts_before[0],
            "rreading-glasses": metadata.requests_sent - counts_before[1],
        }
    wanted_log.finished(user_id, report.summary(), report.error)
    return report
