"""Read models: what the front ends show of the store, as small frozen values, never ORM rows or store
enums, so that a page or a table depends on this module and not on the store's schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bookrelay.app.common import open_store
from bookrelay.config import Config
from bookrelay.store.facade import Store
from bookrelay.store.models import Conflict, ConflictStatus, Run, RunEvent, RunStatus


def open_conflicts(store: Store, user_id: str | None = None) -> list[Conflict]:
    """The open conflicts (of one user, or everyone's), newest first."""
    return store.conflicts.list(ConflictStatus.OPEN, user_id=user_id)


@dataclass(frozen=True, slots=True)
class RunView:
    """One recorded run as the front ends list it."""

    id: int
    user_id: str
    job: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    hardcover_units: int
    dry_run: bool
    error: str | None

    @classmethod
    def of(cls, run: Run) -> RunView:
        """The view of a stored run."""
        return cls(
            id=run.id,
            user_id=run.user_id,
            job=run.job,
            status=RunStatus(run.status).value,
            started_at=run.started_at,
            finished_at=run.finished_at,
            hardcover_units=run.hardcover_units or 0,
            dry_run=bool(run.dry_run),
            error=run.error,
        )


@dataclass(frozen=True, slots=True)
class BookChange:
    """What a run did to one book: written, held, failed or left for the user, in words."""

    kind: str
    title: str
    authors: tuple[str, ...]
    words: str


def recent_runs(config: Config, limit: int) -> list[RunView]:
    """The newest runs recorded in the store."""
    with open_store(config) as store:
        return [RunView.of(run) for run in store.runs.recent(limit)]


def run_changes(config: Config, run_id: int | None) -> tuple[RunView | None, list[BookChange]]:
    """One run (the newest that changed a book when ``run_id`` is None) and what it did to each book: each
    book it wrote, held, failed or could not place; (None, []) when there is no such run."""
    with open_store(config) as store:
        candidates = [store.runs.get_with_events(run_id)[0]] if run_id is not None else store.runs.recent(20)
        for run in candidates:
            _, events = store.runs.get_with_events(run.id)
            changes = [_book_change(e) for e in events if isinstance(e.data, dict) and "title" in e.data]
            if changes or run_id is not None:
                return RunView.of(run), changes
    return None, []


def _book_change(event: RunEvent) -> BookChange:
    data = event.data or {}
    return BookChange(
        kind=event.kind,
        title=str(data.get("title")),
        authors=tuple(data.get("authors") or ()),
        words=event.message,
    )
