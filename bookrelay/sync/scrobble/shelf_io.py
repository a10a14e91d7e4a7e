"""Shelf export (Hardcover → a Goodreads-compatible CSV or JSON) and import (a Goodreads or StoryGraph CSV →
Hardcover statuses, ratings, dates and reads), matched by the same pipeline as the progress job.

Export carries the features that flow from Hardcover, import writes the ones that flow to it (S10).
Import is a dry run unless ``apply``; it never overwrites what Hardcover already holds (S16: a file has
no time of change to compare), it adds what is missing and reports the differences; doubtful matches
become conflicts (M3, M4). Writes are packed five to a request (N5) and reads Hardcover creates by
itself are adopted from the answers (P11).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from bookrelay.connectors.hardcover.api import HardcoverApi, WriteOp
from bookrelay.connectors.hardcover.lists import HardcoverLists
from bookrelay.domain.directions import Directions, Feature
from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.models import MediaKind, Source, SourceItem, SourceProgress, Status, UserBook
from bookrelay.domain.shelves import ShelfRow, blank_features, is_audio_binding
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.pipeline import Resolver
from bookrelay.matching.resolution import Shelf
from bookrelay.store.facade import Store

OWNED_LIST = "Owned"
CONFLICT_SOURCE = "import"


def _carried(directions: Directions, *, out: bool) -> list[str]:
    features = (Feature.STATUS, Feature.RATING, Feature.DATES, Feature.OWNED, Feature.LISTS)
    return [
        f.value
        for f in features
        if (directions.of(f).from_hardcover if out else directions.of(f).to_hardcover)
    ]


def row_of(entry: UserBook, shelves: tuple[str, ...]) -> ShelfRow:
    """A shelf entry as a file row: newest finish, newest start, finished reads counted."""
    book, edition = entry.book, entry.edition
    finished = [r for r in entry.reads if r.finished_at is not None]
    return ShelfRow(
        title=book.title if book else f"book {entry.book_id}",
        authors=book.authors if book else (),
        isbn=edition.isbn_10 if edition else None,
        isbn13=edition.isbn_13 if edition else None,
        status=entry.status,
        rating=entry.rating,
        date_added=entry.date_added,
        date_started=entry.reads[0].started_at if entry.reads else None,
        date_read=finished[0].finished_at if finished else None,
        read_count=len(finished),
        shelves=shelves,
        owned_copies=1 if entry.owned else 0,
        binding=edition.edition_format if edition else None,
        hardcover_book_id=entry.book_id,
    )


async def export_rows(
    hardcover: HardcoverApi, lists: HardcoverLists, directions: Directions
) -> list[ShelfRow]:
    """The user's whole shelf as rows, in shelf order, features that do not flow out left blank."""
    me = await hardcover.me()
    keep = _carried(directions, out=True)
    entries = await lists.export_shelf(me.id)
    shelves: dict[int, list[str]] = {}
    if "lists" in keep:
        for lst in await lists.lists(me.id):
            if lst.name != OWNED_LIST:
                for book_id in lst.book_ids:
                    shelves.setdefault(book_id, []).append(lst.name)
    return [blank_features(row_of(e, tuple(shelves.get(e.book_id, ()))), keep) for e in entries]


@dataclass(frozen=True, slots=True)
class RowPlan:
    """What importing one row does: a new entry, fills of an existing one, dates for its read, notes."""

    insert: dict[str, Any] | None = None
    update: dict[str, Any] = field(default_factory=dict)
    read: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def plan_row(row: ShelfRow, existing: UserBook | None, keep: list[str]) -> RowPlan:
    """S16: a new entry gets the file's status, rating and dates; an existing one only what it lacks."""
    if existing is None:
        if row.status is None or "status" not in keep:
            return RowPlan(notes=("not on Hardcover and no status may be written (directions.status)",))
        insert: dict[str, Any] = {"status": row.status}
        if row.rating is not None and "rating" in keep:
            insert["rating"] = row.rating
        read: dict[str, Any] = {}
        if "dates" in keep:
            if row.date_added:
                insert["date_added"] = row.date_added
            if row.date_started:
                read["started_at"] = row.date_started
            if row.status is Status.READ:
                # Status Read makes Hardcover date a read "today" (ref §6.1): set the real day, or clear it.
                read["finished_at"] = row.date_read
        return RowPlan(insert=insert, read=read)
    notes: list[str] = []
    update: dict[str, Any] = {}
    if row.status is not None and row.status is not existing.status:
        notes.append(
            f"status on Hardcover is {existing.status.name.lower()}, "
            f"the file says {row.status.name.lower()}: kept"
        )
    if row.rating is not None and "rating" in keep:
        if existing.rating is None:
            update["rating"] = row.rating
        elif existing.rating != row.rating:
            notes.append(f"rating on Hardcover is {existing.rating:g}, the file says {row.rating:g}: kept")
    return RowPlan(update=update, notes=tuple(notes))


@dataclass
class ImportItem:
    """One row's outcome."""

    row: ShelfRow
    outcome: str  # linked | conflict | unmatched
    book_id: int | None = None
    plan: RowPlan | None = None
    reason: str = ""
    written: bool = False
    error: str | None = None
    entry_id: int | None = None  # the user's existing Hardcover entry


@dataclass
class ImportReport:
    """What an import found and did."""

    applied: bool
    items: list[ImportItem] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        """Rows with this outcome."""
        return sum(1 for i in self.items if i.outcome == outcome)


def row_key(row: ShelfRow) -> str:
    """A stable id for a row (its ISBN, else a digest of title and author), for conflicts."""
    if row.isbn13 or row.isbn:
        return f"isbn:{row.isbn13 or row.isbn}"
    return "title:" + hashlib.sha256(row.label.casefold().encode()).hexdigest()[:24]


def _entry(row: ShelfRow) -> SourceEntry:
    key = row_key(row)
    item = SourceItem(
        Source.IMPORT,
        key,
        row.title,
        authors=row.authors,
        isbn=row.isbn13 or row.isbn,
        media_kind=MediaKind.AUDIO if is_audio_binding(row.binding) else MediaKind.EBOOK,
    )
    return SourceEntry(item, SourceProgress(Source.IMPORT, key))


async def import_rows(
    rows: list[ShelfRow],
    *,
    user_id: str,
    hardcover: HardcoverApi,
    resolver: Resolver,
    store: Store,
    directions: Directions,
    apply: bool,
) -> ImportReport:
    """Match every row, plan it, and with ``apply`` write the plan and open conflicts for the doubtful."""
    report = ImportReport(applied=apply)
    keep = _carried(directions, out=False)
    me = await hardcover.me()
    shelf = Shelf.of(await hardcover.shelf(me.id))
    unique = list({row_key(r): r for r in rows}.values())  # a book listed twice is imported once
    resolutions = await resolver.resolve([_entry(r) for r in unique], {}, shelf)
    for row, res in zip(unique, resolutions, strict=True):
        if res.outcome is MatchOutcome.LINKED and res.book_id is not None:
            existing = shelf.by_book.get(res.book_id)
            plan = plan_row(row, existing, keep)
            entry_id = existing.id if existing else None
            report.items.append(ImportItem(row, "linked", res.book_id, plan, res.reason, entry_id=entry_id))
            continue
        report.items.append(ImportItem(row, res.outcome.value, reason=res.reason))
        if apply and res.outcome is MatchOutcome.CONFLICT:
            candidates = [{"book_id": c.book_id, "title": c.title, "score": c.score} for c in res.candidates]
            store.conflicts.open(user_id, CONFLICT_SOURCE, row_key(row), row.label, res.reason, candidates)
    if apply:
        await _apply(hardcover, report, {r.item_id: r.edition_id for r in resolutions})
    return report


async def _apply(hardcover: HardcoverApi, report: ImportReport, editions: dict[str, int | None]) -> None:
    todo = [i for i in report.items if i.plan is not None and (i.plan.insert is not None or i.plan.update)]
    ops: list[WriteOp] = []
    for item in todo:
        assert item.plan is not None and item.book_id is not None
        if item.plan.insert is not None:
            fields = dict(item.plan.insert)
            status = fields.pop("status")
            ops.append(
                WriteOp.insert_user_book(item.book_id, status, editions.get(row_key(item.row)), **fields)
            )
        else:
            assert item.entry_id is not None
            ops.append(WriteOp.update_user_book(item.entry_id, **item.plan.update))
    results = await hardcover.run_writes(ops) if ops else []
    read_ops: list[WriteOp] = []
    read_items: list[ImportItem] = []
    for item, result in zip(todo, results, strict=True):
        item.written, item.error = result.ok, result.error
        assert item.plan is not None
        if not result.ok or not item.plan.read or result.user_book is None:
            continue
        reads = result.user_book.reads  # P11: the read Hardcover made itself, if any
        if reads:
            read_ops.append(WriteOp.update_user_book_read(reads[0].id, item.plan.read))
        elif any(v is not None for v in item.plan.read.values()):
            values = {k: v for k, v in item.plan.read.items() if v is not None}
            read_ops.append(WriteOp.insert_user_book_read(result.user_book.id, values))
        else:
            continue
        read_items.append(item)
    if read_ops:
        for item, result in zip(read_items, await hardcover.run_writes(read_ops), strict=True):
            if not result.ok:
                item.error = f"dates: {result.error}"
