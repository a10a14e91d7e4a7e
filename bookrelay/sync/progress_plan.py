"""Planning one progress run's resolved items: the A4 merge's view of them, each item's plan, and what
a resolution keeps once matched (so that a large library's run stays small)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from bookrelay.domain.actions import Action, Hold, OpenConflict, Skip
from bookrelay.domain.models import Book, Edition, UserBook
from bookrelay.domain.plan import LastWritten, ProgressSettings, TargetState, plan_progress
from bookrelay.domain.progress import source_fraction
from bookrelay.domain.sources import BookReport
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.resolution import Resolution, Shelf
from bookrelay.matching.score import MatchScore
from bookrelay.store.repositories import LinkState
from bookrelay.sync.own_writes import Claim, own_reads


def book_reports(resolutions: list[Resolution]) -> list[BookReport]:
    """The linked items as the A4 merge sees them (a finish date counts as an update)."""
    return [
        BookReport(
            r.item_id,
            r.entry.item.source.value,
            r.book_id,
            r.entry.progress.last_update or r.entry.progress.finished_at,
            source_fraction(r.entry.progress, r.entry.item.duration_seconds),
        )
        for r in resolutions
        if r.outcome is MatchOutcome.LINKED and r.book_id is not None
    ]


def plan_item(
    resolution: Resolution,
    shelf: Shelf,
    link: LinkState | None,
    claims: Sequence[Claim],
    settings: ProgressSettings,
    tz: ZoneInfo,
) -> list[Action]:
    """One resolved item's plan: a skip or a conflict when it did not link, else :func:`plan_progress`
    against its shelf entry, the reads our earlier writes made (``claims``, P11) and its last write."""
    item_id = resolution.item_id
    if resolution.outcome is MatchOutcome.FAILED:
        return [Skip(item_id, f"failed: {resolution.reason}")]
    if resolution.outcome is MatchOutcome.CONFLICT:
        return [OpenConflict(item_id, resolution.reason, resolution.candidates)]
    if resolution.outcome is MatchOutcome.UNMATCHED:
        return [Skip(item_id, f"unmatched: {resolution.reason}")]
    assert resolution.book_id is not None
    user_book: UserBook | None = shelf.by_book.get(resolution.book_id)
    created, finished = own_reads(claims, user_book)
    target = TargetState(
        book_id=resolution.book_id,
        edition=resolution.edition,
        user_book=user_book,
        edition_id=resolution.edition_id,
        edition_conflict=resolution.edition_conflict,
        own_reads=created,
        own_finishes=finished,
        candidates=resolution.candidates,
    )
    last = None
    if link is not None and link.hardcover_book_id == resolution.book_id and link.last_progress is not None:
        last = LastWritten(
            fraction=link.last_progress,
            progress_seconds=int(link.last_progress_seconds)
            if link.last_progress_seconds is not None
            else None,
            read_id=link.read_id,
            written_at=link.last_written_at,
        )
    entry = resolution.entry
    return plan_progress(entry.item, entry.progress, target, settings, tz, last)


def compact(resolution: Resolution) -> Resolution:
    """What planning, writing and recording still read of a resolution: the score's total, not its parts;
    the edition's id, length and format, not its texts; candidates only for a conflict; no reason for a
    link. Every resolution of a run is held until the last chunk is written (A4 needs them all), so this
    bounds a run's memory."""
    score, edition = resolution.score, resolution.edition
    return replace(
        resolution,
        score=MatchScore(score.total, ()) if score is not None else None,
        edition=Edition(
            edition.id,
            edition.book_id,
            pages=edition.pages,
            audio_seconds=edition.audio_seconds,
            reading_format=edition.reading_format,
        )
        if edition is not None
        else None,
        candidates=resolution.candidates
        if resolution.outcome is MatchOutcome.CONFLICT or resolution.edition_conflict
        else (),
        book=Book(b.id, b.title, b.authors, image_url=b.image_url) if (b := resolution.book) else None,
        # Only a conflict's or an unmatched item's reason is shown; a link's (the edition's) is not.
        reason="" if resolution.outcome is MatchOutcome.LINKED else resolution.reason,
    )


def superseded_hold(item_id: str, winner: BookReport) -> Hold:
    """A4: another source's newer report on the same book is written instead of this one."""
    return Hold(item_id, "A4", f"superseded by {winner.source} (item {winner.item_id}, a newer update)")
