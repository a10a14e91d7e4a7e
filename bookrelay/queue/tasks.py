"""The procrastinate app of bookrelay: its connector, its one task, and the retry rule of the error tree.

One task, ``bookrelay.run_job``, runs one job for one user. Deferred with ``lock="user:<id>"`` so that a
user's runs never overlap on any worker (procrastinate starts a job only when no job with its lock is
running or waiting before it) and, for whole runs, ``queueing_lock="<user>:<job>[:dry]"`` so that the
same run is never waiting twice.

Retries follow ``bookrelay.errors`` (the job reports which error stopped it, see
:class:`RunFailed`): an auth, configuration or answer error is not retried (a person must act); a
spent daily budget waits until Hardcover's next day (midnight UTC); an unreachable or rate-limiting
service is retried with exponential backoff.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import procrastinate
from procrastinate import RetryDecision
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy
from sqlalchemy.engine import make_url

from bookrelay.errors import ConfigError

TASK_NAME = "bookrelay.run_job"
QUEUE = "bookrelay"
RUNTIME_KEY = "bookrelay"  # the worker's additional_context entry that holds its WorkerRuntime

NOT_RETRIED = frozenset({"AuthError", "ConfigError", "BadResponse", "NotFound"})
BACKED_OFF = frozenset({"ServiceUnavailable", "RateLimited"})
QUOTA = "QuotaExhausted"


class RunFailed(Exception):
    """A queued run ended failed; ``kind`` names the ``bookrelay.errors`` class that stopped it."""

    def __init__(self, kind: str | None, message: str, run_id: int) -> None:
        super().__init__(f"run {run_id} failed ({kind or 'unclassified'}): {message}")
        self.kind = kind
        self.run_id = run_id


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and when failed runs are tried again (see :func:`retry_delay`)."""

    max_attempts: int = 6  # attempts after the first
    backoff_base: float = 60.0  # seconds before the first retry of an unreachable service
    backoff_cap: float = 3600.0
    quota_margin: float = 60.0  # seconds after midnight UTC, so that the server's day has surely turned


def retry_delay(
    kind: str | None, attempts: int, now: datetime, policy: RetryPolicy, jitter: float = 1.0
) -> float | None:
    """Seconds until the next attempt of a run stopped by error ``kind`` after ``attempts`` earlier
    retries; None when it is not retried. ``jitter`` (0.5 to 1.0) spreads retries of many users."""
    if kind is None or kind in NOT_RETRIED or attempts >= policy.max_attempts:
        return None
    if kind == QUOTA:
        midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)
        return (midnight - now).total_seconds() + policy.quota_margin
    if kind in BACKED_OFF:
        return min(policy.backoff_cap, policy.backoff_base * 2**attempts) * jitter
    return None  # an unknown kind is a bug: trying again would repeat it


class ErrorTreeRetry(BaseRetryStrategy):
    """procrastinate's retry strategy for :class:`RunFailed` (other exceptions are bugs: no retry)."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._now = now
        self._rng = rng or random.Random()

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        """When ``job`` runs again after ``exception``, or None."""
        kind = exception.kind if isinstance(exception, RunFailed) else None
        now = self._now()
        delay = retry_delay(kind, job.attempts, now, self.policy, 0.5 + 0.5 * self._rng.random())
        if delay is None:
            return None
        return RetryDecision(retry_at=now + timedelta(seconds=delay))


def conninfo_for(database_url: str) -> str:
    """The libpq URI of a SQLAlchemy PostgreSQL URL (the driver name dropped)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError("the queue needs a postgresql:// database", place="global.database")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def build_queue_app(
    database_url: str, *, pool_size: int = 10, retry: BaseRetryStrategy | None = None
) -> procrastinate.App:
    """The procrastinate app on the store's PostgreSQL database with the ``bookrelay.run_job`` task;
    open it (``open_async``) before deferring or working."""
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo_for(database_url), min_size=1, max_size=max(pool_size, 4)
    )
    app = procrastinate.App(connector=connector)

    @app.task(name=TASK_NAME, queue=QUEUE, pass_context=True, retry=retry or ErrorTreeRetry())
    async def run_job(
        context: procrastinate.JobContext,
        *,
        user_id: str,
        job: str,
        dry_run: bool = False,
        items: list[str] | None = None,
        run_id: int | None = None,
    ) -> int:
        runtime: Any = context.additional_context.get(RUNTIME_KEY)
        if runtime is None:
            raise RuntimeError("this worker was started without a bookrelay runtime (bookrelay worker)")
        return int(
            await runtime.perform(
                user_id,
                job,
                dry_run=dry_run,
                items=frozenset(items) if items is not None else None,
                run_id=run_id,
                attempts=context.job.attempts,
            )
        )

    return app


def locks_for(user_id: str, job: str, *, dry_run: bool, whole: bool) -> tuple[str, str | None]:
    """The procrastinate locks of one run: the user's lock (runs never overlap) and, for a whole run
    (not a few items), a queueing lock so that the same run never waits twice."""
    queueing = f"{user_id}:{job}{':dry' if dry_run else ''}" if whole else None
    return f"user:{user_id}", queueing
