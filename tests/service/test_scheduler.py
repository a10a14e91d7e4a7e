"""The scheduler on a ManualClock: cron in a time zone, no overlap per user, graceful shutdown, once mode."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bookrelay.app import once_exit_code, run_jobs_once, sync_interval
from bookrelay.config import Config
from bookrelay.errors import ConfigError
from bookrelay.service.clock import ManualClock
from bookrelay.service.runner import INTERRUPTED, JobRunner
from bookrelay.service.scheduler import build_scheduler, parse_schedule
from bookrelay.store.facade import Store
from bookrelay.store.models import RunStatus
from bookrelay.sync.runs import RunContext
from tests.service.stand_in_jobs import StandInJob
from tests.sync.harness import HC_TOKEN, World


async def settle(rounds: int = 50) -> None:
    """Let every ready task run; no time passes on the ManualClock."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def config(*users: dict[str, Any], **global_: Any) -> Config:
    # These users have no source; the progress job is switched on for them by hand.
    global_.setdefault("jobs", {"progress": True})
    return Config.model_validate(
        {"global": global_, "users": [{"hardcover": {"token": HC_TOKEN}, **user} for user in users]}
    )


class Recorder:
    """A runner that notes when each run started (on the clock) and can hold runs until released."""

    jobs = frozenset({"progress", "wanted"})

    def __init__(self, clock: ManualClock, *, hold: bool = False) -> None:
        self.clock = clock
        self.started: list[tuple[str, str, datetime]] = []
        self.running: dict[str, int] = {}
        self.max_running: dict[str, int] = {}
        self.gates: dict[str, asyncio.Event] = {}
        self.hold = hold
        self.next_id = 0
        self.abandoned: list[tuple[int, str]] = []
        self.seen = asyncio.Event()

    def reserve(self, user_id: str, job: str, *, dry_run: bool = False) -> int:
        self.next_id += 1
        return self.next_id

    def abandon(self, run_id: int, reason: str) -> None:
        self.abandoned.append((run_id, reason))

    def release(self, user_id: str) -> None:
        self.gates.setdefault(user_id, asyncio.Event()).set()

    async def __call__(
        self, user_id: str, job: str, *, dry_run: bool = False, run_id: int | None = None
    ) -> int:
        self.started.append((user_id, job, self.clock.now()))
        self.seen.set()
        self.running[user_id] = self.running.get(user_id, 0) + 1
        self.max_running[user_id] = max(self.max_running.get(user_id, 0), self.running[user_id])
        try:
            if self.hold:
                gate = self.gates.setdefault(user_id, asyncio.Event())
                await gate.wait()
                gate.clear()
        finally:
            self.running[user_id] -= 1
        return run_id or 0


# -- schedules -------------------------------------------------------------------------------------


async def test_cron_fires_at_3am_in_the_users_time_zone_across_a_dst_change() -> None:
    # New York leaves daylight saving time on 2026-11-01: 03:00 is 07:00 UTC before, 08:00 UTC after.
    clock = ManualClock(datetime(2026, 10, 31, 6, 0, tzinfo=UTC))
    settings = config({"id": "alice", "timezone": "America/New_York"}, schedule={"progress": "0 3 * * *"})
    recorder = Recorder(clock)
    scheduler = build_scheduler(settings, recorder, clock=clock)
    first = datetime(2026, 10, 31, 7, 0, tzinfo=UTC)
    assert scheduler.next_run("alice", "progress") == first
    scheduler.start()
    try:
        clock.advance(to=first - timedelta(seconds=1))
        await settle()
        assert recorder.started == []  # not a second early
        clock.advance(1)
        await asyncio.wait_for(recorder.seen.wait(), 5)
        assert recorder.started == [("alice", "progress", first)]
        second = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)  # 25 hours later, still 03:00 local
        assert scheduler.next_run("alice", "progress") == second
        assert second.astimezone(ZoneInfo("America/New_York")).hour == 3
        recorder.seen.clear()
        clock.advance(to=second)
        await asyncio.wait_for(recorder.seen.wait(), 5)
        assert [s[2] for s in recorder.started] == [first, second]
    finally:
        await scheduler.shutdown()


async def test_user_schedule_overrides_global_and_interval_and_off_work() -> None:
    clock = ManualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    settings = config(
        {"id": "alice", "schedule": {"progress": "every 2h"}},
        {"id": "bob", "schedule": {"progress": "off"}},
        {"id": "carol"},
        timezone="Europe/Berlin",
        jobs={"progress": True, "wanted": True},
        schedule={"wanted": "30 6 * * 1"},  # Mondays 06:30 Berlin (04:30 UTC in summer)
    )
    scheduler = build_scheduler(settings, Recorder(clock), clock=clock)
    assert scheduler.next_run("alice", "progress") == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert scheduler.next_run("bob", "progress") is None
    assert scheduler.next_run("carol", "progress") == datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert scheduler.next_run("carol", "wanted") == datetime(2026, 6, 8, 4, 30, tzinfo=UTC)


def test_sync_interval_replaces_every_schedule() -> None:
    clock = ManualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    settings = config({"id": "alice"})
    scheduler = build_scheduler(settings, Recorder(clock), clock=clock, interval=900)
    assert [e.spec for e in scheduler.entries] == ["every 900s"]
    assert sync_interval({"SYNC_INTERVAL": "0"}) == 0
    assert sync_interval({}) is None
    with pytest.raises(ConfigError, match="SYNC_INTERVAL"):
        sync_interval({"SYNC_INTERVAL": "hourly"})


def test_bad_schedules_are_named() -> None:
    with pytest.raises(ConfigError, match="not a cron expression"):
        parse_schedule("61 * * * *", ZoneInfo("UTC"), datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match=r"schedule\.progress"):
        config({"id": "alice"}, schedule={"progress": "at three"})
    assert parse_schedule("off", ZoneInfo("UTC"), datetime(2026, 1, 1, tzinfo=UTC)) is None


# -- no overlap ------------------------------------------------------------------------------------


async def test_runs_of_one_user_never_overlap_but_users_run_side_by_side() -> None:
    clock = ManualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    recorder = Recorder(clock, hold=True)
    scheduler = build_scheduler(config({"id": "alice"}, {"id": "bob"}), recorder, clock=clock)
    ids = [scheduler.trigger("alice", "progress"), scheduler.trigger("alice", "wanted")]
    ids.append(scheduler.trigger("bob", "progress"))
    assert ids == [1, 2, 3]  # answered at once, before any run started
    await settle()
    assert sorted((u, j) for u, j, _ in recorder.started) == [("alice", "progress"), ("bob", "progress")]
    recorder.release("alice")
    await settle()
    assert [j for u, j, _ in recorder.started if u == "alice"] == ["progress", "wanted"]
    recorder.release("alice")
    recorder.release("bob")
    await scheduler.wait_idle()
    assert recorder.max_running == {"alice": 1, "bob": 1}


async def test_a_due_schedule_waits_for_the_users_running_run_and_is_queued_once() -> None:
    clock = ManualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    recorder = Recorder(clock, hold=True)
    settings = config({"id": "alice", "schedule": {"progress": "every 10m"}})
    scheduler = build_scheduler(settings, recorder, clock=clock)
    scheduler.start()
    try:
        await settle()  # fires at once (the interval starts now) and holds
        assert len(recorder.started) == 1
        for _ in range(3):  # three more due times while the first run still runs
            clock.advance(600)
            await settle()
        assert len(recorder.started) == 1
        recorder.release("alice")
        await settle()
        assert len(recorder.started) == 2  # the missed times became one run, after the first
        recorder.release("alice")
        await settle()
        assert recorder.max_running == {"alice": 1}
    finally:
        recorder.hold = False
        recorder.release("alice")
        await scheduler.shutdown()


# -- graceful shutdown with the real runner and store ----------------------------------------------


def _held_runner(store: Store, gate: asyncio.Event, started: asyncio.Event) -> JobRunner:
    async def body(user_id: str, context: RunContext) -> None:
        run = context.runs.start(user_id, "progress", dry_run=context.dry_run)  # begins the reserved run
        started.set()
        await gate.wait()
        store.runs.finish(run, RunStatus.OK, {"items": 1}, 0)

    return JobRunner(store, [StandInJob("progress", items={"written": 1}, body=body)])


async def test_shutdown_finishes_the_run_at_hand_and_records_a_queued_one_as_not_started(
    store: Store,
) -> None:
    gate, started = asyncio.Event(), asyncio.Event()
    clock = ManualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    scheduler = build_scheduler(config({"id": "alice"}), _held_runner(store, gate, started), clock=clock)
    first = scheduler.trigger("alice", "progress")
    queued = scheduler.trigger("alice", "progress")
    await asyncio.wait_for(started.wait(), 5)
    assert store.runs.get_with_events(first)[0].status is RunStatus.RUNNING
    stopping = scheduler.shutdown()
    await settle()
    assert not stopping.done()  # waits for the run at hand
    gate.set()
    await asyncio.wait_for(stopping, 5)
    assert store.runs.get_with_events(first)[0].status is RunStatus.OK
    dropped = store.runs.get_with_events(queued)[0]
    assert dropped.status is RunStatus.FAILED and "not started" in (dropped.error or "")
    with pytest.raises(ConfigError, match="shutting down"):
        scheduler.trigger("alice", "progress")


async def test_shutdown_interrupts_a_run_past_the_grace_period_and_records_it(store: Store) -> None:
    gate, started = asyncio.Event(), asyncio.Event()
    clock = ManualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    runner = _held_runner(store, gate, started)
    scheduler = build_scheduler(config({"id": "alice"}), runner, clock=clock, grace_seconds=0)
    run_id = scheduler.trigger("alice", "progress")
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(scheduler.shutdown(), 5)
    run = store.runs.get_with_events(run_id)[0]
    assert run.status is RunStatus.FAILED and run.error == INTERRUPTED
    assert run.finished_at is not None


# -- once mode (SYNC_INTERVAL=0, `bookrelay run-once`) ----------------------------------------------


async def test_once_mode_exit_code_is_0_when_every_run_succeeded_and_1_when_one_failed(store: Store) -> None:
    world = World()
    world.book("Dune", "Frank Herbert", editions=[{"asin": "B00B7NPRY8", "audio_seconds": 75_000}])
    item = world.item("Dune", "Frank Herbert", duration=75_000.0, asin="B00B7NPRY8")
    world.listen(item, current=30_000.0, duration=75_000.0)
    from bookrelay.sandbox.server import build_sandbox

    sandbox = build_sandbox(world.fixture())
    transport = httpx.ASGITransport(app=sandbox.app)
    good = world.config()
    runs = await run_jobs_once(good, store=store, transport=transport)
    assert [(r.user_id, r.job, r.status) for r in runs] == [("alice", "progress", RunStatus.OK)]
    assert once_exit_code(runs) == 0

    data = good.model_dump(by_alias=True)
    data["users"][0]["audiobookshelf"]["api_key"] = "not-alices-key"  # 401: the run stops (N4)
    bad = Config.model_validate(_plain(data))
    runs = await run_jobs_once(bad, store=store, transport=transport)
    assert [r.status for r in runs] == [RunStatus.FAILED]
    assert "401" in (runs[0].error or "") and "not-alices-key" not in (runs[0].error or "")
    assert once_exit_code(runs) == 1


def _plain(value: Any) -> Any:
    """A dumped config with its secrets as plain strings again."""
    from pydantic import SecretStr

    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def test_run_once_command_exits_0_with_nothing_to_do(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from bookrelay.cli.main import app

    path = tmp_path / "bookrelay.yaml"
    path.write_text(
        f"global:\n  database: sqlite:///{tmp_path}/b.db\n  secret_key_file: {tmp_path}/k\n"
        "  jobs: {progress: false}\nusers:\n  - id: alice\n    hardcover: {token: hc_pat_x_123456}\n"
    )
    result = CliRunner().invoke(app, ["run-once", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "no enabled job" in result.output
