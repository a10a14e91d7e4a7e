"""The progress plan (rules P3-P11): typed actions computed from the source and Hardcover states.

Actions (``actions.py``) are intents; ``sync/`` turns them into Hardcover mutations and adopts the
reads Hardcover creates by itself (P11).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bookrelay.domain.actions import (
    WRITES,
    Action,
    AddToShelf,
    CandidateRef,
    Hold,
    MarkFinished,
    OpenConflict,
    SetProgress,
    SetStatus,
    Skip,
    StartRead,
)
from bookrelay.domain.models import Edition, Read, SourceItem, SourceProgress, Status, UserBook
from bookrelay.domain.progress import (
    ProgressValue,
    local_date,
    read_fraction,
    source_fraction,
    to_hardcover_units,
)


@dataclass(frozen=True, slots=True)
class TargetState:
    """Hardcover's side of a linked item: book, chosen edition, the user's entry (reads newest first).

    ``edition_id`` stands in for ``edition`` when only the id of a kept edition is known;
    ``edition_conflict`` is the M5 reason when no progress-capable edition exists, and
    ``candidates`` the book(s) that conflict shows (at least the one an identifier named).
    ``own_reads`` are reads that an interrupted write of ours made Hardcover create (dated "today" by
    Hardcover, so every date on them is ours to correct); ``own_finishes`` are reads that existed
    before and that Hardcover finished because of our status write (their finish date is ours) (P11).
    """

    book_id: int
    edition: Edition | None
    user_book: UserBook | None
    edition_id: int | None = None
    edition_conflict: str | None = None
    own_reads: frozenset[int] = frozenset()
    own_finishes: frozenset[int] = frozenset()
    candidates: tuple[CandidateRef, ...] = ()

    @property
    def target_edition_id(self) -> int | None:
        """The id of the edition progress goes on, if any."""
        return self.edition.id if self.edition is not None else self.edition_id


@dataclass(frozen=True, slots=True)
class ProgressSettings:
    """Thresholds and switches of the progress job (P3-P8)."""

    min_progress: float = 0.05
    min_change: float = 0.01
    min_change_seconds: float = 60.0
    finish_at: float = 0.95
    allow_backwards: bool = False
    force: bool = False
    respect_statuses: frozenset[Status] = field(
        default_factory=lambda: frozenset({Status.PAUSED, Status.DID_NOT_FINISH, Status.IGNORED})
    )


@dataclass(frozen=True, slots=True)
class LastWritten:
    """What bookrelay last wrote for this item (from the store), for P4."""

    fraction: float
    progress_seconds: int | None = None
    progress_pages: int | None = None
    read_id: int | None = None
    written_at: datetime | None = None


__all__ = [
    "Action",
    "AddToShelf",
    "CandidateRef",
    "Hold",
    "LastWritten",
    "MarkFinished",
    "OpenConflict",
    "ProgressSettings",
    "SetProgress",
    "SetStatus",
    "Skip",
    "StartRead",
    "TargetState",
    "plan_progress",
    "writes_of",
]


def _date(ts: datetime | None, tz: ZoneInfo) -> date | None:
    return local_date(ts, tz) if ts is not None else None


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the rules look at, computed once."""

    item_id: str
    book_id: int
    edition_id: int
    fraction: float
    finished: bool
    started: date | None
    finished_on: date | None
    units: ProgressValue
    full: ProgressValue
    seconds_per_unit_fraction: float | None  # the item's length, to express a fraction change in seconds


def _facts(
    item: SourceItem, progress: SourceProgress, target: TargetState, settings: ProgressSettings, tz: ZoneInfo
) -> _Facts:
    fraction = source_fraction(progress, item.duration_seconds)
    finished = progress.is_finished or fraction >= settings.finish_at
    edition = target.edition
    units = to_hardcover_units(fraction, edition, item.media_kind) if edition else ProgressValue()
    full = to_hardcover_units(1.0, edition, item.media_kind) if edition else ProgressValue()
    length = item.duration_seconds or progress.duration or (edition.audio_seconds if edition else None)
    edition_id = target.target_edition_id
    assert edition_id is not None  # checked by the caller
    return _Facts(
        item_id=item.item_id,
        book_id=target.book_id,
        edition_id=edition_id,
        fraction=fraction,
        finished=finished,
        started=_date(progress.started_at, tz),
        # P6: the source's finish date, else its last update; never the sync date when it has one.
        finished_on=_date(progress.finished_at or progress.last_update, tz) if finished else None,
        units=units,
        full=full,
        seconds_per_unit_fraction=float(length) if length else None,
    )


def _finish(f: _Facts, user_book_id: int | None, read_id: int | None, started: date | None) -> MarkFinished:
    return MarkFinished(
        f.item_id,
        user_book_id,
        f.book_id,
        read_id,
        f.edition_id,
        started,
        f.finished_on,
        f.full.seconds,
        f.full.pages,
    )


def _start(f: _Facts, user_book_id: int | None) -> StartRead:
    return StartRead(
        f.item_id, user_book_id, f.book_id, f.edition_id, f.started, f.units.seconds, f.units.pages
    )


def _no_length(f: _Facts) -> Hold:
    return Hold(
        f.item_id, "P2", f"edition {f.edition_id} has no length known here: progress cannot be written"
    )


def _plan_new(f: _Facts, user_book: UserBook | None) -> list[Action]:
    """P7: absent or Want to Read → Currently Reading with a first read (or straight to Read, P6)."""
    user_book_id = user_book.id if user_book else None
    if f.finished:
        return [_finish(f, user_book_id, None, f.started)]
    if f.units.is_empty:
        return [_no_length(f)]
    shelf: Action = (
        AddToShelf(f.item_id, f.book_id, f.edition_id, Status.READING)
        if user_book is None
        else SetStatus(f.item_id, user_book.id, Status.READING)
    )
    return [shelf, _start(f, user_book_id)]


def _correct_own_finish(f: _Facts, user_book: UserBook, newest: Read, whole: bool) -> list[Action]:
    """P11: a finished read that our own interrupted write made Hardcover date "today" is brought to the
    state an uninterrupted run gives; ``whole`` when the read itself is ours (its start date too)."""
    started = f.started if whole else (newest.started_at or f.started)
    fix = _finish(f, user_book.id, newest.id, started)
    same = (
        (fix.started_at is None or fix.started_at == newest.started_at)
        and (fix.finished_at is None or fix.finished_at == newest.finished_at)
        and (fix.progress_seconds is None or fix.progress_seconds == newest.progress_seconds)
        and (fix.progress_pages is None or fix.progress_pages == newest.progress_pages)
        and newest.edition_id == fix.edition_id
    )
    return [Skip(f.item_id, "already finished on both sides")] if same else [fix]


def _plan_after_finished_read(
    f: _Facts, user_book: UserBook, newest: Read | None, target: TargetState
) -> list[Action]:
    """P9: the newest Hardcover read is finished; only a re-read that started after it writes (a new read)."""
    if newest is not None and f.finished and newest.id in target.own_reads | target.own_finishes:
        return _correct_own_finish(f, user_book, newest, whole=newest.id in target.own_reads)
    finished_on = newest.finished_at if newest else None
    reread = f.started is not None and finished_on is not None and f.started > finished_on
    if not reread:
        if f.finished:
            return [Skip(f.item_id, "already finished on both sides")]
        when = f" on {finished_on.isoformat()}" if finished_on else ""
        return [
            Hold(
                f.item_id,
                "P9",
                f"Hardcover's newest read is finished{when} and the source progress did not start after it: "
                "a finished read is never overwritten",
            )
        ]
    if f.finished:
        return [_finish(f, user_book.id, None, f.started)]
    if f.units.is_empty:
        return [_no_length(f)]
    actions: list[Action] = []
    if user_book.status is not Status.READING:
        actions.append(SetStatus(f.item_id, user_book.id, Status.READING))
    actions.append(_start(f, user_book.id))
    return actions


def _moves_backwards(f: _Facts, read: Read, hc_fraction: float | None) -> bool:
    # Compare in the read's own unit when it has one, so rounding can never slip a step back.
    if f.units.seconds is not None and read.progress_seconds is not None:
        return f.units.seconds < read.progress_seconds
    if f.units.pages is not None and read.progress_pages is not None:
        return f.units.pages < read.progress_pages
    return hc_fraction is not None and f.fraction < hc_fraction


def _too_small(f: _Facts, settings: ProgressSettings, read: Read, baseline: float | None) -> str | None:
    same_units = (f.units.seconds is not None and f.units.seconds == read.progress_seconds) or (
        f.units.pages is not None and f.units.pages == read.progress_pages
    )
    if same_units:
        return "P4: Hardcover already shows this progress"
    if baseline is None:
        return None
    delta = abs(f.fraction - baseline)
    seconds = delta * f.seconds_per_unit_fraction if f.seconds_per_unit_fraction else None
    if delta < settings.min_change and (seconds is None or seconds < settings.min_change_seconds):
        return f"P4: change of {_pct(delta)} since the last write is below the minimum"
    return None


def _plan_open_read(
    f: _Facts,
    user_book: UserBook,
    read: Read,
    target: TargetState,
    settings: ProgressSettings,
    last: LastWritten | None,
) -> list[Action]:
    """P11: update the latest open read (never a second open one); P4, P5, P6 apply."""
    if f.finished:
        return [_finish(f, user_book.id, read.id, read.started_at or f.started)]
    if f.units.is_empty:
        return [_no_length(f)]
    hc_fraction = read_fraction(read, target.edition)
    # The source restarted after this read began: a re-read of an unfinished read may go back (P5).
    restarted = f.started is not None and read.started_at is not None and f.started > read.started_at
    # A read our own interrupted write made Hardcover open carries Hardcover's "today": ours to correct (P11).
    own = read.id in target.own_reads and f.started is not None
    started = f.started if restarted or own else (read.started_at or f.started)
    if _moves_backwards(f, read, hc_fraction) and not (
        settings.allow_backwards or settings.force or restarted
    ):
        shown = _pct(hc_fraction) if hc_fraction is not None else "a later position"
        return [Hold(f.item_id, "P5", f"source at {_pct(f.fraction)} is behind Hardcover at {shown}")]
    if not settings.force and not (own and started != read.started_at):
        usable_last = last if last is not None and last.read_id in (None, read.id) else None
        baseline = usable_last.fraction if usable_last is not None else hc_fraction
        small = _too_small(f, settings, read, baseline)
        if small:
            return [Skip(f.item_id, small)]
    actions: list[Action] = []
    if user_book.status is not Status.READING:
        actions.append(SetStatus(f.item_id, user_book.id, Status.READING))
    actions.append(
        SetProgress(f.item_id, user_book.id, read.id, f.edition_id, f.units.seconds, f.units.pages, started)
    )
    return actions


def plan_progress(
    item: SourceItem,
    progress: SourceProgress,
    target: TargetState,
    settings: ProgressSettings,
    tz: ZoneInfo,
    last_written: LastWritten | None = None,
) -> list[Action]:
    """The actions that bring Hardcover in line with the source's progress for one linked item (P3-P11)."""
    if target.target_edition_id is None:
        reason = target.edition_conflict or "no edition that can show progress"
        return [OpenConflict(item.item_id, f"M5: {reason}", target.candidates)]
    user_book = target.user_book
    if user_book is not None and user_book.status in settings.respect_statuses:
        return [
            Hold(
                item.item_id, "P8", f"Hardcover status is {user_book.status.name}: respected, nothing written"
            )
        ]
    f = _facts(item, progress, target, settings, tz)
    if not f.finished and f.fraction < settings.min_progress:
        return [Skip(item.item_id, f"P3: {_pct(f.fraction)} is below {_pct(settings.min_progress)}")]
    if user_book is None or user_book.status is Status.WANT_TO_READ:
        return _plan_new(f, user_book)
    newest = user_book.reads[0] if user_book.reads else None
    if (newest is not None and newest.finished_at is not None) or (
        newest is None and user_book.status is Status.READ
    ):
        return _plan_after_finished_read(f, user_book, newest, target)
    if newest is None:
        if f.finished:
            return [_finish(f, user_book.id, None, f.started)]
        if f.units.is_empty:
            return [_no_length(f)]
        fix: list[Action] = []
        if user_book.status is not Status.READING:
            fix.append(SetStatus(item.item_id, user_book.id, Status.READING))
        return [*fix, _start(f, user_book.id)]
    return _plan_open_read(f, user_book, newest, target, settings, last_written)


def writes_of(actions: Sequence[Action]) -> list[Action]:
    """Only the actions that write to Hardcover."""
    return [a for a in actions if isinstance(a, WRITES)]
