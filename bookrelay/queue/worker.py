"""``bookrelay worker``: a procrastinate worker over the bookrelay queue, with its own ``/metrics``.

Each worker process runs up to ``concurrency`` users' runs at once. It sends procrastinate's heartbeat
every ``heartbeat`` seconds; every worker also looks for runs left "doing" by a worker whose heartbeat
stopped for ``stalled_after`` seconds (killed, its machine gone) and puts them back in the queue, so a
killed run is picked up again. The progress job's outbox makes that safe: a run that starts again
re-reads Hardcover before it retries a write (P11), so nothing is written twice or lost.

Metrics: every worker serves Prometheus on its own port (pull, not push: a Kubernetes pod or a
systemd unit is scraped where it runs); the runs it did, and the queue's depth as this worker saw it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import procrastinate
from procrastinate.worker import Worker
from prometheus_client import Gauge

from bookrelay.queue.runner import WorkerRuntime
from bookrelay.queue.schema import QueueStatus
from bookrelay.queue.tasks import QUEUE, RUNTIME_KEY
from bookrelay.service.metrics import REGISTRY

log = logging.getLogger(__name__)

# Seconds between looks at the queue of a worker that stops when it is empty, while runs it cannot take
# yet (another worker's, or behind a user's lock) are still going: doubling from the first to the last. Each
# look starts a procrastinate worker and queries the queue (~8 ms of CPU here, as much in PostgreSQL): at a
# fixed 0.1 s an idle worker spent about 8 % of a core, and as much of PostgreSQL's, on looking.
UNTIL_EMPTY_PAUSE = 0.1
UNTIL_EMPTY_PAUSE_MAX = 1.0

QUEUE_RUNS = Gauge(
    "bookrelay_queue_runs",
    "Runs in the PostgreSQL queue by state (waiting, running, scheduled, failed), as a worker last saw it.",
    ["state"],
    registry=REGISTRY,
)
QUEUE_OLDEST = Gauge(
    "bookrelay_queue_oldest_waiting_seconds",
    "Age of the oldest run that is due and waiting in the queue (0 when none).",
    registry=REGISTRY,
)
STALLED_RETRIED = Gauge(
    "bookrelay_queue_stalled_retried",
    "Runs of dead workers this worker put back in the queue since it started.",
    registry=REGISTRY,
)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How a worker runs; the defaults suit production (tests shorten the times)."""

    concurrency: int = 4
    name: str | None = None
    heartbeat: float = 10.0  # seconds between heartbeats
    stalled_after: float = 30.0  # seconds without a heartbeat before a worker's runs are taken back
    check_every: float = 15.0  # seconds between looks for stalled runs and at the queue's depth
    wait: bool = True  # False: stop once the queue is empty (benchmarks, tests)
    install_signal_handlers: bool = True
    # On SIGTERM (or an empty queue with ``wait`` False) running runs finish; None: however long they
    # take. procrastinate would mark a run cut short "aborted" and never run it again, whereas a worker
    # killed after its grace period (Kubernetes) leaves it to the stalled-run retry of the others.
    graceful_seconds: float | None = None


async def retry_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """Put back in the queue every run of a worker without a heartbeat for ``stalled_after`` seconds;
    how many were put back."""
    count = 0
    for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_after):
        log.warning("run task %s of a stalled worker is queued again", job.id)
        await app.job_manager.retry_job(job)
        count += 1
    return count


def record_queue_status(status: QueueStatus, now_ts: float) -> None:
    """Set the queue gauges from one look at the queue."""
    for state in ("waiting", "running", "scheduled", "failed"):
        QUEUE_RUNS.labels(state).set(getattr(status, state))
    oldest = status.oldest_waiting_since
    QUEUE_OLDEST.set(max(0.0, now_ts - oldest.timestamp()) if oldest is not None else 0.0)


async def run_worker(
    app: procrastinate.App,
    runtime: WorkerRuntime,
    options: WorkerOptions,
    *,
    status: Callable[[], QueueStatus] | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], float] | None = None,
) -> None:
    """Work the queue until stopped (SIGINT/SIGTERM), or until it is empty when ``options.wait`` is
    False; alongside, take back stalled runs and record the queue's depth every ``check_every`` s."""
    now = clock or time.time
    pause = UNTIL_EMPTY_PAUSE
    async with app.open_async():
        watcher = asyncio.create_task(_watch(app, options, status, sleep, now), name="bookrelay-stalled")
        try:
            while True:
                worker = Worker(
                    app,
                    queues=[QUEUE],
                    concurrency=options.concurrency,
                    name=options.name or "bookrelay",
                    wait=options.wait,
                    update_heartbeat_interval=options.heartbeat,
                    stalled_worker_timeout=options.stalled_after,
                    shutdown_graceful_timeout=options.graceful_seconds,
                    additional_context={RUNTIME_KEY: runtime},
                    install_signal_handlers=options.install_signal_handlers,
                )
                alive = asyncio.create_task(_keep_alive(app, worker, options.heartbeat, sleep))
                try:
                    await worker.run()
                finally:
                    alive.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await alive
                # Without waiting, procrastinate stops at the first empty fetch, also when a run only
                # waited for its user's lock: go on while runs are due or running anywhere.
                if options.wait or status is None:
                    break
                left = await asyncio.to_thread(status)
                if left.waiting == 0 and left.running == 0:
                    break
                await sleep(pause)
                pause = min(2 * pause, UNTIL_EMPTY_PAUSE_MAX)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def _keep_alive(
    app: procrastinate.App, worker: Worker, every: float, sleep: Callable[[float], Awaitable[Any]]
) -> None:
    """Send the worker's heartbeat for as long as it lives. procrastinate stops its own heartbeat when a
    shutdown begins, while runs may still be finishing: after ``stalled_after`` the other workers would
    take those runs back and run them a second time beside the first."""
    while True:
        await sleep(every)
        if worker.worker_id is not None:
            try:
                await app.job_manager.update_heartbeat(worker.worker_id)
            except Exception:  # a missed beat is not fatal; the next one may pass
                log.exception("sending the worker's heartbeat failed")


async def _watch(
    app: procrastinate.App,
    options: WorkerOptions,
    status: Callable[[], QueueStatus] | None,
    sleep: Callable[[float], Awaitable[Any]],
    now: Callable[[], float],
) -> None:
    retried = 0
    while True:
        try:
            retried += await retry_stalled(app, options.stalled_after)
            STALLED_RETRIED.set(retried)
            if status is not None:
                record_queue_status(await asyncio.to_thread(status), now())
        except Exception:  # the watcher must outlive a database hiccup; the worker itself reports those
            log.exception("looking for stalled runs failed")
        await sleep(options.check_every)
