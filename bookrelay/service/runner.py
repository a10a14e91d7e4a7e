"""The runner the scheduler calls: one job for one user, recorded, counted and notified.

Each job is a :class:`~bookrelay.sync.runs.Job` given by the composition root
(``bookrelay.app.make_job_runner``); this module
adds what every job needs in service mode: a run id known before the run starts (``reserve``, so the
API can answer 202 with it; the job's :class:`~bookrelay.sync.runs.RunRecorder` begins that run), the
run recorded even when the service stops in the middle, the metrics and the notifications.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

from bookrelay.errors import ConfigError
from bookrelay.redact import redact
from bookrelay.service.metrics import record_report
from bookrelay.service.results import RunResult, from_report
from bookrelay.store.facade import Store
from bookrelay.sync.runs import Job, RunContext, RunRecorder

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the service stopped during the run; the next run continues"


class Notify(Protocol):
    """Sends the notifications a finished run calls for."""

    async def notify(self, result: RunResult) -> object: ...


class RunReservations:
    """What every runner shares: the jobs it knows, and reserving or abandoning a run record."""

    store: Store
    jobs: frozenset[str]

    def reserve(self, user_id: str, job: str, *, dry_run: bool = False) -> int:
        """Record a run as queued now and return its id; it shows as running once it starts."""
        self._check(job)
        return RunRecorder(self.store).reserve(user_id, job, dry_run=dry_run)

    def abandon(self, run_id: int, reason: str) -> None:
        """Close a reserved run that never started, as failed with ``reason``."""
        RunRecorder(self.store).fail(run_id, reason)

    def _check(self, job: str) -> None:
        if job not in self.jobs:
            known = ", ".join(sorted(self.jobs))
            raise ConfigError(f"unknown or unavailable job {job!r} (available: {known})", place="job")


class JobRunner(RunReservations):
    """``async (user_id, job, *, dry_run=False, items=None, run_id=None) -> run id`` with ``reserve``,
    ``abandon`` and ``jobs``: what :class:`bookrelay.service.scheduler.SchedulerService` expects."""

    def __init__(
        self,
        store: Store,
        jobs: Iterable[Job],
        *,
        notifier: Notify | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._jobs = {job.name: job for job in jobs}
        self.jobs = frozenset(self._jobs)
        self.notifier = notifier
        self._monotonic = monotonic
        self.results: list[RunResult] = []  # the latest runs, newest last (a short memory for tests)

    async def __call__(
        self,
        user_id: str,
        job: str,
        *,
        dry_run: bool = False,
        items: frozenset[str] | None = None,
        run_id: int | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> int:
        """Run the job, record and count it, notify; returns the run id (reserved now when not given),
        told to ``on_start`` when the run starts."""
        self._check(job)
        reserved = run_id if run_id is not None else self.reserve(user_id, job, dry_run=dry_run)
        runs = RunRecorder(self.store, reserved=reserved)  # the job's run is the reserved one
        runs.begin_reserved()  # queued until now (behind the user's earlier run, or in the queue)
        if on_start is not None:
            on_start(reserved)
        log.info("run %s: %s for %s started%s", reserved, job, user_id, " (dry run)" if dry_run else "")
        started = self._monotonic()
        try:
            report = await self._jobs[job].run(user_id, RunContext(runs, dry_run=dry_run, items=items))
            result = from_report(job, user_id, report)
        except asyncio.CancelledError:
            runs.fail(reserved, INTERRUPTED)
            record_report(RunResult(user_id, job, "failed", run_id=reserved, error=INTERRUPTED))
            raise
        except Exception as exc:  # a bug in a job must not stop the service; the run shows it
            log.exception("the %s run %s for %s failed unexpectedly", job, reserved, user_id)
            result = RunResult(
                user_id, job, "failed", error=redact(f"unexpected error: {type(exc).__name__}: {exc}")
            )
        result = _with(result, run_id=reserved, duration=self._monotonic() - started)
        if runs.is_open(reserved):  # the job stopped before it could record its end
            summary = {"items": result.items}
            runs.close(reserved, result.status, summary, result.hardcover_units, result.error)
        record_report(result)
        log.log(logging.WARNING if result.status == "failed" else logging.INFO, "%s", ended_line(result))
        self.results = [*self.results[-49:], result]
        if self.notifier is not None:
            try:
                await self.notifier.notify(result)
            except Exception:
                log.exception("notifications for run %s failed", reserved)
        return reserved


def _with(result: RunResult, *, run_id: int, duration: float) -> RunResult:
    return replace(result, run_id=run_id, duration_seconds=duration)


def ended_line(result: RunResult) -> str:
    """The one line a finished run logs: "run 4: progress for alice: ok, 3 written, 1 held; 12 Hardcover
    units; 8.2 s", with the reason when it failed."""
    counts = ", ".join(f"{n} {what}" for what, n in result.items.items()) or "nothing to do"
    text = (
        f"run {result.run_id}: {result.job} for {result.user_id}: {result.status}"
        f"{' (dry run)' if result.dry_run else ''}, {counts}; {result.hardcover_units} Hardcover units; "
        f"{result.duration_seconds:.1f} s"
    )
    return text + (f"; reason: {redact(result.error)}" if result.error else "")
