"""Both ends of a queued run: :class:`QueuedRunner` defers it (``serve``, the scheduler, the API) and
:class:`WorkerRuntime` performs it inside ``bookrelay worker``.

:class:`QueuedRunner` has the interface of :class:`bookrelay.service.runner.JobRunner` (``reserve``,
``abandon``, ``jobs``, ``await runner(user_id, job, …) -> run id``), so the scheduler and the web app
need no change: the run id is reserved at once (the API answers 202 with it) and the run itself
happens on whichever worker takes the task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Protocol

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.types import JSONValue

from bookrelay.errors import NotFound
from bookrelay.queue.tasks import TASK_NAME, RunFailed, locks_for
from bookrelay.service.results import RunResult
from bookrelay.service.runner import RunReservations
from bookrelay.store.facade import Store
from bookrelay.store.models import RunStatus
from bookrelay.sync.runs import RunRecorder

log = logging.getLogger(__name__)

ALREADY_WAITING = "not queued: the same run of this user already waits in the queue"


class _Runner(Protocol):
    """The in-process runner a worker runs jobs with (:class:`bookrelay.service.runner.JobRunner`)."""

    store: Store
    results: list[RunResult]

    async def __call__(
        self,
        user_id: str,
        job: str,
        *,
        dry_run: bool = False,
        items: frozenset[str] | None = None,
        run_id: int | None = None,
    ) -> int: ...

    def reserve(self, user_id: str, job: str, *, dry_run: bool = False) -> int: ...


class QueuedRunner(RunReservations):
    """Defers each run as a ``bookrelay.run_job`` task instead of running it in this process."""

    def __init__(self, store: Store, app: procrastinate.App, jobs: Iterable[str]) -> None:
        self.store = store
        self.app = app
        self.jobs = frozenset(jobs)
        self._opened = False
        self._opening = asyncio.Lock()

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
        """Queue the run and return its run id at once (told to ``on_start`` too); a run already waiting
        is not queued twice (the new run id is then closed as not queued)."""
        self._check(job)
        reserved = run_id if run_id is not None else self.reserve(user_id, job, dry_run=dry_run)
        if on_start is not None:
            on_start(reserved)
        await self._open()
        lock, queueing_lock = locks_for(user_id, job, dry_run=dry_run, whole=items is None)
        deferrer = self.app.configure_task(TASK_NAME, lock=lock, queueing_lock=queueing_lock)
        try:
            await deferrer.defer_async(
                user_id=user_id,
                job=job,
                dry_run=dry_run,
                items=list[JSONValue](sorted(items)) if items is not None else None,
                run_id=reserved,
            )
        except AlreadyEnqueued:
            log.info("%s for %s already waits in the queue; run %s not queued", job, user_id, reserved)
            self.abandon(reserved, ALREADY_WAITING)
        return reserved

    async def aclose(self) -> None:
        """Close the queue's connection pool (opened on the first run)."""
        if self._opened:
            await self.app.close_async()
            self._opened = False

    async def _open(self) -> None:
        async with self._opening:
            if not self._opened:
                await self.app.open_async()
                self._opened = True


class WorkerRuntime:
    """What a worker's task calls: the in-process runner on the worker's own store."""

    def __init__(self, runner: _Runner) -> None:
        self.runner = runner

    async def perform(
        self,
        user_id: str,
        job: str,
        *,
        dry_run: bool,
        items: frozenset[str] | None,
        run_id: int | None,
        attempts: int,
    ) -> int:
        """Run the job to its end and return the run id; RunFailed (for the retry rule) when the run
        failed. The deferred run id (queued until now) is adopted; a retry records a new run and closes
        the earlier one when a killed worker left it running."""
        chosen = self._run_id(user_id, job, dry_run=dry_run, run_id=run_id, attempts=attempts)
        done = await self.runner(user_id, job, dry_run=dry_run, items=items, run_id=chosen)
        result = next((r for r in reversed(self.runner.results) if r.run_id == done), None)
        if result is not None and result.status == "failed":
            raise RunFailed(result.error_kind, result.error or "failed", done)
        return done

    def _run_id(self, user_id: str, job: str, *, dry_run: bool, run_id: int | None, attempts: int) -> int:
        runs = self.runner.store.runs
        if run_id is not None:
            try:
                run, _ = runs.get_with_events(run_id)
            except NotFound:
                run = None
            if run is not None and run.status is RunStatus.QUEUED:
                return run_id  # deferred and never started (also when a worker died before it could)
            if run is not None and run.status is RunStatus.RUNNING:
                if attempts == 0:
                    return run_id
                fresh = self.runner.reserve(user_id, job, dry_run=dry_run)
                RunRecorder(self.runner.store).fail(
                    run_id, f"interrupted: the worker stopped during the run; continued as run {fresh}"
                )
                return fresh
        return self.runner.reserve(user_id, job, dry_run=dry_run)
