"""The real-time trigger on the real server: a user signed in over socket.io with a password, a playback
session's sync on the server (``user_item_progress_updated``) reaches bookrelay, and after the debounce the
progress job writes Hardcover. Time for the debounce is a ManualClock moved by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from bookrelay.app import build_realtime, make_job_runner
from bookrelay.service.clock import ManualClock
from bookrelay.service.scheduler import build_scheduler
from bookrelay.store.facade import Store
from tests.real_abs.server import AbsUser, RealAbs
from tests.real_abs.wiring import wire
from tests.service.test_realtime import until


async def test_session_sync_on_the_real_server_reaches_hardcover_through_the_socket(
    real_abs: RealAbs, abs_user: AbsUser, sqlite_store: Store
) -> None:
    wired = wire(real_abs, abs_user)
    account = {"url": real_abs.url, "username": abs_user.username, "password": abs_user.password}
    config = wired.config(account=account, schedule={"progress": "off"}, realtime={"debounce_seconds": 60})
    clock = ManualClock(datetime.now(UTC))
    runner = make_job_runner(config, sqlite_store, transport=wired.transport)
    scheduler = build_scheduler(config, runner, clock=clock)
    realtime = build_realtime(config, scheduler, clock=clock, transport=wired.transport)
    assert realtime is not None and len(realtime.listeners) == 1  # a password: socket.io, not polling
    book = real_abs.books["leviathan"]
    scheduler.start()
    realtime.start()
    try:
        listener = realtime.listeners[0]
        await until(listener.signed_in.is_set, 20)  # the server sent `init` for the access token
        async with httpx.AsyncClient(
            base_url=real_abs.url, headers={"Authorization": f"Bearer {abs_user.api_key}"}
        ) as player:  # a player plays the book and reports its position
            device = {"clientName": "test-player", "deviceId": "real-abs-test"}
            play = await player.post(
                f"/api/items/{book.item_id}/play",
                json={"deviceInfo": device, "forceDirectPlay": True, "mediaPlayer": "html5"},
            )
            assert play.status_code == 200, play.text
            synced = await player.post(
                f"/api/session/{play.json()['id']}/sync",
                json={"currentTime": book.duration / 2, "timeListened": 5, "duration": book.duration},
            )
            assert synced.status_code == 200 and synced.text == "OK"
        await until(lambda: realtime.debouncer.pending("alice") == {book.item_id})
        assert listener.events >= 1
        stored = wired.progress("leviathan")
        assert stored is not None and abs(stored["progress"] - 0.5) < 0.01  # a session sync derives it

        clock.advance(59)
        assert wired.sandbox.hardcover.stats()["writes"] == 0  # not before the debounce
        clock.advance(1)
        await until(lambda: runner.results != [], 20)
        await scheduler.wait_idle()
        (result,) = runner.results
        assert result.status == "ok" and result.job == "progress"
        entry = wired.user_book("leviathan")
        assert entry is not None
        assert [r["progress_seconds"] for r in entry["reads"]] == [round(round(book.duration) / 2)]
    finally:
        await realtime.stop()
        await scheduler.shutdown()
