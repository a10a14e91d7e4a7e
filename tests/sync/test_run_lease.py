"""P11: two runs of one user never overlap, whatever starts them: a per-user lease in the store."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from bookrelay.app import build_progress_job
from bookrelay.app.clients import build_user_clients
from bookrelay.errors import AlreadyRunning
from bookrelay.store.facade import Store
from bookrelay.sync.lease import LeaseSettings
from bookrelay.sync.report import ProgressReport
from tests.processes import run_together
from tests.store_fixtures import FakeClock
from tests.sync.harness import Runner, World

AUDIO = {"reading_format_id": 2, "edition_format": "Audiobook"}
QUICK = LeaseSettings(ttl=60.0, renew_every=30.0, wait=0.3, poll=0.05)
TTL = timedelta(seconds=60)


def small_library(n: int = 6) -> World:
    world = World()
    for i in range(n):
        asin = f"B0LEASE{i:03d}"
        world.book(
            f"Leased Book {i}", f"Author {i}", editions=[{**AUDIO, "asin": asin, "audio_seconds": 36_000}]
        )
        item = world.item(f"Leased Book {i}", f"Author {i}", asin=asin)
        world.listen(item, current=10_000.0 + i * 1_000)
    return world


async def run_job(
    runner: Runner, store: Store, *, holder: str, transport: httpx.AsyncBaseTransport
) -> ProgressReport:
    user = runner.config.user("alice")
    clients = build_user_clients(runner.config, user, transport=transport)
    try:
        job = build_progress_job(runner.config, user, clients, store, transport=transport, holder=holder)
        return await dataclasses.replace(job, lease=QUICK).run()
    finally:
        await clients.aclose()


class SlowWrites(httpx.AsyncBaseTransport):
    """The sandbox, each write request held a while: the first run still goes when the second starts."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if b"mutation" in request.content:
            await asyncio.sleep(0.5)
        return await self.inner.handle_async_request(request)


async def test_P11_a_second_run_of_the_same_user_waits_then_stops_naming_the_first(store: Store) -> None:
    world = small_library()
    single = Runner.start(world, store)
    transport = SlowWrites(single.sandbox.app)
    first, second = await asyncio.gather(
        run_job(single, store, holder="serve", transport=transport),
        run_job(single, store, holder="cli", transport=transport),
        return_exceptions=True,
    )
    assert isinstance(first, ProgressReport) and first.error is None and first.written == 6
    assert isinstance(second, AlreadyRunning)
    assert str(second).startswith("alice: a progress run is already going (started ")
    assert str(second).endswith(" by serve)")
    # Every write was sent once: one entry and one read per book, and the lease is free again.
    assert single.hc_writes == 2 * 6  # per book: the entry, then the read Hardcover opened (P11)
    for entry in single.sandbox.hardcover.snapshot()["user_books"]:
        assert len(entry["reads"]) == 1
    assert store.leases.current("alice", "progress") is None
    third = await run_job(single, store, holder="cli", transport=transport)
    assert third.error is None and third.written == 0 and third.units_spent == 0


async def test_P11_a_lease_held_by_serve_stops_a_cli_run_with_the_start_time_in_the_users_zone(
    store: Store,
) -> None:
    world = small_library(1)
    runner = Runner.start(world, store)
    ours, _ = store.leases.acquire("alice", "progress", holder="serve", host="other-host", pid=1, ttl=TTL)
    assert ours is not None
    transport = httpx.ASGITransport(app=runner.sandbox.app)
    with pytest.raises(AlreadyRunning) as caught:
        await run_job(runner, store, holder="cli", transport=transport)
    started = ours.started_at.astimezone(ZoneInfo(world.timezone)).strftime("%H:%M")
    assert str(caught.value) == f"alice: a progress run is already going (started {started} by serve)"
    assert caught.value.exit_code == 9 and caught.value.http_status == 409
    assert runner.hc_writes == 0
    store.leases.release(ours)
    assert (await runner.sync()).written == 1


def test_P11_an_expired_lease_or_one_whose_process_is_gone_is_taken_over(
    clocked_store: Store, clock: FakeClock
) -> None:
    leases = clocked_store.leases
    first, _ = leases.acquire("alice", "progress", holder="cli", host="h", pid=11, ttl=TTL)
    assert first is not None
    _, theirs = leases.acquire("alice", "progress", holder="serve", host="h", pid=12, ttl=TTL)
    assert theirs is not None and theirs.holder == "cli"
    assert leases.renew(first, TTL)
    clock.advance(timedelta(seconds=59))
    assert leases.acquire("alice", "progress", holder="serve", host="h", pid=12, ttl=TTL)[0] is None
    clock.advance(timedelta(seconds=2))  # the holder was killed: it renewed no more
    second, _ = leases.acquire("alice", "progress", holder="serve", host="h", pid=12, ttl=TTL)
    assert second is not None and second.holder == "serve"
    assert not leases.renew(first, TTL)  # the killed run's lease is no longer its own
    leases.release(first)  # and giving it back does not free the new holder's
    assert leases.current("alice", "progress") == second
    third, _ = leases.acquire(
        "alice", "progress", holder="worker", host="h", pid=13, ttl=TTL, gone=lambda lease: lease.pid == 12
    )
    assert third is not None and third.holder == "worker"
    # Another user's run, or another job of the same user, is not held back.
    assert leases.acquire("bob", "progress", holder="cli", host="h", pid=14, ttl=TTL)[0] is not None
    assert leases.acquire("alice", "scrobble", holder="cli", host="h", pid=14, ttl=TTL)[0] is not None


CHILD = """
import json, sys
from datetime import timedelta
from bookrelay.store.db import Database, create_engine_for
from bookrelay.store.repositories.leases import LeaseRepo

url, name = sys.argv[1], sys.argv[2]
repo = LeaseRepo(Database(create_engine_for(url)))
print("ready", flush=True)
sys.stdin.readline()
ours, theirs = repo.acquire("alice", "progress", holder=name, host="h", pid=1, ttl=timedelta(minutes=5))
print(json.dumps(["ok", name] if ours else ["refused", theirs.holder]), flush=True)
"""


def test_P11_two_processes_starting_at_once_get_one_lease(db_url: str, store: Store) -> None:
    results = [json.loads(line) for line in run_together(CHILD, [[db_url, "cli-1"], [db_url, "cli-2"]])]
    winners = [r[1] for r in results if r[0] == "ok"]
    refused = [r[1] for r in results if r[0] == "refused"]
    assert len(winners) == 1 and refused == winners  # the loser names the winner as the holder
    held = store.leases.current("alice", "progress")
    assert held is not None and held.holder == winners[0]


def test_P11_a_lease_left_by_a_killed_process_on_this_host_is_free(store: Store) -> None:
    from bookrelay.sync.lease import _gone

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left, _ = store.leases.acquire(
        "alice", "progress", holder="cli", host=socket.gethostname(), pid=dead.pid, ttl=TTL
    )
    assert left is not None and _gone(left)
    alive, _ = store.leases.acquire(
        "bob", "progress", holder="cli", host=socket.gethostname(), pid=os.getpid(), ttl=TTL
    )
    assert alive is not None and not _gone(alive)
    elsewhere = dataclasses.replace(left, host="another-host")
    assert not _gone(elsewhere)  # a process elsewhere cannot be checked: its lease runs out instead


@pytest.mark.parametrize("dry_run", [True])
async def test_P11_a_dry_run_needs_no_lease(store: Store, dry_run: bool) -> None:
    world = small_library(1)
    runner = Runner.start(world, store)
    ours, _ = store.leases.acquire("alice", "progress", holder="serve", host="h", pid=1, ttl=TTL)
    assert ours is not None
    report = await runner.sync(dry_run=dry_run)
    assert report.error is None and len(report.plan) == 1
