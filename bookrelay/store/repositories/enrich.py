"""The record of identifiers ``enrich --apply`` wrote to Audiobookshelf, so that ``enrich undo`` can put
back exactly what was there."""

from __future__ import annotations

from sqlalchemy import select

from bookrelay.errors import NotFound
from bookrelay.store.models import EnrichChange
from bookrelay.store.repositories._base import Repo, ensure_user

PENDING = "pending"
APPLIED = "applied"
FAILED = "failed"
UNDONE = "undone"


class EnrichChangeRepo(Repo):
    """Changes per run: ``pending`` before the write, then ``applied``/``failed``, later ``undone``."""

    def record(
        self, run_id: int, user_id: str, item_id: str, field: str, old: str | None, new: str | None
    ) -> EnrichChange:
        """Record an intended change before it is sent (so a crash mid-write still leaves its old value)."""
        now = self._now()
        change = EnrichChange(
            run_id=run_id,
            user_id=user_id,
            item_id=item_id,
            field=field,
            old_value=old,
            new_value=new,
            state=PENDING,
            created_at=now,
            updated_at=now,
        )
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            session.add(change)
            session.flush()
        return change

    def set_state(self, change_ids: list[int], state: str) -> None:
        """Move changes to ``state`` (applied, failed or undone) in one transaction."""
        with self._db.transaction() as session:
            for change_id in change_ids:
                change = session.get(EnrichChange, change_id)
                if change is None:
                    raise NotFound(f"no enrich change {change_id}")
                change.state = state
                change.updated_at = self._now()

    def of_run(self, run_id: int, user_id: str | None = None) -> list[EnrichChange]:
        """Every change of a run in the order made; NotFound when the run recorded none (for that user)."""
        query = select(EnrichChange).where(EnrichChange.run_id == run_id)
        if user_id is not None:
            query = query.where(EnrichChange.user_id == user_id)
        with self._db.reading() as session:
            changes = list(session.scalars(query.order_by(EnrichChange.id)))
        if not changes:
            raise NotFound(
                f"enrich run {run_id} recorded no changes" + (f" for {user_id}" if user_id else "")
            )
        return changes
