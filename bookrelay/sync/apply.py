"""Applying progress plans to Hardcover: intents become mutations, packed five to a request (N5).

Two phases, each one packed batch: first the entry-level writes (add to the shelf, change status),
whose answers carry the entry's reads; then the read-level writes, aimed at the read that is there
now — the one Hardcover created by itself is adopted, never duplicated (P11).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bookrelay.connectors.hardcover.api import HardcoverApi, WriteOp, WriteResult
from bookrelay.domain.actions import Action, AddToShelf, MarkFinished, SetProgress, SetStatus, StartRead
from bookrelay.domain.models import Read, Status, UserBook


@dataclass(slots=True)
class ItemWrites:
    """The writes of one item, and what came back."""

    item_id: str
    actions: Sequence[Action]
    before: UserBook | None  # the entry as the run read it, None when absent
    user_book: UserBook | None = None
    read: Read | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when every write of the item went through."""
        return self.error is None


def _entry_op(writes: ItemWrites) -> WriteOp | None:
    """Phase 1: the entry-level write of an item's actions, if it needs one."""
    for action in writes.actions:
        if isinstance(action, AddToShelf):
            return WriteOp.insert_user_book(action.book_id, action.status, action.edition_id)
        if isinstance(action, SetStatus):
            return WriteOp.update_user_book(action.user_book_id, status=action.status)
        if isinstance(action, MarkFinished):
            if action.user_book_id is None:
                return WriteOp.insert_user_book(action.book_id, Status.READ, action.edition_id)
            if writes.before is None or writes.before.status is not Status.READ:
                return WriteOp.update_user_book(action.user_book_id, status=Status.READ)
    return None


def _dates(**values: date | None) -> dict[str, Any]:
    # Omitted keys keep their value on Hardcover; only dates we know are sent (ref §6.3).
    return {k: v for k, v in values.items() if v is not None}


def _progress(seconds: int | None, pages: int | None) -> dict[str, Any]:
    if seconds is not None:
        return {"progress_seconds": seconds}
    if pages is not None:
        return {"progress_pages": pages}
    return {}


def _created_read(writes: ItemWrites) -> Read | None:
    """A read on the entry now that was not there when the run read it: Hardcover's own (P11)."""
    if writes.user_book is None:
        return None
    known = {r.id for r in writes.before.reads} if writes.before else set()
    return next((r for r in writes.user_book.reads if r.id not in known), None)


def _read_op(writes: ItemWrites) -> WriteOp | None:
    """Phase 2: the read-level write, aimed at the read that exists after phase 1."""
    user_book_id = writes.user_book.id if writes.user_book else (writes.before.id if writes.before else None)
    for action in writes.actions:
        if isinstance(action, SetProgress):
            fields = {
                "edition_id": action.edition_id,
                **_progress(action.progress_seconds, action.progress_pages),
            }
            return WriteOp.update_user_book_read(
                action.read_id, {**fields, **_dates(started_at=action.started_at)}
            )
        if isinstance(action, StartRead):
            fields = {
                "edition_id": action.edition_id,
                **_progress(action.progress_seconds, action.progress_pages),
            }
            fields |= _dates(started_at=action.started_at)
            created = _created_read(writes)
            if created is not None and created.finished_at is None:
                return WriteOp.update_user_book_read(created.id, fields)
            if user_book_id is None:
                return None
            return WriteOp.insert_user_book_read(user_book_id, fields)
        if isinstance(action, MarkFinished):
            fields = {
                "edition_id": action.edition_id,
                **_progress(action.progress_seconds, action.progress_pages),
            }
            fields |= _dates(started_at=action.started_at, finished_at=action.finished_at)
            target_id = action.read_id
            if target_id is None:
                created = _created_read(writes)
                target_id = created.id if created is not None else None
            if target_id is not None:
                return WriteOp.update_user_book_read(target_id, fields)
            if user_book_id is None:
                return None
            return WriteOp.insert_user_book_read(user_book_id, fields)
    return None


async def apply_writes(api: HardcoverApi, items: Sequence[ItemWrites]) -> None:
    """Send every item's writes in two packed phases; each item records its own outcome."""
    await _phase(api, [(w, _entry_op(w)) for w in items], entry_level=True)
    ready = [w for w in items if w.ok]
    await _phase(api, [(w, _read_op(w)) for w in ready], entry_level=False)


async def _phase(
    api: HardcoverApi, pairs: list[tuple[ItemWrites, WriteOp | None]], *, entry_level: bool
) -> None:
    todo = [(w, op) for w, op in pairs if op is not None]
    if not todo:
        return
    results: list[WriteResult] = await api.run_writes([op for _, op in todo])
    for (writes, op), result in zip(todo, results, strict=True):
        if not result.ok:
            writes.error = f"{op.kind}: {result.error}"
            continue
        if entry_level:
            writes.user_book = result.user_book
        else:
            writes.read = result.read
