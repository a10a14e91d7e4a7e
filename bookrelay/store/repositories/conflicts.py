"""Conflicts: matches the user decides (M3, M4, M5); at most one open per source item."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bookrelay.errors import NotFound
from bookrelay.matching.outcome import LinkMethod, MatchOutcome
from bookrelay.store.db import Database
from bookrelay.store.models import Conflict, ConflictStatus
from bookrelay.store.repositories._base import Clock, Repo, ensure_user, utc_now
from bookrelay.store.repositories.links import LinkRepo


class ConflictRepo(Repo):
    """Open, list and decide conflicts; deciding one also sets the item's link in the same transaction."""

    def __init__(self, db: Database, links: LinkRepo, clock: Clock = utc_now) -> None:
        super().__init__(db, clock)
        self._links = links

    def open(
        self, user_id: str, source: str, source_item_id: str, title: str, reason: str, candidates: list[Any]
    ) -> Conflict:
        """Open a conflict for the item, or refresh the one already open (the same row, not a second)."""
        now = self._now()
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            conflict = session.scalar(
                select(Conflict)
                .where(
                    Conflict.user_id == user_id,
                    Conflict.source == source,
                    Conflict.source_item_id == source_item_id,
                    Conflict.status == ConflictStatus.OPEN,
                )
                .with_for_update()
            )
            if conflict is None:
                conflict = Conflict(
                    user_id=user_id,
                    source=source,
                    source_item_id=source_item_id,
                    status=ConflictStatus.OPEN,
                    created_at=now,
                )
                session.add(conflict)
            conflict.title = title
            conflict.reason = reason
            conflict.candidates = candidates
            conflict.updated_at = now
            session.flush()
            return conflict

    def list(
        self, status: ConflictStatus | None = ConflictStatus.OPEN, user_id: str | None = None
    ) -> list[Conflict]:
        """Conflicts of one status (open by default; ``None`` for all), newest first."""
        query = select(Conflict)
        if status is not None:
            query = query.where(Conflict.status == status)
        if user_id is not None:
            query = query.where(Conflict.user_id == user_id)
        with self._db.reading() as session:
            return list(session.scalars(query.order_by(Conflict.created_at.desc(), Conflict.id.desc())))

    def get(self, conflict_id: int) -> Conflict:
        """One conflict; NotFound when there is none with this id."""
        with self._db.reading() as session:
            conflict = session.get(Conflict, conflict_id)
        if conflict is None:
            raise NotFound(f"no conflict {conflict_id}")
        return conflict

    def resolve(self, conflict_id: int, book_id: int, edition_id: int | None = None) -> Conflict:
        """Decide an open conflict for a book (and edition): the item's link is pinned to it (M1)."""
        with self._db.transaction() as session:
            conflict = self._open_one(conflict_id)
            self._links.pin(
                conflict.user_id,
                conflict.source,
                conflict.source_item_id,
                book_id,
                edition_id,
                method=LinkMethod.MANUAL,
            )
            return self._close(
                session,
                conflict_id,
                ConflictStatus.RESOLVED,
                {"hardcover_book_id": book_id, "hardcover_edition_id": edition_id},
            )

    def ignore(self, conflict_id: int) -> Conflict:
        """Dismiss an open conflict: the item's link becomes ``ignored`` and is not synced."""
        with self._db.transaction() as session:
            conflict = self._open_one(conflict_id)
            self._links.upsert(
                conflict.user_id, conflict.source, conflict.source_item_id, status=MatchOutcome.IGNORED
            )
            return self._close(session, conflict_id, ConflictStatus.IGNORED, None)

    def _open_one(self, conflict_id: int) -> Conflict:
        conflict = self.get(conflict_id)
        if conflict.status != ConflictStatus.OPEN:
            raise NotFound(f"conflict {conflict_id} is already {conflict.status.value}")
        return conflict

    def _close(self, session: Any, conflict_id: int, status: ConflictStatus, resolution: Any) -> Conflict:
        conflict = session.get_one(Conflict, conflict_id, populate_existing=True)
        conflict.status = status
        conflict.resolution = resolution
        conflict.updated_at = self._now()
        session.flush()
        return conflict
