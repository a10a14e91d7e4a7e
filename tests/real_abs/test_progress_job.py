"""The progress job end to end: the real Audiobookshelf → the sandbox's fake Hardcover. A first sync, an
unchanged sync (no Hardcover request at all), a progress change on the same read (P11), a finish (P6)."""

from __future__ import annotations

from datetime import UTC, datetime

from bookrelay.store.facade import Store
from tests.real_abs.server import AbsUser, RealAbs
from tests.real_abs.wiring import run_progress_on, wire

READING, READ = 2, 3  # Hardcover status ids


async def test_P11_progress_job_first_unchanged_changed_and_finished(
    real_abs: RealAbs, abs_user: AbsUser, sqlite_store: Store
) -> None:
    wired = wire(real_abs, abs_user)
    book = real_abs.books["phm"]
    edition_seconds = round(book.duration)
    wired.patch("phm", {"currentTime": book.duration * 0.4, "duration": book.duration, "progress": 0.4})

    first = await run_progress_on(wired, sqlite_store)
    assert first.error is None and first.written == 1, first.summary()
    entry = wired.user_book("phm")
    assert entry is not None and entry["status_id"] == READING  # P7
    (read,) = entry["reads"]
    assert read["progress_seconds"] == round(0.4 * edition_seconds)
    assert read["started_at"] == datetime.now(UTC).date().isoformat()  # the server's startedAt (created now)

    units = wired.units()
    unchanged = await run_progress_on(wired, sqlite_store)
    assert unchanged.error is None and unchanged.written == 0 and unchanged.unchanged == 1
    assert wired.units() == units  # nothing changed on the server: not one Hardcover unit

    wired.patch("phm", {"currentTime": book.duration * 0.7, "duration": book.duration, "progress": 0.7})
    changed = await run_progress_on(wired, sqlite_store)
    assert changed.error is None and changed.written == 1, changed.summary()
    entry = wired.user_book("phm")
    assert entry is not None
    (same,) = entry["reads"]  # the open read is updated, never a second one
    assert same["id"] == read["id"] and same["progress_seconds"] == round(0.7 * edition_seconds)

    wired.patch("phm", {"isFinished": True})
    stored = wired.progress("phm")
    assert stored is not None and stored["isFinished"] and stored["finishedAt"] is not None
    finished = await run_progress_on(wired, sqlite_store)
    assert finished.error is None and finished.finished == ["Project Hail Mary"], finished.summary()
    entry = wired.user_book("phm")
    assert entry is not None and entry["status_id"] == READ  # P6, dated by the server's finishedAt
    finished_day = datetime.fromtimestamp(stored["finishedAt"] / 1000, UTC).date().isoformat()
    assert [r["finished_at"] for r in entry["reads"]] == [finished_day]
