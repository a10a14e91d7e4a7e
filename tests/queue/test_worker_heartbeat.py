"""A worker that is stopping keeps its heartbeat while its last runs finish, so that no other worker takes
those runs back and runs them a second time (procrastinate stops its own heartbeat at shutdown)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import psycopg
import pytest

from bookrelay.queue.tasks import TASK_NAME, build_queue_app, conninfo_for
from bookrelay.queue.worker import _keep_alive, retry_stalled


def heartbeat_of(url: str, worker_id: int) -> datetime:
    with psycopg.connect(conninfo_for(url)) as conn:
        row = conn.execute(
            "SELECT last_heartbeat FROM procrastinate_workers WHERE id = %s", (worker_id,)
        ).fetchone()
    assert row is not None
    return row[0]


async def test_a_stopping_worker_keeps_beating_until_its_last_run_ends(queue_db_url: str) -> None:
    """procrastinate cancels its heartbeat when a shutdown begins; our keeper beats on by itself until the
    worker object is gone, so a run still finishing is never taken back and run a second time."""
    app = build_queue_app(queue_db_url)
    async with app.open_async():
        worker: Any = type("StoppingWorker", (), {"worker_id": await app.job_manager.register_worker()})()
        await app.configure_task(TASK_NAME, lock="user:carol").defer_async(user_id="carol", job="progress")
        assert await app.job_manager.fetch_job(queues=None, worker_id=worker.worker_id) is not None
        with psycopg.connect(conninfo_for(queue_db_url), autocommit=True) as conn:
            conn.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 minute'")
        before = heartbeat_of(queue_db_url, worker.worker_id)
        assert len(list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=30))) == 1
        beats = 0

        async def sleep(_: float) -> None:
            nonlocal beats
            beats += 1
            if beats > 3:
                raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            await _keep_alive(app, worker, 10.0, sleep)
        assert heartbeat_of(queue_db_url, worker.worker_id) > before
        assert list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=30)) == []  # alive again


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
