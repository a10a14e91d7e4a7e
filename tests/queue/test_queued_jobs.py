"""The main job scenarios in both modes: in-process on SQLite, and queued on PostgreSQL through
procrastinate with a real worker loop (in this process, the sandbox mounted in-process).

Each scenario is written once and run by :class:`Mode`; the queued mode also shows what only a queue
has: the retry rule of the error tree, the queueing lock, and that one user's runs never overlap.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from bookrelay import app as composition
from bookrelay.app.clients import _BUDGET_DATABASES
from bookrelay.config import Config
from bookrelay.queue.runner import ALREADY_WAITING, QueuedRunner
from bookrelay.queue.tasks import conninfo_for
from bookrelay.queue.worker import WorkerOptions
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.store import Store
from bookrelay.store.models import Run, RunStatus
from tests.store_fixtures import TEST_KEY
from tests.sync.harness import World

AUDIO = {"audio_seconds": 36_000, "reading_format_id": 2, "edition_format": "Audiobook"}
WORKER = WorkerOptions(
    concurrency=2,
    heartbeat=1.0,
    stalled_after=30.0,
    check_every=60.0,
    wait=False,
    install_signal_handlers=False,
)


def queued_config(config: Config, url: str, **hardcover: Any) -> Config:
    """``config`` on the PostgreSQL database ``url`` with ``queue: postgres`` (and Hardcover overrides)."""
    hc = config.global_.hardcover.model_copy(update=hardcover)
    settings = config.global_.model_copy(update={"database": url, "queue": "postgres", "hardcover": hc})
    return config.model_copy(update={"global_": settings})


@dataclass
class Mode:
    """Runs jobs one way: ``inprocess`` (the JobRunner, SQLite) or ``queued`` (defer, then a worker)."""

    name: str
    config: Config
    store: Store
    sandbox: Sandbox

    @property
    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.sandbox.app)

    async def defer(self, user_id: str = "alice", job: str = "progress", **options: Any) -> int:
        """Queue a run (queued mode) and return its run id."""
        runner = composition.service_runner(self.config, self.store)
        assert isinstance(runner, QueuedRunner)
        try:
            return await runner(user_id, job, **options)
        finally:
            await runner.aclose()

    async def work(self, options: WorkerOptions = WORKER) -> None:
        """Work the queue until nothing is due."""
        await composition.work_queue(self.config, self.store, options, transport=self.transport)

    async def run(self, user_id: str = "alice", job: str = "progress") -> Run:
        """One run to its end, the way this mode runs it; the recorded run."""
        if self.name == "inprocess":
            runner = composition.make_job_runner(self.config, self.store, transport=self.transport)
            run_id = await runner(user_id, job)
        else:
            run_id = await self.defer(user_id, job)
            await self.work()
            run_id = latest_run_id(self.store, user_id, job, run_id)
        return self.store.runs.get_with_events(run_id)[0]

    def user_book(self, book_id: int) -> dict[str, Any] | None:
        for entry in self.sandbox.hardcover.snapshot()["user_books"]:
            if entry["book_id"] == book_id:
                return dict(entry)
        return None

    def jobs(self) -> list[dict[str, Any]]:
        """procrastinate's jobs (queued mode)."""
        with psycopg.connect(conninfo_for(self.config.database_url)) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT id, status, attempts, scheduled_at, lock, queueing_lock FROM procrastinate_jobs"
            )
            names = [c.name for c in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def forget_gate(store: Store) -> None:
    """Close the budget gate's pool on a test database that is about to be dropped."""
    name = store.db.engine.url.database or ""
    for url in [u for u in _BUDGET_DATABASES if u.endswith(f"/{name}")]:
        _BUDGET_DATABASES.pop(url).dispose()


def latest_run_id(store: Store, user_id: str, job: str, fallback: int) -> int:
    runs = store.runs.recent(1, user_id=user_id, job=job)
    return runs[0].id if runs else fallback


@pytest.fixture(params=["inprocess", "queued"])
async def mode_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """Builds a :class:`Mode` for a world: SQLite in-process, or PostgreSQL queued."""
    opened: list[Store] = []

    def make(world: World, **hardcover: Any) -> Mode:
        config = world.config()
        if request.param == "inprocess":
            hc = config.global_.hardcover.model_copy(update=hardcover)
            config = config.model_copy(
                update={"global_": config.global_.model_copy(update={"hardcover": hc})}
            )
            store = Store.open(f"sqlite:///{tmp_path / 'store.db'}", secret_key=TEST_KEY)
        else:
            url = request.getfixturevalue("queue_db_url")
            config = queued_config(config, url, **hardcover)
            store = Store.open(url, secret_key=TEST_KEY)
        opened.append(store)
        return Mode(request.param, config, store, build_sandbox(world.fixture()))

    try:
        yield make
    finally:
        for store in opened:
            store.close()
            forget_gate(store)


def reading_world() -> tuple[World, int, str]:
    world = World()
    book = world.book("Project Hail Mary", "Andy Weir", editions=[{"asin": "B08G9PRS1K", **AUDIO}])
    item = world.item("Project Hail Mary", "Andy Weir", asin="B08G9PRS1K")
    world.listen(item, current=18_000.0)
    return world, book, item


async def test_P7_new_book_becomes_currently_reading_in_both_modes(mode_factory: Any) -> None:
    world, book, _ = reading_world()
    mode: Mode = mode_factory(world)
    run = await mode.run()
    assert run.status is RunStatus.OK, run.error
    entry = mode.user_book(book)
    assert entry is not None and entry["status_id"] == 2
    assert [r["progress_seconds"] for r in entry["reads"]] == [18_000]
    assert entry["reads"][0]["started_at"] == "2026-11-01"


async def test_P11_second_run_updates_the_same_read_and_spends_nothing_in_both_modes(
    mode_factory: Any,
) -> None:
    world, book, _ = reading_world()
    mode: Mode = mode_factory(world)
    first = await mode.run()
    second = await mode.run()
    assert (first.status, second.status) == (RunStatus.OK, RunStatus.OK)
    assert first.id != second.id
    assert first.hardcover_units > 0 and second.hardcover_units == 0
    entry = mode.user_book(book)
    assert entry is not None and len(entry["reads"]) == 1


async def test_P6_finished_book_is_read_in_both_modes(mode_factory: Any) -> None:
    world = World()
    book = world.book("Dune", "Frank Herbert", editions=[{"asin": "B00B7NPRY8", **AUDIO}])
    item = world.item("Dune", "Frank Herbert", asin="B00B7NPRY8")
    world.listen(item, current=36_000.0, finished=True, finished_at="2026-11-20T23:30:00")
    mode: Mode = mode_factory(world)
    run = await mode.run()
    assert run.status is RunStatus.OK, run.error
    entry = mode.user_book(book)
    assert entry is not None and entry["status_id"] == 3
    assert entry["reads"][-1]["finished_at"] == "2026-11-21"  # P10: Berlin's date of 23:30 UTC


async def test_N4_bad_token_fails_the_run_and_is_not_retried_in_both_modes(mode_factory: Any) -> None:
    world, book, _ = reading_world()
    world.hardcover["users"][0]["token"] = "some-other-token"
    mode: Mode = mode_factory(world)
    run = await mode.run()
    assert run.status is RunStatus.FAILED
    assert "users[0].hardcover.token" in (run.error or "")  # named where it was set
    assert mode.user_book(book) is None
    if mode.name == "queued":
        (job,) = mode.jobs()
        assert (job["status"], job["attempts"]) == (
            "failed",
            1,
        )  # tried once: an AuthError waits for a person


async def test_N1_spent_daily_budget_stops_and_waits_for_the_next_day_in_both_modes(
    mode_factory: Any,
) -> None:
    world, book, _ = reading_world()
    world.hardcover["limits"]["daily"] = 1  # Hardcover and the shared budget agree: one unit a day
    mode: Mode = mode_factory(world, daily=1)
    before = datetime.now(UTC)
    run = await mode.run()
    assert run.status is RunStatus.FAILED
    assert "daily budget" in (run.error or "")
    assert mode.user_book(book) is None
    if mode.name == "queued":
        (job,) = mode.jobs()
        midnight = datetime.combine(before.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        assert job["status"] == "todo" and job["attempts"] == 1
        assert midnight <= job["scheduled_at"] <= midnight + timedelta(minutes=5)


@pytest.fixture
def queued(queue_db_url: str, tmp_path: Path) -> Any:
    """A builder of queued-only modes on ``queue_db_url``."""
    stores: list[Store] = []

    def make(world: World) -> Mode:
        store = Store.open(queue_db_url, secret_key=TEST_KEY)
        stores.append(store)
        return Mode(
            "queued", queued_config(world.config(), queue_db_url), store, build_sandbox(world.fixture())
        )

    yield make
    for store in stores:
        store.close()
        forget_gate(store)


async def test_the_same_run_never_waits_twice_in_the_queue(queued: Any) -> None:
    world, _, _ = reading_world()
    mode: Mode = queued(world)
    first = await mode.defer()
    second = await mode.defer()
    dry = await mode.defer(dry_run=True)  # another run: queued beside it
    jobs = mode.jobs()
    assert len(jobs) == 2
    assert {j["queueing_lock"] for j in jobs} == {"alice:progress", "alice:progress:dry"}
    assert mode.store.runs.get_with_events(second)[0].error == ALREADY_WAITING
    await mode.work()
    assert mode.store.runs.get_with_events(first)[0].status is RunStatus.OK
    assert mode.store.runs.get_with_events(dry)[0].status is RunStatus.OK


async def test_runs_of_one_user_never_overlap_across_two_workers(queued: Any) -> None:
    world = World()
    items = []
    for n in range(4):
        world.book(f"Book {n}", "Ann Author", editions=[{"asin": f"B0000000{n}X", **AUDIO}])
        items.append(world.item(f"Book {n}", "Ann Author", asin=f"B0000000{n}X"))
        world.listen(items[-1], current=10_000.0 + n)
    mode: Mode = queued(world)
    for item in items:  # item runs carry no queueing lock: all four wait, under alice's one lock
        await mode.defer(items=frozenset({item}))
    options = dataclasses.replace(WORKER, concurrency=4)
    await asyncio.gather(mode.work(options), mode.work(options))
    with psycopg.connect(conninfo_for(mode.config.database_url)) as conn:
        rows = conn.execute(
            "SELECT job_id, type, at FROM procrastinate_events"
            " WHERE type IN ('started', 'succeeded') ORDER BY at"
        ).fetchall()
    spans: dict[int, list[datetime]] = {}
    for job_id, _, at in rows:
        spans.setdefault(job_id, []).append(at)
    intervals = sorted((times[0], times[1]) for times in spans.values())
    assert len(intervals) == 4
    for (_, end), (start, _) in itertools.pairwise(intervals):
        assert start >= end, "two runs of one user overlapped"
    assert {j["status"] for j in mode.jobs()} == {"succeeded"}
    entries = [e for e in mode.sandbox.hardcover.snapshot()["user_books"]]
    assert len(entries) == 4 and all(len(e["reads"]) == 1 for e in entries)
