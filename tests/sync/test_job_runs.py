"""One run recorder for every job: units recorded, the lookup cache purged by a run, one way to stop."""

from __future__ import annotations

from datetime import timedelta

from bookrelay.errors import QuotaExhausted
from bookrelay.store.facade import Store
from bookrelay.store.models import CacheKind, RunStatus
from bookrelay.sync.runs import JobReport, RunRecorder
from tests.store_fixtures import FakeClock
from tests.sync.test_scrobble_reverse import _linked


async def test_N1_a_scrobble_run_records_the_hardcover_units_it_spent(store: Store) -> None:
    scrobbler, book, _ = await _linked(store, current=7_200.0)
    scrobbler.hc_read(book)["progress_seconds"] = 18_000
    scrobbler.hc_changed()
    spent_before = scrobbler.runner.sandbox.hardcover.stats()["units"]
    report = await scrobbler.scrobble()
    spent = scrobbler.runner.sandbox.hardcover.stats()["units"] - spent_before
    assert report.run_id is not None and spent > 0
    run, _ = store.runs.get_with_events(report.run_id)
    # The dashboard's "units left today" sums these: a scrobble run recorded 0 before.
    assert report.units_spent == spent and run.hardcover_units == spent


def test_N1_a_run_purges_the_lookup_caches_expired_entries(clocked_store: Store, clock: FakeClock) -> None:
    clocked_store.lookup_cache.put(CacheKind.ISBN13, "9780000000001", {"edition": 1}, timedelta(hours=1))
    clocked_store.lookup_cache.put_negative(CacheKind.ISBN13, "9780000000002", timedelta(days=30))
    clock.advance(timedelta(hours=2))
    runs = RunRecorder(clocked_store)
    run_id = runs.start("alice", "progress")
    runs.finish(run_id, JobReport(run_id=run_id, units_spent=4))
    assert clocked_store.lookup_cache.purge_expired() == 0  # the run purged the expired entry already
    assert clocked_store.lookup_cache.get(CacheKind.ISBN13, "9780000000002") is not None  # a live one stays
    run, _ = clocked_store.runs.get_with_events(run_id)
    assert (run.status, run.hardcover_units) == (RunStatus.OK, 4)


def test_N1_a_stopped_run_says_so_once_with_its_error_kind(store: Store) -> None:
    runs = RunRecorder(store)
    run_id = runs.start("alice", "wanted")
    report = JobReport(run_id=run_id)
    report.stop(QuotaExhausted("the daily Hardcover budget is spent"))
    runs.finish(run_id, report)
    run, _ = store.runs.get_with_events(run_id)
    assert (report.status, report.error_kind) == ("failed", "QuotaExhausted")
    assert (run.status, run.error) == (RunStatus.FAILED, "the daily Hardcover budget is spent")


def test_a_reserved_run_is_the_one_the_recorder_starts_and_names(store: Store) -> None:
    heard: list[int] = []
    reserved = RunRecorder(store).reserve("alice", "scrobble")
    runs = RunRecorder(store, reserved=reserved, on_start=heard.append)
    assert runs.start("alice", "scrobble") == reserved and heard == [reserved]
    assert store.runs.get_with_events(reserved)[0].status is RunStatus.RUNNING
    fresh = runs.start("alice", "scrobble")  # the reservation is used once
    assert fresh != reserved and heard == [reserved, fresh]
