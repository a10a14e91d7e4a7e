"""Seeing what a long run does: log lines per phase and every ~30 s off a terminal, time left at the
Hardcover budget's pace, one line per run start and end (with the reason of a failure), and ``-v``
showing bookrelay's own decisions per item rather than the libraries' requests."""

from __future__ import annotations

import logging
import time

import pytest

from bookrelay.cli.logs import setup_logging
from bookrelay.service.heartbeat import Heartbeat, Tick, eta_seconds
from bookrelay.service.runner import JobRunner
from bookrelay.store.facade import Store
from tests.service.stand_in_jobs import StandInJob
from tests.sync.harness import Runner, World


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_heartbeat_logs_each_phase_and_then_every_30_seconds(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    beat = Heartbeat(monotonic=clock, timer=False)
    caplog.set_level(logging.INFO, logger="bookrelay.progress")
    beat(Tick("alice", "collecting", 0, 1))
    beat(Tick("alice", "matching", 0, 400))
    for second in range(1, 75):  # one tick a second for 74 s of matching
        clock.now = float(second)
        beat(Tick("alice", "matching", second, 400, units=second // 2))
    beat(Tick("alice", "writing", 0, 400))
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(" ")[1] for line in lines] == [
        "collecting",
        "matching",
        "matching",
        "matching",
        "writing",
    ]
    assert lines[2] == "alice: matching 30/400 items, 15 Hardcover units spent, about 6 min left"


def test_heartbeat_repeats_the_latest_tick_while_a_long_chunk_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One chunk of writes can take minutes at the budget's pace: lines keep coming, with the units spent."""
    caplog.set_level(logging.INFO, logger="bookrelay.progress")
    spent = [10]
    beat = Heartbeat(every=0.05)
    beat(Tick("alice", "writing", 0, 100, units=10, spent=lambda: spent[0]))
    spent[0] = 25
    deadline = time.monotonic() + 5
    while len(caplog.records) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)  # waiting for the timer thread, not pacing the code under test
    beat.close()
    count = len(caplog.records)
    time.sleep(0.2)
    assert 3 <= count == len(caplog.records)  # the lines came by themselves, and stop at close
    assert "writing 0/100 items, 25 Hardcover units spent" in caplog.records[-1].getMessage()


def test_time_left_follows_the_budget_when_it_is_slower_than_the_run_so_far() -> None:
    # 10 items in 1 s, 6 units each: 100 items left need 600 units, ten minutes at 60 a minute.
    assert eta_seconds(Tick("alice", "writing", 10, 110, units=60, per_minute=60), 1.0) == 600.0
    # No units spent: the pace so far (0.1 s an item) decides.
    assert eta_seconds(Tick("alice", "matching", 10, 110), 1.0) == pytest.approx(10.0)
    assert eta_seconds(Tick("alice", "matching", 0, 110), 1.0) is None


async def test_runner_logs_a_line_at_run_start_and_end_with_the_reason(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    failing = StandInJob("wanted", items={"failed": 2}, error="Bookshelf answered 503")
    working = StandInJob("progress", items={"written": 3, "held": 1}, units=12)
    runner = JobRunner(store, [failing, working])
    caplog.set_level(logging.INFO, logger="bookrelay.service.runner")
    wanted = await runner("alice", "wanted")
    progress = await runner("alice", "progress")
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines[0] == ("INFO", f"run {wanted}: wanted for alice started")
    level, ended = lines[1]
    assert level == "WARNING" and ended.startswith(f"run {wanted}: wanted for alice: failed, 2 failed; 0 ")
    assert ended.endswith("reason: Bookshelf answered 503")
    assert lines[3][1].startswith(f"run {progress}: progress for alice: ok, 3 written, 1 held; 12 Hardcover")


async def test_verbose_shows_each_items_decision_not_library_requests(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    setup_logging(verbose=True)
    try:
        assert logging.getLogger("bookrelay.sync.report").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)
        world = World()
        world.book("Dune", "Frank Herbert", editions=[{"audio_seconds": 72_000, "reading_format_id": 2}])
        world.listen(world.item("Dune", "Frank Herbert", duration=72_000), current=36_000, duration=72_000)
        caplog.set_level(logging.DEBUG, logger="bookrelay")
        await Runner.start(world, store).sync()
        decisions = [r.getMessage() for r in caplog.records if r.name == "bookrelay.sync.report"]
        assert decisions == [
            "written: Dune — Frank Herbert: not on your shelf → Currently Reading at 50 % (10 h 00 min)"
        ]
    finally:
        setup_logging(verbose=False)
    assert not logging.getLogger("bookrelay").isEnabledFor(logging.DEBUG)
