"""What every repository shares: the database, the clock, and a portable insert-or-update."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bookrelay.store.db import Database
from bookrelay.store.models import Base, User

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Repo:
    """Base of the repositories: each method is one transaction unless called inside an outer one."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock()


def upsert(
    session: Session,
    model: type[Base],
    values: dict[str, Any],
    keys: Sequence[str],
    update: dict[str, Any] | None = None,
) -> None:
    """INSERT ``values``; when a row with the same ``keys`` exists, apply ``update`` to it (or keep
    it unchanged when ``update`` is empty). Atomic on both backends, so concurrent writers cannot
    create duplicates."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values)
    if update:
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=update)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    session.execute(statement)


def ensure_user(session: Session, user_id: str, now: datetime) -> None:
    """Create the user row when missing, so that writes for a configured user never trip the foreign key."""
    upsert(session, User, {"id": user_id, "created_at": now}, ["id"])
