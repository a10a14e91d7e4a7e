"""Job runs with their events, and the outbox of intended writes (P11)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookrelay.errors import NotFound
from bookrelay.redact import redact
from bookrelay.store.models import OutboxEntry, OutboxState, Run, RunEvent, RunStatus
from bookrelay.store.repositories._base import Repo, ensure_user, upsert


class RunRepo(Repo):
    """Runs of the jobs; messages are redacted before they are stored (S1)."""

    def start(self, user_id: str, job: str, *, dry_run: bool = False) -> Run:
        """Record a run as started now, status ``running``."""
        return self._add(user_id, job, dry_run, RunStatus.RUNNING)

    def queue(self, user_id: str, job: str, *, dry_run: bool = False) -> Run:
        """Record a run that waits to be started (:meth:`begin`), status ``queued``."""
        return self._add(user_id, job, dry_run, RunStatus.QUEUED)

    def begin(self, run_id: int) -> Run:
        """Mark a queued run as running from now (its start time becomes now; the wait is noted as an
        event); a run that is no longer queued is returned unchanged."""
        with self._db.transaction() as session:
            run = self._get(session, run_id)
            if run.status is RunStatus.QUEUED:
                now = self._now()
                waited = max(0.0, (now - run.started_at).total_seconds()) if run.started_at else 0.0
                session.add(
                    RunEvent(
                        run_id=run_id,
                        kind="queued",
                        message=f"started after {waited:.0f} s in the queue",
                        level="info",
                        at=now,
                        data={"waited_seconds": round(waited, 1)},
                    )
                )
                run.status, run.started_at = RunStatus.RUNNING, now
                session.flush()
            return run

    def _add(self, user_id: str, job: str, dry_run: bool, status: RunStatus) -> Run:
        now = self._now()
        run = Run(user_id=user_id, job=job, started_at=now, status=status, dry_run=dry_run)
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            session.add(run)
            session.flush()
        return run

    def add_events(self, run_id: int, events: Iterable[dict[str, Any]]) -> int:
        """Append events to a run in one transaction, each a dict of ``kind``, ``message`` and optionally
        ``level`` (info), ``item``, ``data`` and ``at`` (now); NotFound when there is no such run."""
        now = self._now()
        rows = [
            RunEvent(
                run_id=run_id,
                kind=e["kind"],
                message=redact(e["message"]),
                level=e.get("level", "info"),
                item=e.get("item"),
                data=e.get("data"),
                at=e.get("at") or now,
            )
            for e in events
        ]
        if not rows:
            return 0
        with self._db.transaction() as session:
            self._get(session, run_id)
            session.add_all(rows)
            session.flush()
        return len(rows)

    def finish(
        self,
        run_id: int,
        status: RunStatus,
        summary: dict[str, Any] | None = None,
        units: int = 0,
        error: str | None = None,
    ) -> Run:
        """Close a run with its outcome, summary and the Hardcover units it spent."""
        with self._db.transaction() as session:
            run = self._get(session, run_id)
            run.status = status
            run.summary = summary
            run.hardcover_units = units
            run.error = redact(error) if error else None
            run.finished_at = self._now()
            session.flush()
            return run

    def recent(
        self,
        n: int = 20,
        *,
        user_id: str | None = None,
        job: str | None = None,
        status: RunStatus | None = None,
    ) -> list[Run]:
        """The ``n`` latest runs, newest first, optionally of one user, job and status."""
        query = select(Run)
        if user_id is not None:
            query = query.where(Run.user_id == user_id)
        if job is not None:
            query = query.where(Run.job == job)
        if status is not None:
            query = query.where(Run.status == status)
        with self._db.reading() as session:
            return list(session.scalars(query.order_by(Run.started_at.desc(), Run.id.desc()).limit(n)))

    def get_with_events(self, run_id: int) -> tuple[Run, list[RunEvent]]:
        """A run and its events in order; NotFound when there is no such run."""
        with self._db.reading() as session:
            run = self._get(session, run_id)
            events = list(
                session.scalars(select(RunEvent).where(RunEvent.run_id == run_id).order_by(RunEvent.id))
            )
            return run, events

    @staticmethod
    def _get(session: Session, run_id: int) -> Run:
        run = session.get(Run, run_id)
        if run is None:
            raise NotFound(f"no run {run_id}")
        return run


class OutboxRepo(Repo):
    """Writes intended for a service, each under an idempotency key unique per user."""

    def add(
        self, user_id: str, key: str, action: dict[str, Any], *, run_id: int | None = None
    ) -> OutboxEntry:
        """Record a pending write; a key already recorded returns the existing row unchanged."""
        now = self._now()
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            row = {
                "user_id": user_id,
                "key": key,
                "action": action,
                "run_id": run_id,
                "state": OutboxState.PENDING,
                "created_at": now,
                "updated_at": now,
            }
            upsert(session, OutboxEntry, row, ["user_id", "key"])
            entry = session.scalar(
                select(OutboxEntry)
                .where(OutboxEntry.user_id == user_id, OutboxEntry.key == key)
                .execution_options(populate_existing=True)
            )
            assert entry is not None
            return entry

    def mark_sent(self, entry_id: int) -> OutboxEntry:
        """The write was sent; its outcome is not known yet (re-read before retrying it)."""
        return self._set_state(entry_id, OutboxState.SENT, None)

    def mark_done(self, entry_id: int) -> OutboxEntry:
        """The write is known to have happened."""
        return self._set_state(entry_id, OutboxState.DONE, None)

    def mark_failed(self, entry_id: int, error: str) -> OutboxEntry:
        """The write surely did not happen and is given up; ``error`` says why."""
        return self._set_state(entry_id, OutboxState.FAILED, redact(error))

    def pending(self, user_id: str, *, include_sent: bool = True) -> list[OutboxEntry]:
        """Unfinished writes of a user, oldest first: pending, and sent (outcome unknown) by default."""
        states: Iterable[OutboxState] = (
            (OutboxState.PENDING, OutboxState.SENT) if include_sent else (OutboxState.PENDING,)
        )
        with self._db.reading() as session:
            return list(
                session.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.user_id == user_id, OutboxEntry.state.in_(list(states)))
                    .order_by(OutboxEntry.id)
                )
            )

    def unsettled(self, user_id: str) -> list[OutboxEntry]:
        """Every write of a user not known to be done (pending, sent or failed), oldest first: what the
        next run must re-read and may have to correct (P11)."""
        with self._db.reading() as session:
            return list(
                session.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.user_id == user_id, OutboxEntry.state != OutboxState.DONE)
                    .order_by(OutboxEntry.id)
                )
            )

    def settle(self, entry_ids: Iterable[int], note: str) -> int:
        """Close unsettled entries whose item a later run brought to its intended state; returns how many.

        They become ``done`` with ``note`` kept as the reason, so that they are never corrected again."""
        ids = list(entry_ids)
        if not ids:
            return 0
        with self._db.transaction() as session:
            rows = session.scalars(
                select(OutboxEntry).where(OutboxEntry.id.in_(ids), OutboxEntry.state != OutboxState.DONE)
            ).all()
            now = self._now()
            for row in rows:
                row.state, row.error, row.updated_at = OutboxState.DONE, note, now
            return len(rows)

    def get(self, user_id: str, key: str) -> OutboxEntry | None:
        """The entry recorded under a key, ``None`` when there is none."""
        with self._db.reading() as session:
            return session.scalar(
                select(OutboxEntry).where(OutboxEntry.user_id == user_id, OutboxEntry.key == key)
            )

    def _set_state(self, entry_id: int, state: OutboxState, error: str | None) -> OutboxEntry:
        with self._db.transaction() as session:
            entry = session.get(OutboxEntry, entry_id)
            if entry is None:
                raise NotFound(f"no outbox entry {entry_id}")
            entry.state = state
            entry.error = error
            entry.updated_at = self._now()
            session.flush()
            return entry
