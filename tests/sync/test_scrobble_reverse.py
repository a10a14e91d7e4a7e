"""Hardcover → Audiobookshelf progress end to end on the sandbox, on SQLite and PostgreSQL (S12-S15)."""

from __future__ import annotations

from bookrelay.store.facade import Store
from tests.sync.scrobble_world import Scrobbler, audiobook, scrobble_world

BACK = {"progress": "both"}


async def _linked(store: Store, *, current: float, **directions: str) -> tuple[Scrobbler, int, str]:
    world = scrobble_world()
    book, item = audiobook(world, "All Systems Red", "Martha Wells", "B06XKWD7CP")
    world.listen(item, current=current, duration=36_000.0)
    scrobbler = Scrobbler.start(world, store, **(directions or BACK))
    report = await scrobbler.runner.sync()  # the progress job links the item and writes Hardcover
    assert report.error is None
    baseline = await scrobbler.scrobble()
    assert baseline.status == "ok" and baseline.progress is not None and baseline.progress.written == 0
    return scrobbler, book, item


async def test_S13_a_read_on_another_device_moves_the_audiobookshelf_position(store: Store) -> None:
    scrobbler, book, item = await _linked(store, current=7_200.0)
    scrobbler.hc_read(book)["progress_seconds"] = 18_000  # read on the phone: 50 %
    scrobbler.hc_changed()
    report = await scrobbler.scrobble()
    assert report.progress is not None and report.progress.written == 1, report.summary()
    progress = scrobbler.abs_progress(item)
    assert progress.current_time == 18_000.0
    assert progress.progress == 0.5  # sent along: the server never derives it
    assert not progress.is_finished
    again = await scrobbler.scrobble()  # S12: unchanged since → nothing
    assert again.progress is not None and again.progress.written == 0


async def test_S13_never_regresses_a_newer_local_position(store: Store) -> None:
    scrobbler, book, item = await _linked(store, current=7_200.0)
    scrobbler.hc_read(book)["progress_seconds"] = 10_800  # 30 % on Hardcover …
    scrobbler.hc_changed()
    await scrobbler.runner.play(item, current=25_200.0, duration=36_000.0)  # … while ABS moved to 70 %
    report = await scrobbler.scrobble()
    assert report.progress is not None and report.progress.written == 0
    assert scrobbler.abs_progress(item).current_time == 25_200.0


async def test_S14_never_unfinishes_a_finished_item(store: Store) -> None:
    world = scrobble_world()
    book, item = audiobook(world, "All Systems Red", "Martha Wells", "B06XKWD7CP")
    world.listen(item, current=36_000.0, duration=36_000.0, finished=True, finished_at="2026-11-10T20:00:00")
    scrobbler = Scrobbler.start(world, store, **BACK)
    await scrobbler.runner.sync()
    await scrobbler.scrobble()
    read = scrobbler.hc_read(book)
    read.update(finished_at=None, progress_seconds=3_600)  # the finish undone on Hardcover
    scrobbler.hc_changed()
    report = await scrobbler.scrobble()
    assert report.progress is not None and report.progress.held["S14"] == 1
    after = scrobbler.abs_progress(item)
    assert after.is_finished and after.current_time == 36_000.0


async def test_S15_finished_on_hardcover_finishes_the_item_with_hardcovers_date(store: Store) -> None:
    scrobbler, book, item = await _linked(store, current=7_200.0)
    scrobbler.hc_read(book).update(finished_at="2026-11-24", progress_seconds=36_000)
    scrobbler.hc_changed()
    report = await scrobbler.scrobble()
    assert report.progress is not None and report.progress.written == 1
    progress = scrobbler.abs_progress(item)
    assert progress.is_finished and progress.progress == 1.0
    assert progress.finished_at is not None
    from datetime import UTC, datetime

    assert datetime.fromtimestamp(progress.finished_at / 1000, UTC).date().isoformat() == "2026-11-24"


async def test_S10_progress_to_hardcover_only_never_writes_audiobookshelf(store: Store) -> None:
    scrobbler, book, item = await _linked(store, current=7_200.0, progress="to_hardcover")
    writes_before = scrobbler.runner.sandbox.audiobookshelf.stats()["writes"]
    scrobbler.hc_read(book)["progress_seconds"] = 30_000
    scrobbler.hc_changed()
    report = await scrobbler.scrobble()
    assert report.progress is not None and report.progress.written == 0
    assert scrobbler.runner.sandbox.audiobookshelf.stats()["writes"] == writes_before
    assert scrobbler.abs_progress(item).current_time == 7_200.0


async def test_S12_dry_run_plans_but_writes_and_remembers_nothing(store: Store) -> None:
    scrobbler, book, item = await _linked(store, current=7_200.0)
    scrobbler.hc_read(book)["progress_seconds"] = 18_000
    scrobbler.hc_changed()
    dry = await scrobbler.scrobble(dry_run=True)
    assert dry.progress is not None and [p.payload for p in dry.progress.plans if p.writes]
    assert scrobbler.abs_progress(item).current_time == 7_200.0
    real = await scrobbler.scrobble()  # the dry run did not consume the change
    assert real.progress is not None and real.progress.written == 1
