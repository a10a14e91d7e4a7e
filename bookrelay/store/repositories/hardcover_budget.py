"""Hardcover's budget per token, kept in the store so that every worker process spends it once (N1).

Hardcover refills 60 units a minute into a bucket of 10 and allows 5,000 a day per token; the day
ends at midnight UTC (ref/hardcover.md §3). One row per token (keyed by a hash of it) holds the bucket
level and today's count. Each request reserves its units inside a write transaction that locks the row
(``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two processes can never
both take the same unit: the sum of what all of them send in any window of ``t`` seconds stays within
``burst + rate * t``. Like the local bucket, a reservation may take the level below zero; the caller
then waits until its units have refilled, which keeps concurrent callers in a fair queue.

Time is the store's clock: on several machines their clocks must agree (NTP); a clock that lags only
refills less (the safe side).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookrelay.errors import ConfigError, QuotaExhausted
from bookrelay.store.models import HardcoverBudget
from bookrelay.store.repositories._base import Repo, upsert

SERVICE = "hardcover"


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """A token's limits: units refilled per minute, the bucket's size (burst) and units per UTC day."""

    per_minute: float = 60.0
    burst: float = 10.0
    daily: int = 5000

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst <= 0 or self.daily < 1:
            raise ConfigError("per_minute, burst and daily must be positive", place="global.hardcover")

    @property
    def rate(self) -> float:
        """Units refilled per second."""
        return self.per_minute / 60.0


@dataclass(frozen=True, slots=True)
class BudgetUsage:
    """What the store holds for one token now (after refilling)."""

    level: float
    day: str
    used_today: int


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _seconds_to_midnight(moment: datetime) -> float:
    midnight = datetime.combine(moment.date() + timedelta(days=1), time(0), tzinfo=moment.tzinfo)
    return (midnight - moment).total_seconds()


class HardcoverBudgetRepo(Repo):
    """Reserves, corrects and reports the shared budget of Hardcover tokens (see the module docstring)."""

    def reserve(self, token_hash: str, units: int, policy: BudgetPolicy) -> float:
        """Take ``units`` and return the seconds to wait before sending them; raises QuotaExhausted
        (nothing taken) when today's count would pass ``policy.daily``."""
        now = self._now()
        with self._db.transaction() as session:
            row = self._locked(session, token_hash, policy, now)
            if row.used_today + units > policy.daily:
                raise QuotaExhausted(
                    f"the daily budget of this Hardcover token ({policy.daily} units, shared by every "
                    f"worker) is spent ({policy.daily - row.used_today} left, {units} needed); "
                    "continue after midnight UTC",
                    service=SERVICE,
                    resets_in=_seconds_to_midnight(now),
                )
            row.level -= units
            row.used_today += units
            return 0.0 if row.level >= 0 else -row.level / policy.rate

    def correct(
        self,
        token_hash: str,
        policy: BudgetPolicy,
        *,
        minute_remaining: int | None,
        daily_remaining: int | None,
    ) -> None:
        """Lower the level and raise today's count to what Hardcover said; never the other way (the
        server may not have seen our other processes' requests yet)."""
        now = self._now()
        with self._db.transaction() as session:
            row = self._locked(session, token_hash, policy, now)
            if minute_remaining is not None:
                row.level = min(row.level, float(minute_remaining))
            if daily_remaining is not None:
                row.used_today = max(row.used_today, policy.daily - daily_remaining)

    def usage(self, token_hash: str, policy: BudgetPolicy) -> BudgetUsage:
        """The token's level and today's count (a full bucket and zero for an unknown token)."""
        now = self._now()
        with self._db.reading() as session:
            row = session.get(HardcoverBudget, token_hash)
            if row is None:
                return BudgetUsage(policy.burst, _day(now), 0)
            level = _refilled(row, policy, now)
            return BudgetUsage(level, _day(now), row.used_today if row.day == _day(now) else 0)

    def _locked(
        self, session: Session, token_hash: str, policy: BudgetPolicy, now: datetime
    ) -> HardcoverBudget:
        """The token's row, created full when missing, locked, refilled up to ``now``; a new UTC day
        starts its count at zero."""
        fresh = {
            "token_hash": token_hash,
            "level": float(policy.burst),
            "updated_at": now,
            "day": _day(now),
            "used_today": 0,
        }
        upsert(session, HardcoverBudget, fresh, ["token_hash"])
        # FOR UPDATE: PostgreSQL holds other writers here; SQLite renders nothing and relies on the
        # BEGIN IMMEDIATE of the store's write transactions.
        query = select(HardcoverBudget).where(HardcoverBudget.token_hash == token_hash).with_for_update()
        row = session.scalars(query.execution_options(populate_existing=True)).one()
        row.level = _refilled(row, policy, now)
        row.updated_at = max(now, row.updated_at)
        if row.day != _day(now):
            row.day, row.used_today = _day(now), 0
        return row


def _refilled(row: HardcoverBudget, policy: BudgetPolicy, now: datetime) -> float:
    # A clock behind the row's stamp refills nothing rather than something negative.
    elapsed = max(0.0, (now - row.updated_at).total_seconds())
    return min(float(policy.burst), row.level + elapsed * policy.rate)


class SharedBudgetGate:
    """A :class:`bookrelay.connectors.hardcover.gate.BudgetGate` on :class:`HardcoverBudgetRepo`; the
    blocking database work runs in a thread so that the event loop keeps serving other users."""

    def __init__(self, repo: HardcoverBudgetRepo, policy: BudgetPolicy) -> None:
        self.repo = repo
        self.policy = policy

    async def reserve(self, key: str, units: int) -> float:
        """Take ``units`` of the token ``key`` from the store; seconds to wait (QuotaExhausted when spent)."""
        return await asyncio.to_thread(self.repo.reserve, key, units, self.policy)

    async def correct(self, key: str, *, minute_remaining: int | None, daily_remaining: int | None) -> None:
        """Lower the stored budget of ``key`` to what Hardcover's headers said."""
        await asyncio.to_thread(
            self.repo.correct,
            key,
            self.policy,
            minute_remaining=minute_remaining,
            daily_remaining=daily_remaining,
        )
