"""procrastinate's tables in the store's PostgreSQL database, and what the status page shows of them.

The schema is procrastinate's own ``schema.sql`` for the installed version (pinned below 4), applied
once by ``bookrelay db upgrade`` and on a worker's start; an advisory lock keeps two processes that
start together from applying it twice. Moving to a newer procrastinate with schema changes means
applying its migrations (``procrastinate schema --migrations-path``), as its docs describe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from procrastinate.schema import SchemaManager
from sqlalchemy import Engine, text

from bookrelay.queue.tasks import QUEUE

_LOCK_KEY = 0x626F6F6B72656C  # "bookrel": an arbitrary advisory lock number for schema changes


def apply_queue_schema(engine: Engine) -> bool:
    """Create procrastinate's tables and functions when they are missing; True when it created them."""
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        if connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None:
            return False
        # The raw psycopg connection, without parameters: the schema's '%' signs are not placeholders.
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.execute(SchemaManager.get_schema())
        return True


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """The queue at a glance: runs due and waiting, running, scheduled for later (retries), failed."""

    waiting: int
    running: int
    scheduled: int
    failed: int
    oldest_waiting_since: datetime | None  # when the oldest due run was queued


_STATUS_SQL = text(
    """
    SELECT
      count(*) FILTER (WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())),
      count(*) FILTER (WHERE j.status = 'doing'),
      count(*) FILTER (WHERE j.status = 'todo' AND j.scheduled_at > now()),
      count(*) FILTER (WHERE j.status = 'failed'),
      min(e.at) FILTER (WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now()))
    FROM procrastinate_jobs AS j
    LEFT JOIN procrastinate_events AS e ON e.job_id = j.id AND e.type = 'deferred'
    WHERE j.queue_name = :queue
    """
)


def queue_status(engine: Engine) -> QueueStatus:
    """How many runs wait, run, are scheduled for later and failed, and the oldest waiting one's age."""
    with engine.connect() as connection:
        row = connection.execute(_STATUS_SQL, {"queue": QUEUE}).one()
    return QueueStatus(int(row[0]), int(row[1]), int(row[2]), int(row[3]), row[4])
