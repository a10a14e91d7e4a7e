"""The wanted ledger (W1, W4) and the lookup cache with its negative entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bookrelay.errors import NotFound
from bookrelay.matching.outcome import CacheKind
from bookrelay.store.models import LookupCacheEntry, Wanted, WantedState
from bookrelay.store.repositories._base import Repo, ensure_user, upsert


def default_backoff(attempts: int) -> timedelta:
    """Hours doubling with each failed attempt (1 h, 2 h, 4 h, …), at most a week."""
    return min(timedelta(hours=2 ** max(attempts - 1, 0)), timedelta(days=7))


class WantedRepo(Repo):
    """What the wanted job did for each Hardcover book of a user."""

    def get(self, user_id: str, hardcover_book_id: int) -> Wanted | None:
        """The ledger row of a book, ``None`` when the book was never handled."""
        with self._db.reading() as session:
            return _find(session, user_id, hardcover_book_id)

    def record(
        self,
        user_id: str,
        hardcover_book_id: int,
        state: WantedState,
        *,
        title: str | None = None,
        reason: str | None = None,
        bookshelf_book_id: int | None = None,
    ) -> Wanted:
        """Record that a book was added to Bookshelf or found there already (W2); clears any retry."""
        now = self._now()
        values: dict[str, Any] = {
            "state": state,
            "reason": reason,
            "bookshelf_book_id": bookshelf_book_id,
            "next_retry_at": None,
            "updated_at": now,
        }
        if title is not None:
            values["title"] = title
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            keys = {"user_id": user_id, "hardcover_book_id": hardcover_book_id}
            upsert(session, Wanted, {**keys, **values}, list(keys), values)
            found = _find(session, user_id, hardcover_book_id)
            assert found is not None
            return found

    def mark_failed(
        self,
        user_id: str,
        hardcover_book_id: int,
        reason: str,
        *,
        title: str | None = None,
        backoff: Callable[[int], timedelta] = default_backoff,
    ) -> Wanted:
        """Count a failed attempt and schedule the next one after ``backoff(attempts)`` (W4)."""
        now = self._now()
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            row = _find(session, user_id, hardcover_book_id, for_update=True)
            if row is None:
                row = Wanted(user_id=user_id, hardcover_book_id=hardcover_book_id, attempts=0)
                session.add(row)
            row.attempts = (row.attempts or 0) + 1
            row.state = WantedState.FAILED
            row.reason = reason
            row.title = title if title is not None else row.title
            row.next_retry_at = now + backoff(row.attempts)
            row.updated_at = now
            session.flush()
            return row

    def retry_now(self, user_id: str, hardcover_book_id: int) -> Wanted:
        """Make a failed book due at once (the user asked); NotFound when the ledger has no such failure."""
        now = self._now()
        with self._db.transaction() as session:
            row = _find(session, user_id, hardcover_book_id, for_update=True)
            if row is None or row.state != WantedState.FAILED:
                raise NotFound(f"no failed wanted book {hardcover_book_id} for user {user_id}")
            row.next_retry_at = now
            row.updated_at = now
            session.flush()
            return row

    def due_for_retry(self, user_id: str) -> list[Wanted]:
        """Failed books whose next attempt is due now."""
        now = self._now()
        with self._db.reading() as session:
            return list(
                session.scalars(
                    select(Wanted)
                    .where(
                        Wanted.user_id == user_id,
                        Wanted.state == WantedState.FAILED,
                        or_(Wanted.next_retry_at.is_(None), Wanted.next_retry_at <= now),
                    )
                    .order_by(Wanted.hardcover_book_id)
                )
            )

    def list_for_user(self, user_id: str, state: WantedState | None = None) -> list[Wanted]:
        """The user's ledger, optionally of one state."""
        query = select(Wanted).where(Wanted.user_id == user_id)
        if state is not None:
            query = query.where(Wanted.state == state)
        with self._db.reading() as session:
            return list(session.scalars(query.order_by(Wanted.hardcover_book_id)))


def _find(session: Session, user_id: str, book_id: int, *, for_update: bool = False) -> Wanted | None:
    query = select(Wanted).where(Wanted.user_id == user_id, Wanted.hardcover_book_id == book_id)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


@dataclass(frozen=True, slots=True)
class Cached:
    """A live cache entry; ``value`` is ``None`` for a negative entry (the lookup found nothing)."""

    value: Any
    expires_at: datetime

    @property
    def negative(self) -> bool:
        """Whether the cached answer is "nothing found"."""
        return self.value is None


class LookupCacheRepo(Repo):
    """Answers of identifier and search lookups, each with an expiry."""

    def get(self, kind: CacheKind, key: str) -> Cached | None:
        """The live entry for a key; ``None`` when absent or expired."""
        with self._db.reading() as session:
            row = session.scalar(
                select(LookupCacheEntry).where(
                    LookupCacheEntry.kind == kind,
                    LookupCacheEntry.key == key,
                    LookupCacheEntry.expires_at > self._now(),
                )
            )
        return None if row is None else Cached(row.value, row.expires_at)

    def put(self, kind: CacheKind, key: str, value: Any, ttl: timedelta) -> None:
        """Cache ``value`` (not None: use put_negative) for ``ttl``, replacing any entry."""
        if value is None:
            raise ValueError("use put_negative to cache that nothing was found")
        self._put(kind, key, value, ttl)

    def put_negative(self, kind: CacheKind, key: str, ttl: timedelta) -> None:
        """Cache that the lookup found nothing, for ``ttl``."""
        self._put(kind, key, None, ttl)

    def purge_expired(self) -> int:
        """Delete expired entries; how many went."""
        with self._db.transaction() as session:
            result = session.execute(
                delete(LookupCacheEntry).where(LookupCacheEntry.expires_at <= self._now())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def _put(self, kind: CacheKind, key: str, value: Any, ttl: timedelta) -> None:
        expires_at = self._now() + ttl
        with self._db.transaction() as session:
            upsert(
                session,
                LookupCacheEntry,
                {"kind": kind, "key": key, "value": value, "expires_at": expires_at},
                ["kind", "key"],
                {"value": value, "expires_at": expires_at},
            )
