"""A worker process killed with SIGKILL in the middle of a user's run: another worker takes the run
back (stalled-job retry by heartbeat) and Hardcover ends with every write exactly once (P11).

Real processes: the sandbox is served by uvicorn on loopback inside the test, the workers are
``bookrelay worker`` subprocesses on a fresh PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from bookrelay import app as composition
from bookrelay.config import Config
from bookrelay.queue.runner import QueuedRunner
from bookrelay.queue.tasks import conninfo_for
from bookrelay.sandbox.server import build_sandbox
from bookrelay.store import Store
from bookrelay.store.models import RunStatus
from tests.service.served import served
from tests.store_fixtures import TEST_KEY
from tests.sync.harness import ABS_KEY, HC_TOKEN, World

BOOKS = 30
RATE = {"per_minute": 900, "burst": 5}  # ~15 units a second: the run lasts a few seconds
AUDIO = {"audio_seconds": 36_000, "reading_format_id": 2, "edition_format": "Audiobook"}
FAST_STALL = ["--heartbeat", "0.3", "--stalled-after", "1.5", "--check-every", "0.3"]


def slow_world() -> tuple[World, dict[int, float]]:
    world = World()
    world.hardcover["limits"] = {**world.hardcover["limits"], **RATE}
    expected: dict[int, float] = {}
    for n in range(BOOKS):
        asin = f"B0{n:08d}"
        book = world.book(f"Kill Test Book {n}", "Ann Author", editions=[{"asin": asin, **AUDIO}])
        item = world.item(f"Kill Test Book {n}", "Ann Author", asin=asin)
        expected[book] = 2_000.0 + 100 * n
        world.listen(item, current=expected[book])
    return world, expected


def write_config(path: Path, base: str, db_url: str) -> Config:
    data = {
        "global": {
            "timezone": "Europe/Berlin",
            "database": db_url,
            "queue": "postgres",
            "hardcover": {"url": f"{base}/hardcover/v1/graphql", **RATE, "daily": 1_000_000},
        },
        "users": [
            {
                "id": "alice",
                "hardcover": {"token": HC_TOKEN},
                "audiobookshelf": {"url": f"{base}/abs", "api_key": ABS_KEY},
            }
        ],
    }
    path.write_text(yaml.safe_dump(data))
    return Config.model_validate(data)


def start_worker(config_path: Path, cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BOOKRELAY_SECRET_KEY": TEST_KEY.decode()}
    command = [sys.executable, "-m", "bookrelay", "worker", "--config", str(config_path)]
    command += ["--concurrency", "1", "--metrics-port", "0", *FAST_STALL]
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


async def until(condition: Callable[[], bool], what: str, within: float = 60.0) -> None:
    """Poll ``condition`` (the event loop keeps serving the sandbox meanwhile); fails after ``within`` s."""
    try:
        async with asyncio.timeout(within):
            # The state lives in other processes (a worker, PostgreSQL): there is no event to await.
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"waited {within} s for {what}")


def job_rows(db_url: str) -> list[dict[str, Any]]:
    with psycopg.connect(conninfo_for(db_url)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT j.id, j.status, array_agg(e.type::text ORDER BY e.id) AS events"
            " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id GROUP BY j.id"
        )
        names = [c.name for c in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@pytest.mark.slow
async def test_P11_worker_killed_mid_run_is_picked_up_again_without_duplicate_or_lost_write(
    queue_db_url: str, tmp_path: Path
) -> None:
    world, expected = slow_world()
    sandbox = build_sandbox(world.fixture())
    workers: list[subprocess.Popen[bytes]] = []
    async with served(sandbox.app) as base:
        config = write_config(tmp_path / "bookrelay.yaml", base, queue_db_url)
        store = Store.open(queue_db_url, secret_key=TEST_KEY)
        try:
            runner = composition.service_runner(config, store)
            assert isinstance(runner, QueuedRunner)
            run_id = await runner("alice", "progress")
            await runner.aclose()

            workers.append(start_worker(tmp_path / "bookrelay.yaml", tmp_path))
            await until(lambda: sandbox.hardcover.stats()["writes"] >= 3, "the first writes")
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=10)
            written_before_kill = sandbox.hardcover.stats()["writes"]
            assert store.runs.get_with_events(run_id)[0].status is RunStatus.RUNNING  # killed mid-run
            assert len([e for e in sandbox.hardcover.snapshot()["user_books"] if e["reads"]]) < BOOKS

            workers.append(start_worker(tmp_path / "bookrelay.yaml", tmp_path))
            await until(lambda: job_rows(queue_db_url)[0]["status"] == "succeeded", "the retried run", 90)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
                    worker.wait(timeout=30)
            store.close()

        (job,) = job_rows(queue_db_url)
        assert job["events"].count("started") == 2  # taken back from the dead worker, run again
        first, _ = Store.open(queue_db_url, secret_key=TEST_KEY, migrate=False).runs.get_with_events(run_id)
        assert first.status is RunStatus.FAILED and "interrupted" in (first.error or "")
        entries = {e["book_id"]: e for e in sandbox.hardcover.snapshot()["user_books"]}
        assert set(entries) == set(expected)  # nothing lost
        for book_id, seconds in expected.items():
            reads = entries[book_id]["reads"]
            assert [r["progress_seconds"] for r in reads] == [seconds]  # no duplicate read
        assert sandbox.hardcover.stats()["writes"] >= written_before_kill
