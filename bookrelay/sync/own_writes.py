"""Which Hardcover reads an earlier, unfinished write of ours made Hardcover date "today" (P11).

Setting a status makes Hardcover open or finish a read by itself, dated with its own "today". When a run
stops between that status write and the read write that puts the source's dates on it (a kill, a spent
budget, an expired token, a 5xx, a lost answer), the next run finds a read whose dates look like the
user's. The outbox remembers, for every write sent, the entry's reads as they were before it and the day
it was sent; a read that was not there then and carries no date before that day was created by our write,
and a read that was open then and is now finished on or after that day was finished by it. Those dates are
ours to correct; any other date (set by the user on Hardcover) is respected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bookrelay.domain.models import Read, UserBook

# Hardcover's "today" is its own calendar day; a day of slack keeps a write sent just before midnight ours.
_SLACK = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Claim:
    """One unsettled write of an item: the entry's reads before it (id → still open) and its day."""

    entry_id: int
    item_id: str
    book_id: int | None
    reads_before: Mapping[int, bool]
    day: date | None


def claim_payload(book_id: int | None, before: UserBook | None, day: date) -> dict[str, Any]:
    """What the outbox keeps beside an intended write so that a later run can tell its reads (JSON)."""
    reads = before.reads if before is not None else ()
    return {
        "book_id": book_id,
        "reads_before": {str(r.id): r.finished_at is None for r in reads},
        "day": day.isoformat(),
    }


def claims_by_item(entries: Iterable[tuple[int, Any]]) -> dict[str, list[Claim]]:
    """The outbox's unsettled entries (id, stored action) grouped by item; unreadable ones claim no read."""
    claims: dict[str, list[Claim]] = {}
    for entry_id, action in entries:
        if not isinstance(action, Mapping) or not isinstance(action.get("item"), str):
            continue
        item_id = action["item"]
        raw_reads = action.get("reads_before")
        raw_day = action.get("day")
        try:
            reads = {int(k): bool(v) for k, v in raw_reads.items()} if isinstance(raw_reads, Mapping) else {}
            day = date.fromisoformat(raw_day) if isinstance(raw_day, str) else None
        except ValueError:
            reads, day = {}, None
        book_id = action.get("book_id")
        claims.setdefault(item_id, []).append(
            Claim(entry_id, item_id, book_id if isinstance(book_id, int) else None, reads, day)
        )
    return claims


def _on_or_after(value: date | None, day: date) -> bool:
    return value is None or value >= day - _SLACK


def own_reads(claims: Sequence[Claim], user_book: UserBook | None) -> tuple[frozenset[int], frozenset[int]]:
    """(reads our writes made Hardcover create, reads our writes made Hardcover finish) on this entry."""
    if user_book is None:
        return frozenset(), frozenset()
    created: set[int] = set()
    finished: set[int] = set()
    for claim in claims:
        if claim.day is None or claim.book_id != user_book.book_id:
            continue  # an entry written before the outbox kept reads: nothing can be claimed from it
        for read in user_book.reads:
            if _created_by(read, claim):
                created.add(read.id)
            elif (
                claim.reads_before.get(read.id)
                and read.finished_at is not None
                and read.finished_at >= claim.day - _SLACK
            ):
                finished.add(read.id)
    return frozenset(created), frozenset(finished - created)


def _created_by(read: Read, claim: Claim) -> bool:
    assert claim.day is not None
    return (
        read.id not in claim.reads_before
        and _on_or_after(read.started_at, claim.day)
        and _on_or_after(read.finished_at, claim.day)
    )
