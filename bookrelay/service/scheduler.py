"""The service-mode scheduler: when each job runs for each user, and that runs of one user never overlap.

Schedules come from the config (``global.schedule`` with per-user overrides): a cron expression in the
user's time zone (APScheduler's ``CronTrigger`` does the calendar arithmetic, DST included),
``every 2h`` (an :class:`IntervalTrigger`), or ``off``. The loop that fires them is our own, on an
injected :class:`~bookrelay.service.clock.Clock`, for two reasons seen in APScheduler 3's source:
its asyncio executor cancels running jobs on shutdown (we must finish the run at hand and record it),
and its timer reads the wall clock (a test could not move time by hand).

A runner is ``async (user_id, job, *, dry_run=False) -> run id``. The one from
``bookrelay.app.make_job_runner`` can also ``reserve`` a run id before the run starts (that is what
:meth:`SchedulerService.trigger` answers at once), sync only some items (``items=``, the real-time
trigger) and ``abandon`` a reserved run that never started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from bookrelay.config import Config
from bookrelay.config.jobs import jobs_for
from bookrelay.domain.jobs import JOB_NAMES
from bookrelay.errors import ConfigError
from bookrelay.schedule import schedule_trigger
from bookrelay.service.clock import Clock, SystemClock

log = logging.getLogger(__name__)

MAX_NAP = 60.0  # seconds; the loop looks at the clock at least this often (suspend, clock changes)
DEFAULT_GRACE = 25.0  # seconds a shutdown waits for running runs (Kubernetes allows 30 by default)

Runner = Callable[..., Awaitable[int]]


def parse_schedule(spec: str, tz: ZoneInfo, start: datetime) -> BaseTrigger | None:
    """The trigger of a schedule (the grammar of :mod:`bookrelay.schedule`): cron in ``tz``, an interval
    from ``start``, or None for ``off``; ConfigError for anything else."""
    try:
        return schedule_trigger(spec, tz, start)
    except ValueError as exc:
        raise ConfigError(str(exc), place=f"schedule {spec!r}") from None


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    """One job of one user with its schedule."""

    user_id: str
    job: str
    spec: str
    trigger: BaseTrigger


def plan_schedule(
    config: Config, jobs: Iterable[str], now: datetime, *, interval: float | None = None
) -> list[ScheduledJob]:
    """Every (user, enabled job) pair the runner can run, with its trigger; ``interval`` (seconds, from
    ``SYNC_INTERVAL``) replaces every schedule with a fixed interval."""
    available = set(jobs)
    planned: list[ScheduledJob] = []
    for user in config.users:
        tz = config.timezone_for(user)
        running = jobs_for(config, user)
        for job in JOB_NAMES:
            if job not in running:
                continue
            if job not in available:
                log.warning("job %s is enabled but not available in this version; not scheduled", job)
                continue
            spec = f"every {int(interval)}s" if interval else config.schedule_for(user, job)
            trigger = parse_schedule(spec, tz, now)
            if trigger is not None:
                planned.append(ScheduledJob(user.id, job, spec, trigger))
    return planned


@dataclass
class _Slot:
    entry: ScheduledJob
    next_at: datetime | None


@dataclass
class SchedulerService:
    """Fires the planned jobs on time, runs triggered ones in the background, one run per user at once."""

    entries: list[ScheduledJob]
    runner: Runner
    clock: Clock = field(default_factory=SystemClock)
    grace_seconds: float = DEFAULT_GRACE
    _slots: dict[tuple[str, str], _Slot] = field(default_factory=dict, init=False)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict, init=False)
    _queued: set[tuple[str, str]] = field(default_factory=set, init=False)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set, init=False)
    _running: dict[asyncio.Task[Any], int | None] = field(default_factory=dict, init=False)
    _driver: asyncio.Task[None] | None = field(default=None, init=False)
    _stopping: bool = field(default=False, init=False)
    _waiting: dict[str, int] = field(
        default_factory=dict, init=False
    )  # triggered runs not yet begun, by user

    def __post_init__(self) -> None:
        now = self.clock.now()
        for entry in self.entries:
            self._slots[(entry.user_id, entry.job)] = _Slot(
                entry, entry.trigger.get_next_fire_time(None, now)
            )

    # -- the interface the HTTP API and `serve` use ------------------------------------------------

    def start(self) -> None:
        """Start firing schedules; call from inside the running event loop."""
        if self._driver is not None:
            return
        self._stopping = False
        self._driver = asyncio.get_running_loop().create_task(self._drive(), name="bookrelay-scheduler")

    def shutdown(self, wait: bool = True) -> asyncio.Task[None]:
        """Stop firing and drop queued runs (recorded as not started) at once; the returned task lets
        running runs finish (``wait``; at most ``grace_seconds``, then they are interrupted and recorded
        as such). Await it for a graceful stop."""
        self._stopping = True
        if self._driver is not None:
            self._driver.cancel()
        return asyncio.get_running_loop().create_task(self._stop(wait), name="bookrelay-scheduler-stop")

    def next_run(self, user_id: str, job: str) -> datetime | None:
        """When the job runs next for the user by schedule; None when it is not scheduled."""
        slot = self._slots.get((user_id, job))
        return slot.next_at if slot is not None and not self._stopping else None

    def trigger(
        self, user_id: str, job: str, *, dry_run: bool = False, items: Iterable[str] | None = None
    ) -> int:
        """Queue a run now and answer its run id; it starts when the user's current run (if any) ends."""
        if self._stopping:
            raise ConfigError("the scheduler is shutting down", place="trigger")
        reserve = getattr(self.runner, "reserve", None)
        if reserve is None:
            raise TypeError("trigger needs a runner with reserve() (bookrelay.app.make_job_runner)")
        jobs = getattr(self.runner, "jobs", None)
        if jobs is not None and job not in jobs:
            raise ConfigError(
                f"unknown or unavailable job {job!r} (available: {', '.join(jobs)})", place="job"
            )
        run_id = int(reserve(user_id, job, dry_run=dry_run))
        chosen = frozenset(items) if items is not None else None
        self._waiting[user_id] = self._waiting.get(user_id, 0) + 1
        task = self._spawn(self.run(user_id, job, dry_run=dry_run, items=chosen, run_id=run_id))
        task.add_done_callback(lambda _task: self._settled(user_id))
        return run_id

    def busy(self, user_id: str) -> bool:
        """Whether a run of the user is going, or triggered and waiting for the one before it."""
        lock = self._locks.get(user_id)
        return (lock is not None and lock.locked()) or self._waiting.get(user_id, 0) > 0

    def _settled(self, user_id: str) -> None:
        left = self._waiting.get(user_id, 0) - 1
        if left > 0:
            self._waiting[user_id] = left
        else:
            self._waiting.pop(user_id, None)

    async def run(
        self,
        user_id: str,
        job: str,
        *,
        dry_run: bool = False,
        items: frozenset[str] | None = None,
        run_id: int | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> int:
        """Run one job for one user now, after the user's current run; returns the run id."""
        extra: dict[str, Any] = {}
        if items is not None:
            extra["items"] = items
        if run_id is not None:
            extra["run_id"] = run_id
        task = asyncio.current_task()
        started = False
        try:
            async with self._lock(user_id):
                if self._stopping:
                    raise asyncio.CancelledError  # it was still queued when the service began to stop
                started = True
                if task is not None:
                    self._running[task] = run_id
                if on_start is not None:
                    on_start()
                return await self.runner(user_id, job, dry_run=dry_run, **extra)
        except asyncio.CancelledError:
            if run_id is not None and not started:
                self._abandon(run_id, "not started: the service stopped")
            raise
        finally:
            if task is not None:
                self._running.pop(task, None)

    async def run_all_once(self, *, workers: int = 3) -> list[int]:
        """Every planned job once (the CronJob mode), ``workers`` users at once; returns the run ids."""
        gate = asyncio.Semaphore(workers)

        async def one(entry: ScheduledJob) -> int:
            async with gate:
                return await self.run(entry.user_id, entry.job)

        return list(await asyncio.gather(*(one(e) for e in self.entries)))

    async def wait_idle(self) -> None:
        """Return when no run is queued or running (tests and the once mode use it)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- internals ---------------------------------------------------------------------------------

    def _lock(self, user_id: str) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    def _spawn(self, coro: Awaitable[int]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a run failed outside the job: %r", task.exception())

    def _abandon(self, run_id: int, reason: str) -> None:
        abandon = getattr(self.runner, "abandon", None)
        if abandon is not None:
            try:
                abandon(run_id, reason)
            except Exception:
                log.exception("could not record run %s as abandoned", run_id)

    async def _scheduled(self, entry: ScheduledJob) -> int:
        key = (entry.user_id, entry.job)
        try:
            return await self.run(entry.user_id, entry.job, on_start=lambda: self._queued.discard(key))
        finally:
            self._queued.discard(key)

    async def _drive(self) -> None:
        while not self._stopping:
            now = self.clock.now()
            for key, slot in self._slots.items():
                if slot.next_at is None or slot.next_at > now:
                    continue
                if key in self._queued:
                    log.info("%s for %s is still waiting from its last time; not queued twice", *key[::-1])
                else:
                    self._queued.add(key)
                    self._spawn(self._scheduled(slot.entry))
                # Missed times (a suspended machine) fold into this one run.
                slot.next_at = slot.entry.trigger.get_next_fire_time(
                    None, max(now, slot.next_at) + timedelta(microseconds=1)
                )
            upcoming = [s.next_at for s in self._slots.values() if s.next_at is not None]
            delay = min((min(upcoming) - now).total_seconds(), MAX_NAP) if upcoming else MAX_NAP
            await self.clock.sleep(max(delay, 0.0))

    async def _stop(self, wait: bool) -> None:
        if self._driver is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None
        running = set(self._running)
        for task in list(self._tasks):
            if task not in running:
                task.cancel()  # queued: never started
        if wait and running:
            _, late = await asyncio.wait(running, timeout=self.grace_seconds)
        else:
            late = running
        for task in late:
            task.cancel()  # the runner records the run as interrupted
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


def build_scheduler(
    config: Config,
    runner: Runner,
    *,
    clock: Clock | None = None,
    interval: float | None = None,
    grace_seconds: float = DEFAULT_GRACE,
) -> SchedulerService:
    """The scheduler for every user and enabled job of ``config``; ``interval`` (seconds) replaces the
    configured schedules (``SYNC_INTERVAL``); the runner's ``jobs`` attribute, if any, limits the jobs."""
    chosen = clock or SystemClock()
    jobs = getattr(runner, "jobs", None) or ("progress",)
    entries = plan_schedule(config, jobs, chosen.now(), interval=interval)
    return SchedulerService(entries, runner, clock=chosen, grace_seconds=grace_seconds)
