"""Links from source items to Hardcover books, and the progress observed on them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookrelay.errors import NotFound
from bookrelay.matching.outcome import LinkMethod, MatchOutcome
from bookrelay.store.models import Link, ProgressHistory
from bookrelay.store.repositories._base import Repo, ensure_user, upsert


class LinkChanges(TypedDict, total=False):
    """The columns of a link a caller may set; the ones left out keep their value."""

    identifiers_hash: str | None
    hardcover_book_id: int | None
    hardcover_edition_id: int | None
    user_book_id: int | None
    read_id: int | None
    method: LinkMethod | None
    score: float | None
    pinned: bool
    sync_enabled: bool
    status: MatchOutcome
    last_progress: float | None
    last_progress_seconds: float | None
    last_written_at: datetime | None
    unmatched_until: datetime | None
    metadata_hash: str | None
    source_fingerprint: str | None


@dataclass(frozen=True, slots=True)
class LinkState:
    """What a sync reads of a link: a plain row, not an ORM object (a 10,000-item library holds one each)."""

    source: str
    source_item_id: str
    status: MatchOutcome
    hardcover_book_id: int | None = None
    hardcover_edition_id: int | None = None
    read_id: int | None = None
    method: LinkMethod | None = None
    score: float | None = None
    pinned: bool = False
    sync_enabled: bool = True
    identifiers_hash: str | None = None
    metadata_hash: str | None = None
    source_fingerprint: str | None = None
    unmatched_until: datetime | None = None
    last_progress: float | None = None
    last_progress_seconds: float | None = None
    last_written_at: datetime | None = None


_STATE_COLUMNS = tuple(getattr(Link, name) for name in LinkState.__slots__)
# SQLite keeps at most 999 bound values in one statement on old builds: ask for keys in slices.
_KEYS_PER_QUERY = 500


# Columns that belong to one Hardcover book: they are cleared when a link moves to another book.
_BOOK_STATE: LinkChanges = {
    "user_book_id": None,
    "read_id": None,
    "last_progress": None,
    "last_progress_seconds": None,
    "last_written_at": None,
}


class LinkRepo(Repo):
    """One link per (user, source, source item)."""

    def get(self, user_id: str, source: str, source_item_id: str) -> Link | None:
        """The link of a source item, ``None`` when there is none."""
        with self._db.reading() as session:
            return _find(session, user_id, source, source_item_id)

    def upsert(self, user_id: str, source: str, source_item_id: str, **changes: Unpack[LinkChanges]) -> Link:
        """Create the link or change the given columns of it; returns the row as stored."""
        now = self._now()
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            keys = {"user_id": user_id, "source": source, "source_item_id": source_item_id}
            values: dict[str, Any] = {**changes, "updated_at": now}
            upsert(session, Link, {**keys, **values}, list(keys), values)
            found = _find(session, user_id, source, source_item_id)
            assert found is not None
            return found

    def pin(
        self,
        user_id: str,
        source: str,
        source_item_id: str,
        book_id: int,
        edition_id: int | None = None,
        *,
        method: LinkMethod = LinkMethod.PIN,
    ) -> Link:
        """Pin the item to a book (M1: never re-matched), clearing what belonged to another book; the
        item's settled source state is forgotten, so that the next plain sync writes it (and only it)."""
        with self._db.transaction() as session:
            existing = _find(session, user_id, source, source_item_id)
            moved = existing is not None and existing.hardcover_book_id != book_id
            changes: LinkChanges = {
                "hardcover_book_id": book_id,
                "hardcover_edition_id": edition_id,
                "method": method,
                "score": None,
                "pinned": True,
                "status": MatchOutcome.LINKED,
                "unmatched_until": None,
                "source_fingerprint": None,
            }
            if moved:
                changes = {**_BOOK_STATE, **changes}
            return self.upsert(user_id, source, source_item_id, **changes)

    def unpin(self, user_id: str, source: str, source_item_id: str) -> Link:
        """Release a pin: the next run matches the item again."""
        self._require(user_id, source, source_item_id)
        return self.upsert(
            user_id, source, source_item_id, pinned=False, identifiers_hash=None, source_fingerprint=None
        )

    def set_sync_enabled(self, user_id: str, source: str, source_item_id: str, enabled: bool) -> Link:
        """Switch syncing of one item on or off."""
        self._require(user_id, source, source_item_id)
        return self.upsert(user_id, source, source_item_id, sync_enabled=enabled)

    def mark_unmatched(
        self,
        user_id: str,
        source: str,
        source_item_id: str,
        until: datetime,
        metadata_hash: str | None = None,
    ) -> Link:
        """Record that nothing matched; the item is not searched again before ``until`` (M4).

        A pinned link is left alone (M1) and returned unchanged."""
        with self._db.transaction() as session:
            existing = _find(session, user_id, source, source_item_id)
            if existing is not None and existing.pinned:
                return existing
            changes: LinkChanges = {
                **_BOOK_STATE,
                "status": MatchOutcome.UNMATCHED,
                "unmatched_until": until,
                "metadata_hash": metadata_hash,
                "hardcover_book_id": None,
                "hardcover_edition_id": None,
                "method": None,
                "score": None,
            }
            return self.upsert(user_id, source, source_item_id, **changes)

    def record_written(
        self,
        user_id: str,
        source: str,
        source_item_id: str,
        progress: float,
        seconds: float | None,
        at: datetime,
    ) -> Link:
        """Remember the progress last written to Hardcover (for P4 and P5)."""
        self._require(user_id, source, source_item_id)
        return self.upsert(
            user_id,
            source,
            source_item_id,
            last_progress=progress,
            last_progress_seconds=seconds,
            last_written_at=at,
        )

    def list_for_user(self, user_id: str, status: MatchOutcome | None = None) -> list[Link]:
        """The user's links, optionally of one status, in a stable order."""
        query = select(Link).where(Link.user_id == user_id)
        if status is not None:
            query = query.where(Link.status == status)
        with self._db.reading() as session:
            return list(session.scalars(query.order_by(Link.source, Link.source_item_id)))

    def states(self, user_id: str, source: str, source_item_ids: Collection[str]) -> dict[str, LinkState]:
        """The links of these items of one source by item id, as plain rows (items without one: absent)."""
        found: dict[str, LinkState] = {}
        ids = sorted(set(source_item_ids))
        with self._db.reading() as session:
            for start in range(0, len(ids), _KEYS_PER_QUERY):
                query = select(*_STATE_COLUMNS).where(
                    Link.user_id == user_id,
                    Link.source == source,
                    Link.source_item_id.in_(ids[start : start + _KEYS_PER_QUERY]),
                )
                for row in session.execute(query):
                    state = LinkState(*row)
                    found[state.source_item_id] = state
        return found

    def _require(self, user_id: str, source: str, source_item_id: str) -> None:
        if self.get(user_id, source, source_item_id) is None:
            raise NotFound(f"no link for {source} item {source_item_id!r} of user {user_id!r}")


def _find(session: Session, user_id: str, source: str, source_item_id: str) -> Link | None:
    query = select(Link).where(
        Link.user_id == user_id, Link.source == source, Link.source_item_id == source_item_id
    )
    # populate_existing: an upsert bypasses the session, so a row it already holds may be stale.
    return session.scalar(query.execution_options(populate_existing=True))


class ProgressHistoryRepo(Repo):
    """Every progress observation of a source item, written or not."""

    def record(
        self,
        user_id: str,
        source: str,
        source_item_id: str,
        progress: float,
        *,
        seconds: float | None = None,
        pages: int | None = None,
        is_finished: bool = False,
        hardcover_book_id: int | None = None,
        written: bool = False,
        observed_at: datetime | None = None,
    ) -> ProgressHistory:
        """Append one observation (``observed_at`` defaults to now)."""
        now = self._now()
        row = ProgressHistory(
            user_id=user_id,
            source=source,
            source_item_id=source_item_id,
            progress=progress,
            seconds=seconds,
            pages=pages,
            is_finished=is_finished,
            hardcover_book_id=hardcover_book_id,
            written=written,
            observed_at=observed_at or now,
        )
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            session.add(row)
            session.flush()
        return row

    def list_for_user(self, user_id: str, *, limit: int = 5000) -> list[ProgressHistory]:
        """The user's newest ``limit`` observations of every item, oldest first (for statistics)."""
        query = (
            select(ProgressHistory)
            .where(ProgressHistory.user_id == user_id)
            .order_by(ProgressHistory.observed_at.desc(), ProgressHistory.id.desc())
            .limit(limit)
        )
        with self._db.reading() as session:
            return list(reversed(list(session.scalars(query))))

    def list_for_item(self, user_id: str, source: str, source_item_id: str) -> list[ProgressHistory]:
        """The observations of one item, oldest first."""
        with self._db.reading() as session:
            return list(
                session.scalars(
                    select(ProgressHistory)
                    .where(
                        ProgressHistory.user_id == user_id,
                        ProgressHistory.source == source,
                        ProgressHistory.source_item_id == source_item_id,
                    )
                    .order_by(ProgressHistory.observed_at, ProgressHistory.id)
                )
            )
