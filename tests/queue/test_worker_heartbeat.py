"""A worker that is stopping keeps its heartbeat while its last runs finish, so that no other worker takes
those runs back and runs them a second time (procrastinate stops its own heartbeat at shutdown)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import psycopg
import pytest

from bookrelay.queue.tasks import TASK_NAME, build_queue_app, conninfo_for
from bookrelay.queue.worker import WorkerOptions, retry_stalled, run_worker


class SlowRuntime:
    """A runtime whose one run lasts until the test lets it end."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.calls = 0

    async def perform(self, user_id: str, job: str, **_: Any) -> int:
        self.calls += 1
        self.started.set()
        await self.release.wait()
        return 1


def heartbeats(url: str) -> list[datetime]:
    with psycopg.connect(conninfo_for(url)) as conn:
        return [row[0] for row in conn.execute("SELECT last_heartbeat FROM procrastinate_workers").fetchall()]


async def test_a_stopping_worker_keeps_beating_until_its_last_run_ends(queue_db_url: str) -> None:
    app = build_queue_app(queue_db_url)
    runtime = SlowRuntime()
    async with app.open_async():
        await app.configure_task(TASK_NAME, lock="user:alice").defer_async(user_id="alice", job="progress")
    options = WorkerOptions(
        concurrency=1,
        heartbeat=0.1,
        stalled_after=60,
        check_every=60,
        wait=False,
        install_signal_handlers=False,
    )
    worker = asyncio.create_task(run_worker(app, runtime, options))  # type: ignore[arg-type]
    await asyncio.wait_for(runtime.started.wait(), 10)
    # With a free slot and wait=False the worker found nothing more to fetch: it is shutting down
    # around the run (procrastinate has stopped its own heartbeat).
    seen: list[datetime] = []
    async with asyncio.timeout(10):
        while len(set(seen)) < 4:  # procrastinate's own beat could give one more at most
            seen += await asyncio.to_thread(heartbeats, queue_db_url)
            await asyncio.sleep(0.05)
    checker = build_queue_app(queue_db_url)
    async with checker.open_async():
        assert await retry_stalled(checker, stalled_after=0.5) == 0  # alive: its run is not taken back
    runtime.release.set()
    await asyncio.wait_for(worker, 10)
    assert runtime.calls == 1
    with psycopg.connect(conninfo_for(queue_db_url)) as conn:
        (status,) = conn.execute("SELECT status FROM procrastinate_jobs").fetchone() or (None,)
    assert status == "succeeded"


@pytest.mark.parametrize("stalled_after", [0.5])
async def test_a_dead_workers_run_is_found_stalled(queue_db_url: str, stalled_after: float) -> None:
    """The other side: a worker row whose heartbeat stopped has its running task queued again."""
    app = build_queue_app(queue_db_url)
    async with app.open_async():
        await app.configure_task(TASK_NAME, lock="user:bob").defer_async(user_id="bob", job="progress")
        worker_id = await app.job_manager.register_worker()
        job = await app.job_manager.fetch_job(queues=None, worker_id=worker_id)
        assert job is not None
        with psycopg.connect(conninfo_for(queue_db_url), autocommit=True) as conn:
            conn.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 minute'")
        assert await retry_stalled(app, stalled_after) == 1
        assert (await app.job_manager.get_job_status_async(job.id)).value == "todo"
