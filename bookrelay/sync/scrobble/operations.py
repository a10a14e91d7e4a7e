"""Scrobble operations a person asks for (CLI and API): mark as read with a rating and a date, rate,
set a status. Each checks its feature's direction first (S10) and follows P11: the status is set first
and the reads Hardcover creates by itself are taken from the mutation's own answer, never duplicated;
a finished read is never overwritten (P9): marking a finished book read again adds a new read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.mapper import map_item
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.domain.directions import Directions, Feature
from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.models import Source, SourceProgress, Status, UserBook
from bookrelay.domain.shelves import check_rating
from bookrelay.errors import ConfigError, NotFound
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.pipeline import Resolver
from bookrelay.matching.resolution import Shelf
from bookrelay.store.facade import Store

STATUS_NAMES = {
    "want-to-read": Status.WANT_TO_READ,
    "reading": Status.READING,
    "read": Status.READ,
    "paused": Status.PAUSED,
    "dnf": Status.DID_NOT_FINISH,
    "did-not-finish": Status.DID_NOT_FINISH,
    "ignored": Status.IGNORED,
}


@dataclass(frozen=True, slots=True)
class Target:
    """The Hardcover book an operation is about, and the user's entry for it (if any)."""

    book_id: int
    edition_id: int | None
    title: str
    user_book: UserBook | None


@dataclass
class OperationResult:
    """What an operation changed (or, in a dry run, would change)."""

    target: Target
    dry_run: bool
    changes: list[str] = field(default_factory=list)
    user_book: UserBook | None = None


def parse_status(name: str) -> Status:
    """A status by its CLI name; ConfigError listing the names otherwise."""
    key = name.strip().lower().replace("_", "-")
    if key not in STATUS_NAMES:
        raise ConfigError(f"unknown status {name!r} (one of: {', '.join(STATUS_NAMES)})", place="STATUS")
    return STATUS_NAMES[key]


@dataclass
class Operations:
    """The scrobble operations of one user; every collaborator is given."""

    user_id: str
    hardcover: HardcoverApi
    resolver: Resolver
    store: Store
    directions: Directions
    tz: ZoneInfo
    today: Callable[[], date]
    audiobookshelf: AbsApi | None = None

    async def resolve(self, item_or_book: str) -> Target:
        """A Hardcover book id (``123`` or ``hc:123``), a linked item (``abs:ID`` or ``ID``), or an
        Audiobookshelf item matched by the pipeline; NotFound when nothing sure comes out."""
        me = await self.hardcover.me()
        text = item_or_book.strip()
        book_id = int(text[3:]) if text.startswith("hc:") and text[3:].isdigit() else None
        if book_id is None and text.isdigit():
            book_id = int(text)
        edition_id = None
        if book_id is None:
            book_id, edition_id = await self._book_of_item(text.removeprefix("abs:"), me.id)
        books = await self.hardcover.books_by_ids([book_id])
        if not books:
            raise NotFound(f"no Hardcover book {book_id}", service="hardcover")
        entries = await self.hardcover.user_books_for_books(me.id, [book_id])
        entry = entries[0] if entries else None
        return Target(book_id, edition_id or (entry.edition_id if entry else None), books[0].title, entry)

    async def _book_of_item(self, item_id: str, hardcover_user: int) -> tuple[int, int | None]:
        for source in (Source.AUDIOBOOKSHELF, Source.AUDIBLE):
            link = self.store.links.get(self.user_id, source.value, item_id)
            if link is not None and link.status == MatchOutcome.LINKED and link.hardcover_book_id:
                return link.hardcover_book_id, link.hardcover_edition_id
        if self.audiobookshelf is None:
            raise NotFound(f"{item_id!r} is neither a Hardcover book id nor a linked item")
        item = map_item(await self.audiobookshelf.item(item_id))
        if item is None:
            raise NotFound(f"Audiobookshelf item {item_id!r} is not a book")
        entry = SourceEntry(item, SourceProgress(item.source, item.item_id))
        shelf = Shelf.of(await self.hardcover.shelf(hardcover_user))
        (resolution,) = await self.resolver.resolve([entry], {}, shelf)
        if resolution.outcome is not MatchOutcome.LINKED or resolution.book_id is None:
            raise NotFound(
                f"Audiobookshelf item {item_id!r} ({item.title}) has no sure match ({resolution.reason}); "
                "pin it with `bookrelay link` or give the Hardcover book id"
            )
        return resolution.book_id, resolution.edition_id

    async def mark_read(
        self, item_or_book: str, *, rating: float | None = None, on: date | None = None, dry_run: bool = False
    ) -> OperationResult:
        """Status Read with a finished read dated ``on`` (default today, P10), and the rating if given."""
        self.directions.require_to_hardcover(Feature.STATUS)
        if on is not None:
            self.directions.require_to_hardcover(Feature.DATES)
        if rating is not None:
            self.directions.require_to_hardcover(Feature.RATING)
            check_rating(rating)
        day = on or self.today()
        target = await self.resolve(item_or_book)
        result = OperationResult(target, dry_run)
        entry = target.user_book
        fields: dict[str, object] = {} if rating is None else {"rating": rating}
        if entry is None:
            result.changes.append(f"add to the shelf as Read{_with(rating)}")
        elif entry.status is not Status.READ or (rating is not None and entry.rating != rating):
            result.changes.append(f"set status Read{_with(rating)}")
        result.changes.append(f"finished on {day.isoformat()}")
        if dry_run:
            return result
        before = {r.id: r for r in entry.reads} if entry else {}
        was_read = entry is not None and entry.status is Status.READ
        if entry is None:
            entry = await self.hardcover.insert_user_book(
                target.book_id, Status.READ, target.edition_id, **fields
            )
        elif not was_read or fields:
            changes = dict(fields) if was_read else {"status": Status.READ, **fields}
            entry = await self.hardcover.update_user_book(entry.id, **changes)
        # P11: a read Hardcover created, or the read that was open and Hardcover closed, is the one.
        created = [r for r in entry.reads if r.id not in before]
        adopted = [r for r in entry.reads if r.id in before and before[r.id].finished_at is None]
        chosen = created[0] if created else (adopted[0] if adopted else None)
        if chosen is not None:
            if chosen.finished_at != day:
                await self.hardcover.update_user_book_read(chosen.id, {"finished_at": day})
        elif not (was_read and entry.reads and entry.reads[0].finished_at == day):
            # P9: every read is finished already: this is a new read-through, the old ones stay.
            read = {"finished_at": day, **({"edition_id": target.edition_id} if target.edition_id else {})}
            await self.hardcover.insert_user_book_read(entry.id, read)
        result.user_book = entry
        return result

    async def rate(
        self, item_or_book: str, rating: float | None, *, dry_run: bool = False
    ) -> OperationResult:
        """Set (or with None clear) the rating of a book on the user's shelf."""
        self.directions.require_to_hardcover(Feature.RATING)
        check_rating(rating)
        target = await self.resolve(item_or_book)
        if target.user_book is None:
            raise NotFound(f"{target.title} is not on your Hardcover shelf: use mark-read --rating")
        result = OperationResult(target, dry_run, [f"rating {rating if rating is not None else 'cleared'}"])
        if target.user_book.rating == rating:
            result.changes = ["rating unchanged"]
        elif not dry_run:
            result.user_book = await self.hardcover.update_user_book(target.user_book.id, rating=rating)
        return result

    async def set_status(
        self, item_or_book: str, status: Status, *, dry_run: bool = False
    ) -> OperationResult:
        """Put the book on the shelf with ``status`` or change its status (Hardcover's side effects apply)."""
        self.directions.require_to_hardcover(Feature.STATUS)
        target = await self.resolve(item_or_book)
        entry = target.user_book
        result = OperationResult(target, dry_run)
        if entry is not None and entry.status is status:
            result.changes.append(f"status already {status.name.lower()}")
            return result
        result.changes.append(f"status {status.name.lower()}")
        if dry_run:
            return result
        if entry is None:
            result.user_book = await self.hardcover.insert_user_book(
                target.book_id, status, target.edition_id
            )
        else:
            result.user_book = await self.hardcover.update_user_book(entry.id, status=status)
        return result


def _with(rating: float | None) -> str:
    return "" if rating is None else f", rated {rating:g}"
