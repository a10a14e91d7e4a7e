"""Run leases: one run of a job per user at a time, across processes (P11).

The lease is one row per user and job, taken in a write transaction that locks it (``SELECT … FOR
UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two processes starting at once cannot both
take it. The holder renews it while its run goes and gives it back at the end; a lease whose time ran
out, or whose process on this same host is gone (a kill -9), may be taken over.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bookrelay.store.models import RunLease
from bookrelay.store.repositories._base import Repo, ensure_user, upsert


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease as its holder took it: ``token`` proves it is theirs when they renew or give it back."""

    user_id: str
    job: str
    token: str
    holder: str
    host: str
    pid: int
    started_at: datetime
    expires_at: datetime


def _lease(row: RunLease) -> Lease:
    return Lease(
        row.user_id,
        row.job,
        row.token or "",
        row.holder or "another process",
        row.host or "",
        row.pid or 0,
        row.started_at or row.expires_at or datetime.min,
        row.expires_at or datetime.min,
    )


class LeaseRepo(Repo):
    """Takes, renews and gives back the lease of a user's job (see the module docstring)."""

    def acquire(
        self,
        user_id: str,
        job: str,
        *,
        holder: str,
        host: str,
        pid: int,
        ttl: timedelta,
        gone: Callable[[Lease], bool] = lambda _: False,
    ) -> tuple[Lease | None, Lease | None]:
        """``(ours, None)`` when the lease was free, expired or held by a process that is ``gone``;
        ``(None, theirs)`` when another run holds it now."""
        now = self._now()
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            upsert(session, RunLease, {"user_id": user_id, "job": job}, ["user_id", "job"])
            query = select(RunLease).where(RunLease.user_id == user_id, RunLease.job == job).with_for_update()
            row = session.scalars(query.execution_options(populate_existing=True)).one()
            held = row.token is not None and row.expires_at is not None and row.expires_at > now
            if held and not gone(_lease(row)):
                return None, _lease(row)
            row.token, row.holder, row.host, row.pid = secrets.token_hex(16), holder[:64], host[:255], pid
            row.started_at, row.expires_at = now, now + ttl
            session.flush()
            return _lease(row), None

    def renew(self, lease: Lease, ttl: timedelta) -> bool:
        """Extend our lease by ``ttl`` from now; False when it is no longer ours (taken over)."""
        now = self._now()
        with self._db.transaction() as session:
            row = session.get(RunLease, (lease.user_id, lease.job), with_for_update=True)
            if row is None or row.token != lease.token:
                return False
            row.expires_at = now + ttl
            return True

    def release(self, lease: Lease) -> None:
        """Give our lease back (nothing happens when it is no longer ours)."""
        with self._db.transaction() as session:
            row = session.get(RunLease, (lease.user_id, lease.job), with_for_update=True)
            if row is not None and row.token == lease.token:
                row.token = row.expires_at = None

    def current(self, user_id: str, job: str) -> Lease | None:
        """The lease held now, None when free or expired."""
        now = self._now()
        with self._db.reading() as session:
            row = session.get(RunLease, (user_id, job))
            if row is None or row.token is None or row.expires_at is None or row.expires_at <= now:
                return None
            return _lease(row)
