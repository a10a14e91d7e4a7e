"""What matching makes of an item (:class:`Resolution`), the user's shelf as matching indexes it, and
the candidates a conflict shows: the vocabulary the jobs share with :mod:`bookrelay.matching.pipeline`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bookrelay.domain.actions import CandidateRef
from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.models import Book, Edition, UserBook
from bookrelay.matching.outcome import LinkMethod, MatchOutcome
from bookrelay.matching.score import MatchDecision, MatchScore


@dataclass(frozen=True, slots=True)
class Resolution:
    """The book (and edition) an item goes to, or why it goes nowhere."""

    entry: SourceEntry
    outcome: MatchOutcome
    method: LinkMethod | None = None
    book_id: int | None = None
    edition: Edition | None = None
    edition_id: int | None = None
    edition_conflict: str | None = None
    score: MatchScore | None = None
    reason: str = ""
    candidates: tuple[CandidateRef, ...] = ()
    retry_after: datetime | None = None  # unmatched: not searched again before this (M4)
    note: str | None = None  # said on the item's report line (M5: page progress instead of audio)
    book: Book | None = None  # the linked book, for its title, authors and cover on the front ends

    @property
    def item_id(self) -> str:
        """The source item's id."""
        return self.entry.item.item_id


@dataclass
class Shelf:
    """The user's Hardcover shelf, indexed by book and by the identifiers of its editions."""

    entries: list[UserBook] = field(default_factory=list)
    by_book: dict[int, UserBook] = field(default_factory=dict)
    by_identifier: dict[str, UserBook] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: Iterable[UserBook]) -> Shelf:
        """Index shelf entries."""
        shelf = cls()
        for entry in entries:
            shelf.add(entry)
        return shelf

    def add(self, entry: UserBook) -> None:
        """Index one entry (a newer entry of the same book replaces the older)."""
        self.entries.append(entry)
        self.by_book[entry.book_id] = entry
        if entry.edition is not None:
            for value in (entry.edition.asin, entry.edition.isbn_13, entry.edition.isbn_10):
                if value:
                    self.by_identifier[value.upper()] = entry


def existing_edition_id(entry: UserBook | None) -> int | None:
    """The edition already on the user's entry or its current read (M5: it wins)."""
    if entry is None:
        return None
    open_read = next((r for r in entry.reads if r.finished_at is None), None)
    if open_read is not None and open_read.edition_id is not None:
        return open_read.edition_id
    return entry.edition_id


def candidate_ref(book: Book, score: MatchScore) -> CandidateRef:
    """A candidate as a conflict shows it: the book, its score, and the score's named parts."""
    parts = tuple((p.name, p.value, p.weight, p.detail) for p in score.parts)
    return CandidateRef(
        book.id, book.title, score.total, score.explain(), parts, tuple(book.authors), book.image_url
    )


def candidate_refs(decision: MatchDecision) -> tuple[CandidateRef, ...]:
    """The five best candidates of a decision, as a conflict shows them."""
    return tuple(candidate_ref(book, score) for book, score in decision.candidates[:5])
