"""The typed actions of a plan: intents at the level of the user's library, not of mutations.

Every action carries the source item id and an idempotency key derived from its own fields, so the
outbox recognises a write it already made (same intent → same key).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import Enum

from bookrelay.domain.models import Status


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}  # type: ignore[arg-type]
    return value


class _Keyed:
    __slots__ = ()

    @property
    def idempotency_key(self) -> str:
        """A key derived from the action's kind and fields: the same intent always gets the same key."""
        payload = [type(self).__name__, _plain(self)]
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class AddToShelf(_Keyed):
    """Put the book on the user's Hardcover shelf with this status and edition."""

    item_id: str
    book_id: int
    edition_id: int | None
    status: Status


@dataclass(frozen=True, slots=True)
class SetStatus(_Keyed):
    """Change the status of an existing library entry."""

    item_id: str
    user_book_id: int
    status: Status


@dataclass(frozen=True, slots=True)
class StartRead(_Keyed):
    """Begin a new read (the first, or a re-read); ``user_book_id`` is None when the entry is added first."""

    item_id: str
    user_book_id: int | None
    book_id: int
    edition_id: int
    started_at: date | None
    progress_seconds: int | None = None
    progress_pages: int | None = None


@dataclass(frozen=True, slots=True)
class SetProgress(_Keyed):
    """Update the latest open read's progress (and resend its start date, so it is kept)."""

    item_id: str
    user_book_id: int
    read_id: int
    edition_id: int
    progress_seconds: int | None
    progress_pages: int | None
    started_at: date | None


@dataclass(frozen=True, slots=True)
class MarkFinished(_Keyed):
    """Status Read with a finished read: ``read_id`` None means a new read (or the one Hardcover creates)."""

    item_id: str
    user_book_id: int | None
    book_id: int
    read_id: int | None
    edition_id: int
    started_at: date | None
    finished_at: date | None
    progress_seconds: int | None = None
    progress_pages: int | None = None


@dataclass(frozen=True, slots=True)
class CandidateRef:
    """A candidate book shown with a conflict."""

    book_id: int
    title: str
    score: float
    explanation: str = ""
    # (name, value, weight, detail) of each score part, so the front ends need not parse the explanation.
    parts: tuple[tuple[str, float, float, str], ...] = ()
    authors: tuple[str, ...] = ()
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class OpenConflict(_Keyed):
    """Ask the user: nothing is written for this item until they decide."""

    item_id: str
    reason: str
    candidates: tuple[CandidateRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Hold(_Keyed):
    """A write that a rule held back; reported to the user, never silent."""

    item_id: str
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Skip(_Keyed):
    """Nothing to do for this item, and why."""

    item_id: str
    reason: str


Action = AddToShelf | SetStatus | StartRead | SetProgress | MarkFinished | OpenConflict | Hold | Skip
WRITES = (AddToShelf, SetStatus, StartRead, SetProgress, MarkFinished)
