"""Hardcover → Audiobookshelf (scrobble) on the real server: what bookrelay writes is what the server
then stores; the server's quirk (``isFinished`` in a body makes it ignore ``progress``) holds on the fake."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from bookrelay.app import run_scrobble
from bookrelay.sandbox.audiobookshelf import AbsState, build_abs_app
from bookrelay.store.facade import Store
from tests.real_abs.server import AbsUser, RealAbs
from tests.real_abs.wiring import Wired, run_progress_on, wire

BOTH = {"directions": {"progress": "both"}}


def _hc_read(wired: Wired, key: str) -> dict[str, Any]:
    """Alice's newest Hardcover read of a book, live in the fake (edit it to act as another device)."""
    hc = wired.sandbox.hardcover
    entry = next(
        ub
        for ub in hc.rows("user_books").values()
        if ub["book_id"] == wired.book_ids[key] and ub["user_id"] == 1
    )
    reads = [r for r in hc.rows("user_book_reads").values() if r["user_book_id"] == entry["id"]]
    return max(reads, key=lambda r: r["id"])


async def _scrobble(wired: Wired, store: Store) -> Any:
    (report,) = await run_scrobble(wired.config(**BOTH), ["alice"], transport=wired.transport, store=store)
    assert report.status == "ok", report.summary()
    return report


async def _linked(real_abs: RealAbs, user: AbsUser, store: Store, key: str) -> Wired:
    """The item listened to 20 %, linked by a progress run, the scrobble baseline taken."""
    wired = wire(real_abs, user)
    duration = real_abs.books[key].duration
    wired.patch(key, {"currentTime": duration * 0.2, "duration": duration, "progress": 0.2})
    assert (await run_progress_on(wired, store)).written == 1
    baseline = await _scrobble(wired, store)
    assert baseline.progress is not None and baseline.progress.written == 0
    return wired


async def test_S13_a_hardcover_position_is_what_the_real_server_stores(
    real_abs: RealAbs, abs_user: AbsUser, sqlite_store: Store
) -> None:
    wired = await _linked(real_abs, abs_user, sqlite_store, "asr")
    seconds = round(real_abs.books["asr"].duration)
    _hc_read(wired, "asr")["progress_seconds"] = round(seconds * 0.6)  # read on the phone: 60 %
    wired.sandbox.hardcover.changed()
    report = await _scrobble(wired, sqlite_store)
    assert report.progress is not None and report.progress.written == 1, report.summary()
    stored = wired.progress("asr")
    assert stored is not None and not stored["isFinished"]
    assert abs(stored["currentTime"] - seconds * 0.6) <= 1.0
    assert abs(stored["progress"] - 0.6) <= 0.01  # sent along and stored: the server never derives it
    again = await _scrobble(wired, sqlite_store)  # S12: unchanged since → nothing
    assert again.progress is not None and again.progress.written == 0


async def test_S15_a_hardcover_finish_is_stored_with_hardcovers_day(
    real_abs: RealAbs, abs_user: AbsUser, sqlite_store: Store
) -> None:
    wired = await _linked(real_abs, abs_user, sqlite_store, "circe")
    _hc_read(wired, "circe").update(
        finished_at="2026-11-24", progress_seconds=round(real_abs.books["circe"].duration)
    )
    wired.sandbox.hardcover.changed()
    report = await _scrobble(wired, sqlite_store)
    assert report.progress is not None and report.progress.written == 1, report.summary()
    stored = wired.progress("circe")
    assert stored is not None and stored["isFinished"] and stored["progress"] == 1
    finished = datetime.fromtimestamp(stored["finishedAt"] / 1000, UTC)
    assert finished.date().isoformat() == "2026-11-24"  # noon of Hardcover's day in the user's zone (UTC)


async def _quirk(client: httpx.AsyncClient, item_id: str, duration: float) -> list[dict[str, Any]]:
    """Create progress at 30 %, then send ``isFinished: false`` with 80 %, then 50 % without it."""
    seen = []
    for body in (
        {"currentTime": duration * 0.3, "duration": duration, "progress": 0.3},
        {"isFinished": False, "currentTime": duration * 0.8, "duration": duration, "progress": 0.8},
        {"currentTime": duration * 0.5, "duration": duration, "progress": 0.5},
    ):
        answer = await client.patch(f"/api/me/progress/{item_id}", json=body)
        assert answer.status_code == 200 and answer.text == "OK"
        stored = (await client.get(f"/api/me/progress/{item_id}")).json()
        seen.append({k: stored[k] for k in ("progress", "currentTime", "isFinished")})
    return seen


async def test_S13_isFinished_in_the_body_makes_real_and_fake_ignore_progress(
    real_abs: RealAbs, abs_user: AbsUser
) -> None:
    book = real_abs.books["piranesi"]
    auth = {"Authorization": f"Bearer {abs_user.api_key}"}
    async with httpx.AsyncClient(base_url=real_abs.url, headers=auth) as client:
        real = await _quirk(client, book.item_id, book.duration)
    assert [s["progress"] for s in real] == [0.3, 0.3, 0.5]  # the 0.8 was ignored
    assert real[1]["currentTime"] == book.duration * 0.8  # … while the position moved
    item = {"id": book.item_id, "title": book.title.title, "duration": book.duration}
    fake = AbsState.from_fixture(
        {
            "users": [{"username": "root", "type": "root"}],
            "api_keys": [{"name": "k", "key": "fake-key", "username": "root", "isActive": True}],
            "libraries": [{"name": "Audiobooks", "items": [item]}],
        }
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_abs_app(fake)),
        base_url="http://fake",
        headers={"Authorization": "Bearer fake-key"},
    ) as client:
        assert await _quirk(client, book.item_id, book.duration) == real
