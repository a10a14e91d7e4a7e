"""M1 with P11: a conflict the user settles, or an item they pin, is written by the next plain sync, at
that item's own cost; every other item stays unchanged and costs nothing."""

from __future__ import annotations

from typing import Any

from bookrelay.store.facade import Store
from bookrelay.store.models import ConflictStatus
from tests.sync.harness import BOOK_PARTS_UNITS, DEPTH_LIMITED, Runner, World

AUDIO = {"reading_format_id": 2, "edition_format": "Audiobook"}


def audio(asin: str | None, seconds: int) -> dict[str, Any]:
    return {**AUDIO, "asin": asin, "audio_seconds": seconds}


def library(world: World, n: int = 8) -> list[int]:
    books = []
    for i in range(n):
        asin = f"B0SETTLE{i:02d}"
        books.append(world.book(f"Settled Book {i}", f"Writer {i}", editions=[audio(asin, 30_000)]))
        item = world.item(f"Settled Book {i}", f"Writer {i}", duration=30_000.0, asin=asin)
        world.listen(item, current=9_000.0 + 500 * i, duration=30_000.0)
    return books


async def test_M1_a_resolved_conflict_is_written_by_the_next_plain_sync_at_its_own_cost(store: Store) -> None:
    world = World()
    others = library(world)
    omnibus = world.book("Wool Omnibus", "Hugh Howey", editions=[audio(None, 61_000)])
    (edition,) = world.edition_ids(omnibus)
    item = world.item("Wool", "Hugh Howey", duration=60_500.0)
    world.listen(item, current=20_000.0, duration=60_500.0, started="2026-11-03T08:00:00")
    runner = Runner.start(world, store)
    first = await runner.sync()
    assert first.written == len(others) and [c[0] for c in first.conflicts] == [item]
    assert runner.user_book(omnibus) is None
    (conflict,) = store.conflicts.list(ConflictStatus.OPEN)
    store.conflicts.resolve(conflict.id, omnibus, edition)
    writes_before = runner.hc_writes
    others_before = [runner.user_book(b) for b in others]

    second = await runner.sync()

    assert second.error is None and second.written == 1 and second.unchanged == len(others)
    assert runner.hc_writes - writes_before <= 3  # the entry, then the read Hardcover opened: 2 write units
    # plus `me` and this one book's entry (its book's parts too, under the depth limit): nothing for others
    assert second.units_spent <= 3 + 2 + (BOOK_PARTS_UNITS if DEPTH_LIMITED else 0)
    entry = runner.user_book(omnibus)
    assert entry is not None and entry["edition_id"] == edition
    (read,) = entry["reads"]
    assert read["started_at"] == "2026-11-03"
    assert read["progress_seconds"] == round(20_000 / 60_500 * 61_000)
    assert [runner.user_book(b) for b in others] == others_before
    third = await runner.sync()
    assert third.units_spent == 0 and third.written == 0


async def test_M1_a_pin_or_a_re_link_of_a_synced_item_is_written_by_the_next_plain_sync(store: Store) -> None:
    world = World()
    others = library(world, 4)
    chosen = world.book("Settled Book 0 (Full Cast)", "Writer 0", editions=[audio(None, 40_000)])
    runner = Runner.start(world, store)
    assert (await runner.sync()).written == len(others)
    item = world.items[0]["id"]
    store.links.pin("alice", "abs", item, chosen)
    pinned = await runner.sync()
    assert pinned.written == 1 and pinned.unchanged == len(others) - 1
    assert pinned.units_spent <= 5 + (BOOK_PARTS_UNITS if DEPTH_LIMITED else 0)
    entry = runner.user_book(chosen)
    assert entry is not None and entry["reads"][0]["progress_seconds"] == round(9_000 / 30_000 * 40_000)
    # Pinned again to the same book and edition (a re-link): written again only if something differs.
    store.links.pin("alice", "abs", item, chosen)
    again = await runner.sync()
    assert again.written == 0 and again.error is None
    assert again.units_spent <= 2 + (BOOK_PARTS_UNITS if DEPTH_LIMITED else 0)
