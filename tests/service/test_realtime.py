"""The real-time trigger: Audiobookshelf socket.io events → debounce → a progress sync, end to end.

The sandbox runs under uvicorn on a loopback port, so socket.io (engine.io handshake, websocket or
polling) is real; time for the debounce is a ManualClock moved by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import socketio

from bookrelay.app import build_realtime, make_job_runner
from bookrelay.config import Config
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.service.abs_socket import socket_address
from bookrelay.service.clock import ManualClock
from bookrelay.service.realtime import AbsPoller, Debouncer, changed_items
from bookrelay.service.scheduler import build_scheduler
from bookrelay.store.facade import Store
from tests.service.served import served
from tests.sync.harness import ABS_KEY, FAST_LIMITS, HC_TOKEN, World

START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


async def settle(rounds: int = 50) -> None:
    """Let every ready task of the loop run (no time passes on any clock)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def until(condition: Any, limit: float = 10.0) -> None:
    """Wait for network I/O on this loop until ``condition()`` holds (a bound, not a delay)."""
    async with asyncio.timeout(limit):
        # The state changes inside socket.io and uvicorn tasks, which offer no event to wait on.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


# -- units -----------------------------------------------------------------------------------------


def test_socket_address_moves_a_path_prefix_into_the_socket_path() -> None:
    assert socket_address("http://abs:13378") == ("http://abs:13378", "socket.io")
    assert socket_address("https://h.example/audiobookshelf/") == (
        "https://h.example",
        "audiobookshelf/socket.io",
    )


def test_changed_items_compares_last_update_and_leaves_out_podcasts() -> None:
    before = {"a": 1, "b": 2}
    entries = [
        {"libraryItemId": "a", "lastUpdate": 1},
        {"libraryItemId": "b", "lastUpdate": 3},
        {"libraryItemId": "c", "lastUpdate": 1},
        {"libraryItemId": "p", "episodeId": "e1", "lastUpdate": 9},
    ]
    after, changed = changed_items(before, entries)
    assert changed == {"b", "c"}
    assert after == {"a": 1, "b": 3, "c": 1}


async def test_debounce_waits_for_quiet_and_restarts_on_each_change() -> None:
    clock = ManualClock(START)
    fired: list[tuple[str, frozenset[str]]] = []
    debouncer = Debouncer(clock, 60, lambda user, items: fired.append((user, items)))
    debouncer.touch("alice", {"i1"})
    await settle()
    clock.advance(30)
    debouncer.touch("alice", {"i2"})  # a second change restarts the quiet period
    await settle()
    clock.advance(59)  # 89 s after the first, 59 s after the last change
    await settle()
    assert fired == []
    assert debouncer.pending("alice") == {"i1", "i2"}
    clock.advance(1)
    await settle()
    assert fired == [("alice", frozenset({"i1", "i2"}))]
    assert debouncer.pending("alice") == frozenset()


async def test_debounce_fires_after_max_delay_while_changes_keep_coming() -> None:
    clock = ManualClock(START)
    fired: list[frozenset[str]] = []
    debouncer = Debouncer(clock, 60, lambda user, items: fired.append(items), max_delay=120)
    for _ in range(4):  # a player reports every 40 s: never 60 s of quiet
        debouncer.touch("alice", {"i1"})
        await settle()
        clock.advance(40)
        await settle()
    assert fired == [frozenset({"i1"})]  # at 120 s, not never


async def test_poller_sets_a_baseline_then_reports_changed_items() -> None:
    clock = ManualClock(START)
    snapshots = [
        [{"libraryItemId": "a", "lastUpdate": 1}],
        [{"libraryItemId": "a", "lastUpdate": 1}],
        [{"libraryItemId": "a", "lastUpdate": 2}, {"libraryItemId": "b", "lastUpdate": 1}],
    ]
    seen: list[frozenset[str]] = []

    async def snapshot() -> list[dict[str, Any]]:
        return snapshots.pop(0)

    poller = AbsPoller(
        "alice", snapshot=snapshot, on_items=lambda u, i: seen.append(i), clock=clock, every=300
    )
    assert await poller.poll() == frozenset()  # baseline
    assert await poller.poll() == frozenset()
    assert await poller.poll() == {"a", "b"}
    assert seen == [frozenset({"a", "b"})]


# -- end to end ------------------------------------------------------------------------------------


def _world() -> tuple[World, int, str]:
    world = World()
    book = world.book(
        "Project Hail Mary",
        "Andy Weir",
        editions=[
            {
                "asin": "B08G9PRS1K",
                "audio_seconds": 58_000,
                "reading_format_id": 2,
                "edition_format": "Audiobook",
            }
        ],
    )
    item = world.item("Project Hail Mary", "Andy Weir", duration=58_000.0, asin="B08G9PRS1K")
    return world, book, item


def _config(base: str, *, password: bool = True) -> Config:
    account: dict[str, Any] = {"url": f"{base}/abs"}
    if password:
        account.update(username="alice", password="alice-password")
    else:
        account["api_key"] = ABS_KEY
    return Config.model_validate(
        {
            "global": {
                "timezone": "Europe/Berlin",
                "hardcover": {
                    "url": f"{base}/hardcover/v1/graphql",
                    **{k: v for k, v in FAST_LIMITS.items() if k != "max_top_level"},
                },
                "schedule": {"progress": "off"},
                "realtime": {"debounce_seconds": 60},
            },
            "users": [{"id": "alice", "hardcover": {"token": HC_TOKEN}, "audiobookshelf": account}],
        }
    )


@dataclass
class Live:
    sandbox: Sandbox
    base: str
    clock: ManualClock
    runner: Any
    scheduler: Any
    realtime: Any
    store: Store
    book: int
    item: str

    def hardcover_reads(self) -> list[dict[str, Any]]:
        for entry in self.sandbox.hardcover.snapshot()["user_books"]:
            if entry["book_id"] == self.book:
                return list(entry["reads"])
        return []


@pytest.fixture
async def live(store: Store) -> AsyncIterator[Live]:
    world, book, item = _world()
    sandbox = build_sandbox(world.fixture())
    async with served(sandbox.app) as base:
        clock = ManualClock(START)
        config = _config(base)
        runner = make_job_runner(config, store)
        scheduler = build_scheduler(config, runner, clock=clock)
        realtime = build_realtime(config, scheduler, clock=clock)
        assert realtime is not None and len(realtime.listeners) == 1
        scheduler.start()
        realtime.start()
        try:
            yield Live(sandbox, base, clock, runner, scheduler, realtime, store, book, item)
        finally:
            await realtime.stop()
            await scheduler.shutdown()


async def _abs(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"{base}/abs", headers={"Authorization": f"Bearer {ABS_KEY}"})


async def test_progress_event_reaches_hardcover_after_the_debounce_and_not_before(live: Live) -> None:
    listener = live.realtime.listeners[0]
    await until(listener.signed_in.is_set)
    assert live.sandbox.audiobookshelf.stats()["socket_logins"] == 1
    async with await _abs(live.base) as abs_client:  # a player moves Alice's position (PATCH)
        answer = await abs_client.patch(
            f"/api/me/progress/{live.item}", json={"currentTime": 29_000, "duration": 58_000, "progress": 0.5}
        )
        assert answer.status_code == 200
    await until(lambda: live.realtime.debouncer.pending("alice") == {live.item})
    assert live.sandbox.audiobookshelf.stats()["events_user_updated"] == 1

    live.clock.advance(59)
    await settle()
    assert live.store.runs.recent() == []  # not before the debounce: no run even queued
    assert live.runner.results == []
    assert live.sandbox.hardcover.stats()["writes"] == 0
    assert live.hardcover_reads() == []

    live.clock.advance(1)
    await until(lambda: live.runner.results != [])
    await live.scheduler.wait_idle()
    (result,) = live.runner.results
    assert result.status == "ok" and result.job == "progress"
    reads = live.hardcover_reads()
    assert len(reads) == 1 and reads[0]["progress_seconds"] == 29_000


async def test_session_sync_event_triggers_a_sync_of_that_item(live: Live) -> None:
    listener = live.realtime.listeners[0]
    await until(listener.signed_in.is_set)
    async with await _abs(live.base) as abs_client:
        session = (await abs_client.post(f"/api/items/{live.item}/play", json={"deviceInfo": {}})).json()
        synced = await abs_client.post(
            f"/api/session/{session['id']}/sync",
            json={"currentTime": 14_500, "timeListened": 30, "duration": 58_000},
        )
        assert synced.status_code == 200 and synced.text == "OK"
    await until(lambda: live.realtime.debouncer.pending("alice") == {live.item})
    assert live.sandbox.audiobookshelf.stats()["events_user_item_progress_updated"] == 1
    live.clock.advance(60)
    await until(lambda: live.runner.results != [])
    await live.scheduler.wait_idle()
    reads = live.hardcover_reads()
    assert len(reads) == 1 and reads[0]["progress_seconds"] == 14_500


async def test_fake_abs_refuses_an_api_key_on_the_socket() -> None:
    world, _, _ = _world()
    sandbox = build_sandbox(world.fixture())
    async with served(sandbox.app) as base:
        client = socketio.AsyncClient()
        answers: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        client.on("auth_failed", lambda data: answers.put_nowait(("auth_failed", data)))
        client.on("init", lambda data: answers.put_nowait(("init", data)))
        await client.connect(base, socketio_path="abs/socket.io")
        try:
            await client.emit("auth", ABS_KEY)  # §12: an API key has no userId
            event, data = await asyncio.wait_for(answers.get(), 10)
            assert event == "auth_failed" and "message" in data
            legacy = next(iter(sandbox.audiobookshelf.users.values())).legacy_token
            await client.emit("auth", legacy)  # the legacy user token is accepted
            event, data = await asyncio.wait_for(answers.get(), 10)
            assert event == "init" and data["username"] == "alice"
        finally:
            await client.disconnect()


async def test_api_key_only_users_are_polled_not_listened_to(store: Store) -> None:
    config = _config("http://127.0.0.1:9", password=False)
    scheduler = build_scheduler(config, make_job_runner(config, store), clock=ManualClock(START))
    realtime = build_realtime(config, scheduler, clock=ManualClock(START))
    assert realtime is not None
    try:
        assert realtime.listeners == [] and [p.user_id for p in realtime.pollers] == ["alice"]
    finally:
        await realtime.stop()
