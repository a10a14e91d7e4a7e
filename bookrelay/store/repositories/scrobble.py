"""The scrobble job's memory: what the last run saw on both sides of each thing (S12)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from bookrelay.store.models import ScrobbleState
from bookrelay.store.repositories._base import Repo, ensure_user, upsert


class ScrobbleStateRepo(Repo):
    """One snapshot per (user, feature, key)."""

    def get(self, user_id: str, feature: str, key: str) -> Any | None:
        """The snapshot, None when there is none."""
        with self._db.reading() as session:
            return session.scalar(
                select(ScrobbleState.value).where(
                    ScrobbleState.user_id == user_id,
                    ScrobbleState.feature == feature,
                    ScrobbleState.key == key,
                )
            )

    def all(self, user_id: str, feature: str) -> dict[str, Any]:
        """Every snapshot of a feature, by key."""
        with self._db.reading() as session:
            rows = session.execute(
                select(ScrobbleState.key, ScrobbleState.value).where(
                    ScrobbleState.user_id == user_id, ScrobbleState.feature == feature
                )
            )
            return {key: value for key, value in rows}

    def put(self, user_id: str, feature: str, key: str, value: Any) -> None:
        """Store (or replace) a snapshot."""
        now = self._now()
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            keys = {"user_id": user_id, "feature": feature, "key": key}
            values = {"value": value, "updated_at": now}
            upsert(session, ScrobbleState, {**keys, **values}, list(keys), values)

    def updated_at(self, user_id: str, feature: str, key: str) -> datetime | None:
        """When a snapshot was last stored."""
        with self._db.reading() as session:
            return session.scalar(
                select(ScrobbleState.updated_at).where(
                    ScrobbleState.user_id == user_id,
                    ScrobbleState.feature == feature,
                    ScrobbleState.key == key,
                )
            )

    def forget(self, user_id: str, feature: str, key: str) -> None:
        """Drop a snapshot."""
        with self._db.transaction() as session:
            session.execute(
                delete(ScrobbleState).where(
                    ScrobbleState.user_id == user_id,
                    ScrobbleState.feature == feature,
                    ScrobbleState.key == key,
                )
            )
