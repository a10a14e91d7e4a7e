"""Audible's limits per user, kept in the store so that they hold across processes.

Amazon does not publish Audible's rate limits; bookrelay keeps well below what the apps do: at most
one Audible sync per user every ``min_interval`` and at most ``daily_cap`` requests per user and UTC
calendar day. Both are checked and counted on one row per user (``audible_calls``) inside a write
transaction that locks it: ``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite (the
store's write transactions start that way), so two processes starting at once cannot both pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookrelay.errors import ConfigError, QuotaExhausted, RateLimited
from bookrelay.store.models import AudibleCalls
from bookrelay.store.repositories._base import Repo, ensure_user, upsert

SERVICE = "audible"
DEFAULT_MIN_INTERVAL = timedelta(minutes=15)
DEFAULT_DAILY_CAP = 600


@dataclass(frozen=True, slots=True)
class AudibleLimits:
    """The two limits: time between the starts of two Audible syncs, and requests per UTC day."""

    min_interval: timedelta = DEFAULT_MIN_INTERVAL
    daily_cap: int = DEFAULT_DAILY_CAP

    def __post_init__(self) -> None:
        if self.min_interval < timedelta(0):
            raise ConfigError("must not be negative", place="audible.min_interval_minutes")
        if self.daily_cap < 1:
            raise ConfigError("must be at least 1", place="audible.daily_cap")


@dataclass(frozen=True, slots=True)
class AudibleUsage:
    """What the store counted for one user."""

    last_sync_at: datetime | None
    day: str
    calls: int


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _next_day(moment: datetime) -> datetime:
    return datetime.combine(moment.date() + timedelta(days=1), time(0), tzinfo=moment.tzinfo)


def _shown(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


class AudibleCallRepo(Repo):
    """Checks and counts a user's Audible syncs and requests (see the module docstring)."""

    def begin_sync(self, user_id: str, limits: AudibleLimits) -> datetime:
        """Record the start of an Audible sync and return its time; raises RateLimited (with
        ``retry_after``) naming when the next sync is allowed if the last one started less than
        ``min_interval`` ago, and QuotaExhausted if today's requests already reached the cap."""
        now = self._now()
        with self._db.transaction() as session:
            row = self._locked(session, user_id, now)
            if row.last_sync_at is not None and row.last_sync_at + limits.min_interval > now:
                allowed = row.last_sync_at + limits.min_interval
                minutes = limits.min_interval.total_seconds() / 60
                raise RateLimited(
                    f"the last Audible sync of user {user_id} started at {_shown(row.last_sync_at)}; "
                    f"at most one every {minutes:g} min: next sync allowed at {_shown(allowed)}",
                    service=SERVICE,
                    retry_after=(allowed - now).total_seconds(),
                )
            if row.calls >= limits.daily_cap:
                raise self._cap_reached(user_id, limits, now)
            row.last_sync_at = now
            row.updated_at = now
        return now

    def take(self, user_id: str, limits: AudibleLimits, count: int = 1) -> int:
        """Count ``count`` Audible requests of today and return how many are left; raises
        QuotaExhausted (nothing counted) when they would pass the daily cap."""
        now = self._now()
        with self._db.transaction() as session:
            row = self._locked(session, user_id, now)
            if row.calls + count > limits.daily_cap:
                raise self._cap_reached(user_id, limits, now)
            row.calls += count
            row.updated_at = now
            return limits.daily_cap - row.calls

    def usage(self, user_id: str) -> AudibleUsage:
        """The user's last sync start and today's count (zero on a new day or for a new user)."""
        now = self._now()
        with self._db.reading() as session:
            row = session.get(AudibleCalls, user_id)
            if row is None:
                return AudibleUsage(None, _day(now), 0)
            calls = row.calls if row.day == _day(now) else 0
            return AudibleUsage(row.last_sync_at, _day(now), calls)

    def _locked(self, session: Session, user_id: str, now: datetime) -> AudibleCalls:
        """The user's row, created when missing, locked until the transaction ends; a new UTC day
        starts its count at zero."""
        ensure_user(session, user_id, now)
        fresh = {"user_id": user_id, "last_sync_at": None, "day": _day(now), "calls": 0, "updated_at": now}
        upsert(session, AudibleCalls, fresh, ["user_id"])
        # FOR UPDATE: PostgreSQL holds other writers here; SQLite renders nothing and relies on the
        # BEGIN IMMEDIATE of the store's write transactions.
        query = select(AudibleCalls).where(AudibleCalls.user_id == user_id).with_for_update()
        row = session.scalars(query.execution_options(populate_existing=True)).one()
        if row.day != _day(now):
            row.day, row.calls = _day(now), 0
        return row

    @staticmethod
    def _cap_reached(user_id: str, limits: AudibleLimits, now: datetime) -> QuotaExhausted:
        resets = _next_day(now)
        return QuotaExhausted(
            f"user {user_id} made the {limits.daily_cap} Audible requests allowed today; "
            f"next sync allowed at {_shown(resets)}",
            service=SERVICE,
            resets_in=(resets - now).total_seconds(),
        )
