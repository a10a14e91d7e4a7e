"""What a match makes of an item (M3-M5): a decision or an identifier hit becomes a :class:`Resolution`
with its edition chosen, a conflict with its candidates, or an unmatched item with its retry time.

:class:`Linker` is the half of the pipeline that asks nothing: :class:`~bookrelay.matching.pipeline.Resolver`
finds candidates (shelf, catalogue, search) and hands them here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.domain.actions import CandidateRef
from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.models import Book, Edition, UserBook
from bookrelay.matching.editions import NoAudioEdition, choose_edition
from bookrelay.matching.outcome import LinkMethod, MatchOutcome
from bookrelay.matching.resolution import (
    Resolution,
    Shelf,
    candidate_ref,
    candidate_refs,
    existing_edition_id,
)
from bookrelay.matching.score import (
    MatchDecision,
    MatchScore,
    MatchThresholds,
    MatchWeights,
    decide,
    score_candidate,
)


class Linker:
    """Turns what matching found into resolutions; the pipeline's settings and per-run memory."""

    api: HardcoverApi
    weights: MatchWeights
    thresholds: MatchThresholds
    unmatched_ttl: timedelta
    no_audio_edition: NoAudioEdition
    now: Callable[[], datetime]
    # M3: items whose identifier named a book their title disagrees with, searched by title too.
    pointed: dict[str, tuple[Book, MatchScore, str]]

    def _set_aside(
        self, entry: SourceEntry, book_id: int | None, identifier: str | None = None
    ) -> Resolution | None:
        """A failure when Hardcover's row for this book (or identifier) was malformed and set aside (S3)."""
        shapes = self.api.shapes
        row = shapes.for_book(book_id) or (shapes.for_identifier(identifier) if identifier else None)
        if row is None:
            return None
        return Resolution(entry, MatchOutcome.FAILED, book_id=book_id, reason=row.message)

    def _fuzzy_link(
        self, entry: SourceEntry, candidates: list[Book], shelf: Shelf
    ) -> Resolution | MatchDecision:
        """Score the candidates (M4): the link when one is strong and unambiguous, else the decision."""
        scored = [(book, score_candidate(entry.item, book, self.weights)) for book in candidates]
        decision = decide(entry.item, scored, self.thresholds)
        if decision.kind is not MatchOutcome.LINKED or decision.book is None:
            return decision
        book = decision.book
        return self._linked(
            entry, LinkMethod.FUZZY, book, book.id, None, shelf.by_book.get(book.id), score=decision.score
        )

    def _settle(self, entry: SourceEntry, decision: Resolution | MatchDecision) -> Resolution:
        """What the search's decision makes of an item: a link, a conflict, or unmatched until the TTL."""
        if isinstance(decision, Resolution):
            return decision if decision.outcome is MatchOutcome.FAILED else self._elsewhere(entry, decision)
        if (pointed := self.pointed.get(entry.item.item_id)) is not None:
            # M3: the identifier's book and what the search found, for the user to choose between.
            book, score, why = pointed
            refs = (candidate_ref(book, score), *candidate_refs(decision))
            return Resolution(
                entry,
                MatchOutcome.CONFLICT,
                reason=f"M3: {why}; the title search found no strong match",
                candidates=tuple({r.book_id: r for r in refs}.values())[:5],
            )
        conflict = decision.kind is MatchOutcome.CONFLICT
        return Resolution(
            entry,
            MatchOutcome.CONFLICT if conflict else MatchOutcome.UNMATCHED,
            reason=f"M4: {decision.reason}",
            candidates=candidate_refs(decision),
            score=decision.score,
            retry_after=None if conflict else self.now() + self.unmatched_ttl,
        )

    def _elsewhere(self, entry: SourceEntry, linked: Resolution) -> Resolution:
        """A title/author/length link for an item whose identifier named another book says so (M3)."""
        pointed = self.pointed.get(entry.item.item_id)
        if pointed is None or pointed[0].id == linked.book_id:
            return linked
        book = pointed[0]
        by = f" by {', '.join(book.authors)}" if book.authors else ""
        said = f"the item's identifier points elsewhere ({book.title!r}{by})"
        return replace(linked, note=f"{said}; {linked.note}" if linked.note else said)

    def _linked(
        self,
        entry: SourceEntry,
        method: LinkMethod,
        book: Book | None,
        book_id: int,
        hit_edition: Edition | None,
        on_shelf: UserBook | None,
        *,
        pinned_edition: int | None = None,
        score: MatchScore | None,
    ) -> Resolution:
        if (odd := self._set_aside(entry, book_id)) is not None:
            return odd
        editions = list(book.editions) if book is not None else []
        if on_shelf is not None and on_shelf.edition is not None:
            editions.append(on_shelf.edition)
        existing = existing_edition_id(on_shelf) or pinned_edition
        choice = choose_edition(
            entry.item,
            editions,
            hit_edition=hit_edition,
            existing_edition_id=existing,
            no_audio_edition=self.no_audio_edition,
        )
        candidates: tuple[CandidateRef, ...] = ()
        if choice.conflict is not None:
            # M5: the conflict names the book the identifier (or the match) found, so that the user can
            # settle it with one command.
            candidates = (_linked_candidate(entry, book, book_id, method, score, self.weights),)
        return Resolution(
            entry,
            MatchOutcome.LINKED,
            method=method,
            book_id=book_id,
            edition=choice.edition,
            edition_id=choice.edition_id,
            edition_conflict=choice.conflict,
            score=score,
            reason=choice.reason,
            candidates=candidates,
            note=choice.note,
            book=book,
        )


def _linked_candidate(
    entry: SourceEntry,
    book: Book | None,
    book_id: int,
    method: LinkMethod,
    score: MatchScore | None,
    weights: MatchWeights,
) -> CandidateRef:
    """The book an item was linked to, as a conflict candidate (its score is computed when missing)."""
    if book is None:
        return CandidateRef(book_id, f"book {book_id}", 1.0, f"named by the {method.value} link")
    ref = candidate_ref(book, score or score_candidate(entry.item, book, weights))
    return replace(ref, explanation=f"named by the {method.value} link; {ref.explanation}")
