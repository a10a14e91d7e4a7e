"""Recording a progress run's outcome per item in the store: links, conflicts and progress history."""

from __future__ import annotations

from datetime import datetime

from bookrelay.domain.actions import Action, CandidateRef, OpenConflict
from bookrelay.domain.identifiers import identifiers_hash, metadata_hash
from bookrelay.domain.progress import source_fraction
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.resolution import Resolution
from bookrelay.store.facade import Store
from bookrelay.store.repositories import BookFacts
from bookrelay.sync.apply import ItemWrites


def candidate_json(candidate: CandidateRef) -> dict[str, object]:
    """A conflict candidate as stored: what the front ends show without asking Hardcover again."""
    return {
        "book_id": candidate.book_id,
        "title": candidate.title,
        "score": candidate.score,
        "explanation": candidate.explanation,
        "authors": list(candidate.authors),
        "image_url": candidate.image_url,
        "parts": [
            {"name": name, "value": value, "weight": weight, "detail": detail}
            for name, value, weight, detail in candidate.parts
        ],
    }


def record_items(
    store: Store,
    user_id: str,
    now: datetime,
    resolutions: list[Resolution],
    plans: list[list[Action]],
    written: dict[str, ItemWrites],
) -> list[str]:
    """Store what each item's run settled (links, conflicts, history); returns the ids of the items
    settled. An item whose writes failed is left as it was: the next run tries it again (P11)."""
    settled: list[str] = []
    for resolution, actions in zip(resolutions, plans, strict=True):
        entry = resolution.entry
        item_id = entry.item.item_id
        source = entry.item.source.value
        outcome = written.get(item_id)
        if (outcome is not None and not outcome.ok) or resolution.outcome is MatchOutcome.FAILED:
            continue  # not settled: the next run tries again after re-reading Hardcover
        settled.append(item_id)
        fraction = source_fraction(entry.progress, entry.item.duration_seconds)
        if resolution.outcome is MatchOutcome.UNMATCHED:
            until = resolution.retry_after or now
            store.links.mark_unmatched(user_id, source, item_id, until, metadata_hash(entry.item))
            store.links.upsert(
                user_id,
                source,
                item_id,
                identifiers_hash=identifiers_hash(entry.item),
                source_fingerprint=entry.fingerprint,
            )
            continue
        if resolution.outcome is MatchOutcome.CONFLICT or any(isinstance(a, OpenConflict) for a in actions):
            conflict = next(a for a in actions if isinstance(a, OpenConflict))
            candidates = [candidate_json(c) for c in conflict.candidates]
            store.conflicts.open(user_id, source, item_id, entry.item.title, conflict.reason, candidates)
            store.links.upsert(
                user_id,
                source,
                item_id,
                status=MatchOutcome.CONFLICT,
                identifiers_hash=identifiers_hash(entry.item),
                source_fingerprint=entry.fingerprint,
                metadata_hash=metadata_hash(entry.item),
            )
            continue
        changes: dict[str, object] = {
            "status": MatchOutcome.LINKED,
            "hardcover_book_id": resolution.book_id,
            "hardcover_edition_id": resolution.edition_id,
            "method": resolution.method,
            "score": resolution.score.total if resolution.score else None,
            "identifiers_hash": identifiers_hash(entry.item),
            "metadata_hash": metadata_hash(entry.item),
            "source_fingerprint": entry.fingerprint,
            "unmatched_until": None,
        }
        if outcome is not None:
            if outcome.user_book is not None:
                changes["user_book_id"] = outcome.user_book.id
            if outcome.read is not None:
                changes["read_id"] = outcome.read.id
                changes["last_progress"] = fraction
                changes["last_progress_seconds"] = outcome.read.progress_seconds
                changes["last_written_at"] = now
        store.links.upsert(user_id, source, item_id, **changes)  # type: ignore[arg-type]
        if resolution.book is not None:  # names the book on every page without asking Hardcover
            book = resolution.book
            store.labels.set_book(
                user_id, source, item_id, BookFacts(book.id, book.title, book.authors, book.image_url)
            )
        store.history.record(
            user_id,
            source,
            item_id,
            fraction,
            seconds=entry.progress.current_time or None,
            is_finished=entry.progress.is_finished,
            hardcover_book_id=resolution.book_id,
            written=outcome is not None,
            observed_at=entry.progress.last_update,
        )
    return settled
