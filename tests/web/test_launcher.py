"""The web launcher (no scheduler): the run id comes from the run's recorder as the run starts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bookrelay.store.facade import Store
from bookrelay.store.models import RunStatus
from bookrelay.sync.runs import RunRecorder
from bookrelay.web.context import RunLauncher


async def test_the_launcher_is_told_the_run_id_and_never_polls_the_store(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()

    async def runner(
        user_id: str, job: str, *, dry_run: bool = False, on_start: Callable[[int], None] | None = None
    ) -> int:
        run_id = RunRecorder(store, on_start=on_start).start(user_id, job, dry_run=dry_run)
        await release.wait()
        store.runs.finish(run_id, RunStatus.OK)
        return run_id

    def no_polling(*args: object, **kwargs: object) -> None:
        raise AssertionError("the launcher read the store to find its run")

    monkeypatch.setattr(store.runs, "recent", no_polling)
    launcher = RunLauncher(runner)
    run_id = await asyncio.wait_for(launcher.start("alice", "progress"), timeout=5)
    assert store.runs.get_with_events(run_id)[0].status is RunStatus.RUNNING  # answered while it runs
    assert launcher.busy("alice")
    release.set()
    await launcher.wait_idle()
    assert store.runs.get_with_events(run_id)[0].status is RunStatus.OK and not launcher.busy("alice")


async def test_a_run_that_ends_before_it_starts_a_run_answers_with_the_runners_id(store: Store) -> None:
    async def runner(
        user_id: str, job: str, *, dry_run: bool = False, on_start: Callable[[int], None] | None = None
    ) -> int:
        return 42  # queued elsewhere (the job queue), say: the id is the runner's answer

    assert await RunLauncher(runner).start("alice", "wanted") == 42
