"""The wanted job's pure part: what Bookshelf and rreading-glasses tell us, and the plan (W1-W4).

``plan_wanted`` decides, from the Want to Read shelf, the ledger and Bookshelf's library, which books to
look up and add, which are present already (by foreign id, never by title: W2), which wait for their
retry (W4) and which left the shelf. ``decide_after_lookup`` finishes the decision once a fresh lookup
has answered. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bookrelay.errors import ConfigError

# Reason stored on a ledger row whose book was unmonitored after it left the shelf (so it is done once).
UNMONITORED_REASON = "unmonitored: left the Want to Read shelf unread"


@dataclass(frozen=True, slots=True)
class RootFolder:
    """A Bookshelf root folder with the profiles it defaults to."""

    id: int
    name: str
    path: str
    default_quality_profile_id: int | None = None
    default_metadata_profile_id: int | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """A Bookshelf quality or metadata profile."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class AddTarget:
    """Where and how Bookshelf files an added book."""

    root_folder_path: str
    quality_profile_id: int
    metadata_profile_id: int


@dataclass(frozen=True, slots=True)
class LibraryBook:
    """A book already in Bookshelf (``GET /api/v1/book``); ``foreign_book_id`` is a Hardcover book id."""

    id: int
    foreign_book_id: str
    title: str
    monitored: bool
    foreign_edition_id: str | None = None


@dataclass(frozen=True, slots=True)
class BookshelfCandidate:
    """A book as a fresh ``/api/v1/search?term=work:N`` shows it: what an add request is built from."""

    foreign_book_id: str
    title: str
    author_foreign_id: str
    author_name: str
    monitored_edition_id: str
    edition_ids: tuple[str, ...] = ()
    bookshelf_id: int = 0  # > 0 when the book is in the library already
    monitored: bool = False
    cover_url: str | None = None


@dataclass(frozen=True, slots=True)
class WorkMetadata:
    """What rreading-glasses says about a Hardcover book (``GET /work/{id}``), for adding and the report."""

    requested_id: int
    canonical_id: int
    title: str
    authors: tuple[str, ...] = ()
    author_ids: tuple[int, ...] = ()
    best_edition_id: int | None = None
    isbn13: str | None = None
    asin: str | None = None
    cover_url: str | None = None
    edition_count: int = 0


@dataclass(frozen=True, slots=True)
class ShelfBook:
    """One Want to Read entry: the Hardcover book id and what to call it in the report."""

    book_id: int
    title: str = ""
    authors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """The ledger's memory of one Hardcover book (W1)."""

    book_id: int
    state: str  # "added" | "present" | "failed"
    attempts: int = 0
    next_retry_at: datetime | None = None
    reason: str | None = None
    bookshelf_book_id: int | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class AddToBookshelf:
    """Look the book up afresh and add it (``retry`` when an earlier attempt failed)."""

    book: ShelfBook
    retry: bool = False
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class RecordPresent:
    """The book is in Bookshelf already (W2): record it; ``monitor`` when Bookshelf does not monitor it."""

    book: ShelfBook
    library_book: LibraryBook
    monitor: bool = False


@dataclass(frozen=True, slots=True)
class WaitForRetry:
    """An earlier attempt failed and the next one is not due yet (W4)."""

    book: ShelfBook
    next_retry_at: datetime | None
    reason: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class AlreadyDone:
    """The ledger says the book was added or found before: nothing to do (W1)."""

    book: ShelfBook
    state: str
    bookshelf_book_id: int | None


@dataclass(frozen=True, slots=True)
class UnmonitorRemoved:
    """A book bookrelay added left the shelf: unmonitor it unless Hardcover shows it read."""

    book_id: int
    bookshelf_book_id: int
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Deferred:
    """Over this run's ``limit``: left for the next run, not recorded."""

    book: ShelfBook


WantedAction = AddToBookshelf | RecordPresent | WaitForRetry | AlreadyDone | UnmonitorRemoved | Deferred


@dataclass(slots=True)
class WantedPlan:
    """The ordered actions of one run of the wanted job."""

    actions: list[WantedAction] = field(default_factory=list)

    def of(self, kind: type) -> list[WantedAction]:
        """The actions of one kind, in plan order."""
        return [a for a in self.actions if isinstance(a, kind)]


def plan_wanted(
    shelf: Sequence[ShelfBook],
    ledger: Mapping[int, LedgerRow],
    library: Mapping[str, LibraryBook],
    *,
    now: datetime,
    unmonitor_removed: bool = False,
    limit: int | None = None,
) -> WantedPlan:
    """The plan for one run: shelf books in shelf order, then the removed books when ``unmonitor_removed``."""
    plan = WantedPlan()
    adds = 0
    seen: set[int] = set()
    for book in shelf:
        if book.book_id in seen:
            continue
        seen.add(book.book_id)
        row = ledger.get(book.book_id)
        if row is not None and row.reason == UNMONITORED_REASON:
            # Back on the shelf after bookrelay unmonitored it: monitor it again.
            again = next((b for b in library.values() if b.id == row.bookshelf_book_id), None)
            if again is not None:
                plan.actions.append(RecordPresent(book, again, monitor=not again.monitored))
                continue
        if row is not None and row.state in {"added", "present"} and row.reason != UNMONITORED_REASON:
            plan.actions.append(AlreadyDone(book, row.state, row.bookshelf_book_id))
            continue
        present = library.get(str(book.book_id))
        if present is not None:
            plan.actions.append(RecordPresent(book, present, monitor=not present.monitored))
            continue
        if row is not None and row.next_retry_at is not None and row.next_retry_at > now:
            plan.actions.append(WaitForRetry(book, row.next_retry_at, row.reason, row.attempts))
            continue
        if limit is not None and adds >= limit:
            plan.actions.append(Deferred(book))
            continue
        adds += 1
        plan.actions.append(AddToBookshelf(book, retry=row is not None, attempts=row.attempts if row else 0))
    if unmonitor_removed:
        for row in sorted(ledger.values(), key=lambda r: r.book_id):
            if (
                row.book_id not in seen
                and row.state == "added"
                and row.bookshelf_book_id
                and row.reason != UNMONITORED_REASON
            ):
                plan.actions.append(UnmonitorRemoved(row.book_id, row.bookshelf_book_id, row.title))
    return plan


def decide_after_lookup(
    candidate: BookshelfCandidate, library: Mapping[str, LibraryBook]
) -> LibraryBook | None:
    """The library book a fresh lookup points at (by its canonical foreign id or its id > 0), else None."""
    found = library.get(candidate.foreign_book_id)
    if found is not None:
        return found
    if candidate.bookshelf_id > 0:
        return LibraryBook(
            id=candidate.bookshelf_id,
            foreign_book_id=candidate.foreign_book_id,
            title=candidate.title,
            monitored=candidate.monitored,
            foreign_edition_id=candidate.monitored_edition_id,
        )
    return None


def _pick(
    wanted: int | str | None, options: Iterable[Profile | RootFolder], place: str, *, by_path: bool = False
) -> Profile | RootFolder | None:
    if wanted is None or wanted == "":
        return None
    options = list(options)
    text = str(wanted).strip()
    for option in options:
        if str(option.id) == text or option.name.casefold() == text.casefold():
            return option
        if by_path and isinstance(option, RootFolder) and option.path.rstrip("/") == text.rstrip("/"):
            return option
    known = ", ".join(f"{o.id} {o.name!r}" for o in options) or "none"
    raise ConfigError(f"{wanted!r} is not one of Bookshelf's ({known})", place=place)


def choose_target(
    root_folders: Sequence[RootFolder],
    quality_profiles: Sequence[Profile],
    metadata_profiles: Sequence[Profile],
    *,
    root_folder: int | str | None = None,
    quality_profile: int | str | None = None,
    metadata_profile: int | str | None = None,
) -> AddTarget:
    """Resolve the configured root folder and profiles (by id, name or path); unset ones take the root
    folder's defaults. Raises ConfigError naming the setting when something does not exist."""
    if not root_folders:
        raise ConfigError(
            "Bookshelf has no root folder; add one in Bookshelf first", place="bookshelf.root_folder"
        )
    folder = _pick(root_folder, root_folders, "bookshelf.root_folder", by_path=True) or root_folders[0]
    assert isinstance(folder, RootFolder)
    quality = _pick(quality_profile, quality_profiles, "bookshelf.quality_profile")
    metadata = _pick(metadata_profile, metadata_profiles, "bookshelf.metadata_profile")
    quality_id = quality.id if quality else folder.default_quality_profile_id
    metadata_id = metadata.id if metadata else folder.default_metadata_profile_id
    # An id of 0 passes Bookshelf's validator but breaks the author (ref A.5): always send real ids.
    if not quality_id or all(p.id != quality_id for p in quality_profiles):
        raise ConfigError("no usable quality profile; set one", place="bookshelf.quality_profile")
    if not metadata_id or all(p.id != metadata_id for p in metadata_profiles):
        raise ConfigError("no usable metadata profile; set one", place="bookshelf.metadata_profile")
    return AddTarget(folder.path, quality_id, metadata_id)
