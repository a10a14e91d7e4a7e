"""P11 under interruption: a run stopped after any Hardcover write request, or whose answer to one was
lost, followed by one ordinary run, ends in exactly the Hardcover state an uninterrupted run gives.

One library of 50 items (new, want to read, in progress, finishing, finished, re-read) is synced through
the in-process sandbox; for every write position k the run is stopped there, on a fresh store and a fresh
sandbox, then run again, and the whole Hardcover shelf is compared with the uninterrupted run's.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bookrelay.app import run_progress
from bookrelay.store.facade import Store
from tests.store_fixtures import TEST_KEY, _empty_tables
from tests.sync.harness import Runner, World

AUDIO = {"reading_format_id": 2, "edition_format": "Audiobook"}
LENGTH = 36_000
CHUNK = 10  # several chunks, so that positions fall between chunks as well as within one


class Killed(BaseException):
    """The process died (kill -9): nothing after this point of the run happens, not even error handling."""


class Interrupting(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox; counts write requests and breaks the run at the chosen one.

    ``kill``: the process dies before write request ``at`` + 1 is sent (``at`` = 0: before any write).
    ``lost``: write request ``at`` reaches Hardcover, its answer is lost on the way back.
    ``quota``: write request ``at`` + 1 is refused because the daily budget is spent (429, 0 left today).
    ``expired``: write request ``at`` + 1 is refused because the token expired (401).
    ``5xx``: write request ``at`` reaches Hardcover and is answered by a proxy's HTML error page (502).
    """

    def __init__(self, app: Any, mode: str, at: int) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.mode, self.at, self.writes = mode, at, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if b"mutation" not in request.content:
            return await self.inner.handle_async_request(request)
        self.writes += 1
        if self.mode == "kill" and self.writes == self.at + 1:
            raise Killed
        if self.mode == "quota" and self.writes == self.at + 1:
            spent = {"RateLimit": '"Free";r=9;t=6, "daily";r=0;t=3600', "Retry-After": "3600"}
            return httpx.Response(429, headers=spent, json={"error": "daily limit"}, request=request)
        if self.mode == "expired" and self.writes == self.at + 1:
            return httpx.Response(401, json={"error": "Unable to verify token"}, request=request)
        response = await self.inner.handle_async_request(request)
        if self.mode == "lost" and self.writes == self.at:
            raise httpx.ReadError("connection lost after the write was sent")
        if self.mode == "5xx" and self.writes == self.at:
            page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            return httpx.Response(502, headers={"Content-Type": "text/html"}, content=page, request=request)
        return response


def library() -> World:
    """50 items in every state the progress job meets, each linked by its ASIN."""
    world = World(timezone="Europe/Berlin")
    n = 0

    def title() -> tuple[str, str]:
        nonlocal n
        n += 1
        return f"Interrupted Book {n:02d}", f"B0INTR{n:04d}"

    def finish(item: str, started: str, finished_at: str) -> None:
        world.listen(item, current=float(LENGTH), finished=True, started=started, finished_at=finished_at)

    def pair() -> tuple[int, int, str]:
        name, asin = title()
        book = world.book(
            name, f"Author {n:02d}", editions=[{**AUDIO, "asin": asin, "audio_seconds": LENGTH}]
        )
        item = world.item(name, f"Author {n:02d}", duration=float(LENGTH), asin=asin)
        return book, world.edition_ids(book)[0], item

    for i in range(12):  # new, in progress
        _, _, item = pair()
        world.listen(item, current=LENGTH * (0.2 + i / 40), started=f"2026-11-{1 + i:02d}T09:00:00")
    for i in range(8):  # new, finished
        _, _, item = pair()
        finish(item, f"2026-10-{1 + i:02d}T09:00:00", f"2026-11-{10 + i:02d}T20:00:00")
    for i in range(6):  # want to read, now in progress
        book, edition, item = pair()
        world.shelve(book, 1, edition, [])
        world.listen(item, current=LENGTH * 0.3, started=f"2026-11-{3 + i:02d}T09:00:00")
    for i in range(4):  # want to read, now finished
        book, edition, item = pair()
        world.shelve(book, 1, edition, [])
        finish(item, f"2026-09-{1 + i:02d}T09:00:00", f"2026-11-{2 + i:02d}T20:00:00")
    for i in range(6):  # reading on Hardcover, the source is ahead
        book, edition, item = pair()
        world.shelve(book, 2, edition, [{"started_at": f"2026-10-{5 + i:02d}", "progress_seconds": 3_000}])
        world.listen(item, current=LENGTH * 0.6, started=f"2026-10-{5 + i:02d}T09:00:00")
    for i in range(5):  # reading on Hardcover, finished in the source (Hardcover finishes the open read)
        book, edition, item = pair()
        world.shelve(book, 2, edition, [{"started_at": f"2026-08-{5 + i:02d}", "progress_seconds": 6_000}])
        finish(item, f"2026-08-{5 + i:02d}T09:00:00", f"2026-11-{12 + i:02d}T20:00:00")
    for i in range(4):  # re-read in progress after a finished read (Hardcover opens a new read)
        book, edition, item = pair()
        world.shelve(book, 3, edition, [{"started_at": "2025-01-02", "finished_at": f"2025-02-{1 + i:02d}"}])
        world.listen(item, current=LENGTH * 0.4, started=f"2026-11-{4 + i:02d}T09:00:00")
    for i in range(3):  # re-read finished after a finished read
        book, edition, item = pair()
        world.shelve(book, 3, edition, [{"started_at": "2025-01-02", "finished_at": f"2025-03-{1 + i:02d}"}])
        finish(item, f"2026-10-{20 + i:02d}T09:00:00", f"2026-11-{20 + i:02d}T20:00:00")
    for i in range(2):  # finished on both sides: nothing to write
        book, edition, item = pair()
        world.shelve(book, 3, edition, [{"started_at": "2026-06-01", "finished_at": f"2026-07-{1 + i:02d}"}])
        finish(item, "2026-06-01T09:00:00", f"2026-07-{1 + i:02d}T20:00:00")
    assert n == 50
    return world


def shelf_state(runner: Runner) -> list[tuple[Any, ...]]:
    """Alice's Hardcover shelf without ids: entries with status and edition, reads with dates and progress."""
    entries = []
    for entry in runner.sandbox.hardcover.snapshot()["user_books"]:
        if entry["user_id"] != 1:
            continue
        reads = tuple(
            (r.get("edition_id"), r.get("started_at"), r.get("finished_at"), r.get("progress_seconds"))
            for r in sorted(entry.get("reads", []), key=lambda r: r["id"])
        )
        entries.append((entry["book_id"], entry["status_id"], entry.get("edition_id"), reads))
    return sorted(entries)


async def interrupted_then_rerun(world: World, store: Store, mode: str, at: int) -> tuple[Runner, int]:
    """One interrupted run and one ordinary run on a fresh sandbox; returns the runner and writes seen."""
    runner = Runner.start(world, store, chunk_size=CHUNK)
    transport = Interrupting(runner.sandbox.app, mode, at)
    with contextlib.suppress(Killed):
        await run_progress(runner.config, ["alice"], transport=transport, store=store)
    rerun = await runner.sync()
    assert rerun.error is None, (mode, at, rerun.error)
    assert not rerun.failed, (mode, at, rerun.failed)
    return runner, transport.writes


# Every position for a kill and a lost answer; a spent budget, an expired token and a 5xx at a prime stride.
@pytest.mark.parametrize(
    ("mode", "stride"), [("kill", 1), ("lost", 1), ("quota", 3), ("expired", 5), ("5xx", 3)]
)
async def test_P11_any_interruption_then_one_run_ends_as_an_uninterrupted_run(
    db_url: str, mode: str, stride: int
) -> None:
    world = library()
    started = time.perf_counter()
    with Store.open(db_url, secret_key=TEST_KEY) as store:
        reference = Runner.start(world, store, chunk_size=CHUNK)
        counting = Interrupting(reference.sandbox.app, "count", 0)
        (first,) = await run_progress(reference.config, ["alice"], transport=counting, store=store)
        assert first.error is None and not first.failed
        expected = shelf_state(reference)
    # The uninterrupted run itself carries only the source's dates: none is Hardcover's "today".
    today = datetime.now(UTC).date().isoformat()
    assert not [e for e in expected if any(today in (r[1], r[2]) for r in e[3])]
    assert len(expected) == 50  # every item's book is on the shelf, once
    write_requests = counting.writes
    assert write_requests >= 10  # the library needs many packed requests: every one is a position
    positions = (
        range(0, write_requests, stride)
        if mode in ("kill", "quota", "expired")
        else range(1, write_requests + 1, stride)
    )
    differences = []
    for at in positions:
        _empty_tables(db_url)
        with Store.open(db_url, secret_key=TEST_KEY) as store:
            runner, _ = await interrupted_then_rerun(world, store, mode, at)
            state = shelf_state(runner)
        if state != expected:
            differences.append((at, [s for s in state if s not in expected]))
    assert differences == []
    took = time.perf_counter() - started
    print(f"\n{mode}: {len(positions)} positions of {write_requests} write requests, {took:.1f} s")
