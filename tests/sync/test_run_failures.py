"""An unexpected error inside a run is recorded as a failed run, never "ok" (S3)."""

from __future__ import annotations

from typing import Any

import pytest

from bookrelay.app import wanted as wanted_wiring
from bookrelay.config import Config
from bookrelay.store.facade import Store
from bookrelay.store.models import RunStatus
from bookrelay.sync.progress import ProgressJob
from bookrelay.sync.scrobble.job import ScrobbleJob
from tests.sync.harness import Runner, World
from tests.sync.scrobble_world import Scrobbler, audiobook, scrobble_world


async def test_S3_an_unexpected_error_in_a_progress_run_records_the_run_failed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World()
    item = world.item("Project Hail Mary", "Andy Weir", duration=58_000.0, asin="B08G9PRS1K")
    world.listen(item, current=29_000.0, duration=58_000.0)
    runner = Runner.start(world, store)

    def overflow(self: ProgressJob, *args: object, **kwargs: object) -> object:
        raise OverflowError("date value out of range")  # what an unmatched TTL of 10^8 hours caused

    monkeypatch.setattr(ProgressJob, "_links", overflow)
    with pytest.raises(OverflowError):
        await runner.sync()
    (run,) = store.runs.recent(1, user_id="alice", job="progress")
    assert run.status is RunStatus.FAILED
    assert run.error is not None and "OverflowError: date value out of range" in run.error


async def test_S3_an_unexpected_error_in_a_scrobble_run_records_the_run_failed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = scrobble_world()
    _, item = audiobook(world, "Dune", "Frank Herbert", "B002V1OF70")
    world.listen(item, current=7_200.0, duration=36_000.0)
    scrobbler = Scrobbler.start(world, store, lists="from_hardcover")

    async def broken_step(self: ScrobbleJob, report: object, name: str, step: Any) -> Any:
        step.close()  # the step's coroutine is never awaited
        raise ValueError(f"no sense in step {name}")

    monkeypatch.setattr(ScrobbleJob, "_step", broken_step)
    with pytest.raises(ValueError, match="no sense in step"):
        await scrobbler.scrobble()
    (run,) = store.runs.recent(1, user_id="alice", job="scrobble")
    assert run.status is RunStatus.FAILED
    assert run.error is not None and "ValueError: no sense in step" in run.error


async def test_S3_an_unexpected_error_in_a_wanted_run_records_the_run_failed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config.model_validate(
        {
            "global": {"bookshelf": {"url": "http://bookshelf.invalid", "api_key": "shelf-key-0001"}},
            "users": [{"id": "alice", "hardcover": {"token": "hc_pat_wanted_alice"}}],
        }
    )

    async def broken(**_: object) -> object:
        raise KeyError("a field the ledger never had")

    monkeypatch.setattr(wanted_wiring, "run_wanted", broken)
    with pytest.raises(KeyError):
        await wanted_wiring.wanted_for_user(config, "alice", store)
    (run,) = store.runs.recent(1, user_id="alice", job="wanted")
    assert run.status is RunStatus.FAILED  # was left "running" for ever
    assert run.error is not None and "KeyError" in run.error and "a field the ledger never had" in run.error
