"""The progress job end to end, rule by rule: real clients, the sandbox fakes and the store."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bookrelay.app import run_progress
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.store.facade import Store
from bookrelay.store.models import ConflictStatus
from tests.sync.harness import BOOK_PARTS_UNITS, DEPTH_LIMITED, Runner, World

AUDIO = {"reading_format_id": 2, "edition_format": "Audiobook"}


def audio(asin: str | None = None, seconds: int | None = 36_000, **extra: Any) -> dict[str, Any]:
    return {**AUDIO, "asin": asin, "audio_seconds": seconds, **extra}


def hail_mary(world: World) -> tuple[int, str]:
    book = world.book("Project Hail Mary", "Andy Weir", editions=[audio("B08G9PRS1K", 58_000)])
    item = world.item("Project Hail Mary", "Andy Weir", duration=58_000.0, asin="B08G9PRS1K")
    return book, item


async def test_P7_new_book_becomes_currently_reading_with_source_start_date(store: Store) -> None:
    world = World(timezone="America/New_York")
    book, item = hail_mary(world)
    # 03:30 UTC on 2 Nov is still 1 Nov in New York (P10).
    world.listen(item, current=20_000.0, duration=58_000.0, started="2026-11-02T03:30:00")
    runner = Runner.start(world, store)
    report = await runner.sync()
    entry = runner.user_book(book)
    assert entry is not None and entry["status_id"] == 2
    assert [r["started_at"] for r in entry["reads"]] == ["2026-11-01"]
    assert report.linked == {"asin": 1}
    assert report.written == 1
    # N5/P11: one insert_user_book and one update of the read Hardcover created, 2 units in all writes.
    assert runner.hc_writes == 2


async def test_P6_finished_book_is_read_with_source_finish_date_in_user_zone(store: Store) -> None:
    world = World(timezone="Europe/Berlin")
    book, item = hail_mary(world)
    world.listen(
        item,
        current=58_000.0,
        duration=58_000.0,
        finished=True,
        started="2026-10-01T08:00:00",
        finished_at="2026-10-20T23:30:00",
    )
    runner = Runner.start(world, store)
    report = await runner.sync()
    # The finish is reported for notifications; a real run keeps no per-item plan unless asked.
    assert report.finished == ["Project Hail Mary"] and report.plan == []
    entry = runner.user_book(book)
    assert entry is not None and entry["status_id"] == 3
    assert len(entry["reads"]) == 1  # the read Hardcover created was adopted, not duplicated (P11)
    read = entry["reads"][0]
    assert read["finished_at"] == "2026-10-21"  # 23:30 UTC is the next day in Berlin
    assert read["started_at"] == "2026-10-01"
    assert read["progress_seconds"] == 58_000


async def test_P11_in_chunks_only_the_changed_item_is_read_again(store: Store) -> None:
    """global.sync.chunk_size 4 over 11 items: links are read window by window, and after one item moves
    on only that item costs Hardcover anything."""
    world = World()
    items = []
    for i in range(11):
        world.book(f"Window Title {i}", "Mara Quill", editions=[audio(f"B0WIN{i:05d}", 36_000)])
        item = world.item(f"Window Title {i}", "Mara Quill", duration=36_000.0, asin=f"B0WIN{i:05d}")
        world.listen(item, current=3_600.0 + 60 * i, duration=36_000.0)
        items.append(item)
    runner = Runner.start(world, store, chunk_size=4)
    first = await runner.sync()
    assert (first.error, first.written, first.linked["asin"]) == (None, 11, 11)
    again = await runner.sync()
    assert (again.units_spent, again.written, again.unchanged) == (0, 0, 11)
    await runner.play(items[9], current=9_000.0, duration=36_000.0)
    third = await runner.sync()
    assert (third.written, third.unchanged) == (1, 10)
    # me, that book's shelf entry, one read update (its book's parts too, under the depth limit)
    assert third.units_spent <= 3 + (BOOK_PARTS_UNITS if DEPTH_LIMITED else 0)


async def test_P11_second_run_updates_the_same_read_and_unchanged_run_spends_nothing(store: Store) -> None:
    world = World()
    book, item = hail_mary(world)
    world.listen(item, current=10_000.0, duration=58_000.0)
    runner = Runner.start(world, store)
    await runner.sync()
    await runner.play(item, current=30_000.0, duration=58_000.0)
    report = await runner.sync()
    entry = runner.user_book(book)
    assert entry is not None
    assert len(entry["reads"]) == 1
    assert entry["reads"][0]["progress_seconds"] == 30_000
    assert report.written == 1
    units_before = runner.sandbox.hardcover.stats()["units"]
    unchanged = await runner.sync()
    assert unchanged.unchanged == 1
    assert unchanged.units_spent == 0
    assert runner.sandbox.hardcover.stats()["units"] == units_before


async def test_P5_regression_is_held_and_reported(store: Store) -> None:
    world = World()
    book = world.book("Leviathan Wakes", "James S. A. Corey", editions=[audio("B0047ZFDT2", 72_000)])
    edition = world.edition_ids(book)[0]
    world.shelve(book, 2, edition, [{"started_at": "2026-10-01", "progress_seconds": 50_000}])
    item = world.item("Leviathan Wakes", "James S. A. Corey", duration=72_000.0, asin="B0047ZFDT2")
    world.listen(item, current=20_000.0, duration=72_000.0, started="2026-09-20T10:00:00")
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert report.held == {"P5": 1}
    assert runner.hc_writes == 0
    entry = runner.user_book(book)
    assert entry is not None and entry["reads"][0]["progress_seconds"] == 50_000
    forced = await runner.sync(force=True)
    assert forced.written == 1
    entry = runner.user_book(book)
    assert entry is not None and entry["reads"][0]["progress_seconds"] == 20_000


async def test_M5_users_edition_is_kept(store: Store) -> None:
    world = World()
    book = world.book(
        "Dune",
        "Frank Herbert",
        editions=[
            audio("B002V1OF70", 75_000),
            audio("B0DUNE0002", 80_000),
        ],
    )
    theirs = world.edition_ids(book)[1]
    world.shelve(book, 2, theirs, [{"started_at": "2026-10-01", "progress_seconds": 1_000}])
    item = world.item("Dune", "Frank Herbert", duration=75_000.0, asin="B002V1OF70")
    world.listen(item, current=40_000.0, duration=75_000.0, started="2026-09-20T10:00:00")
    runner = Runner.start(world, store)
    await runner.sync()
    entry = runner.user_book(book)
    assert entry is not None
    assert entry["edition_id"] == theirs
    assert [r["edition_id"] for r in entry["reads"]] == [theirs]
    # 40,000 of 75,000 s on the user's 80,000 s edition: the same fraction, in its seconds.
    assert entry["reads"][0]["progress_seconds"] == round(40_000 / 75_000 * 80_000)


async def test_P9_reread_opens_a_new_read_and_keeps_the_finished_one(store: Store) -> None:
    world = World()
    book, item = hail_mary(world)
    edition = world.edition_ids(book)[0]
    world.shelve(
        book,
        3,
        edition,
        [
            {"started_at": "2026-01-01", "finished_at": "2026-02-01", "progress_seconds": 58_000},
        ],
    )
    world.listen(item, current=10_000.0, duration=58_000.0, started="2026-11-01T10:00:00")
    runner = Runner.start(world, store)
    await runner.sync()
    entry = runner.user_book(book)
    assert entry is not None and entry["status_id"] == 2
    reads = sorted(entry["reads"], key=lambda r: r["id"])
    assert len(reads) == 2
    assert reads[0]["finished_at"] == "2026-02-01" and reads[0]["progress_seconds"] == 58_000
    assert reads[1]["finished_at"] is None and reads[1]["progress_seconds"] == 10_000
    assert reads[1]["started_at"] == "2026-11-01"


async def test_P8_paused_on_hardcover_is_respected(store: Store) -> None:
    world = World()
    book, item = hail_mary(world)
    world.shelve(book, 4, world.edition_ids(book)[0], [{"started_at": "2026-10-01", "progress_seconds": 100}])
    world.listen(item, current=30_000.0, duration=58_000.0)
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert report.held == {"P8": 1}
    assert runner.hc_writes == 0


async def test_dry_run_writes_nothing_and_prints_the_plan_the_real_run_applies(store: Store) -> None:
    world = World()
    book, item = hail_mary(world)
    other = world.book("The Martian", "Andy Weir", editions=[audio("B00B5HZGUG", 39_000)])
    martian = world.item("The Martian", "Andy Weir", duration=39_000.0, asin="B00B5HZGUG")
    world.listen(item, current=20_000.0, duration=58_000.0)
    world.listen(
        martian, current=39_000.0, duration=39_000.0, finished=True, finished_at="2026-11-10T12:00:00"
    )
    runner = Runner.start(world, store)
    dry = await runner.sync(dry_run=True)
    assert runner.hc_writes == 0
    assert runner.sandbox.audiobookshelf.stats()["writes"] == 0
    assert store.links.list_for_user("alice") == []
    real = await runner.sync(keep_plan=True)  # as `sync --verbose` prints it
    assert [(p.item_id, p.actions) for p in dry.plan] == [(p.item_id, p.actions) for p in real.plan]
    assert runner.hc_writes > 0
    assert runner.user_book(other) is not None and runner.user_book(book) is not None


async def test_M1_pinned_link_wins_and_is_never_rematched(store: Store) -> None:
    world = World()
    hail_mary(world)
    chosen = world.book("Project Hail Mary (Dramatised)", "Someone Else", editions=[audio(None, 60_000)])
    item = world.items[0]["id"]
    world.listen(item, current=30_000.0, duration=58_000.0)
    store.links.pin("alice", "abs", item, chosen)
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert report.linked == {"pin": 1}
    entry = runner.user_book(chosen)
    # The item's fraction on the pinned edition's length.
    assert entry is not None and entry["reads"][0]["progress_seconds"] == round(30_000 / 58_000 * 60_000)


async def test_M2_link_to_a_vanished_book_is_resolved_again(store: Store) -> None:
    world = World()
    book, item = hail_mary(world)
    world.listen(item, current=20_000.0, duration=58_000.0)
    store.links.upsert(
        "alice",
        "abs",
        item,
        status=MatchOutcome.LINKED,
        hardcover_book_id=999_999,
        hardcover_edition_id=999_998,
        identifiers_hash=None,
    )
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert report.linked == {"asin": 1}
    assert runner.user_book(book) is not None
    link = store.links.get("alice", "abs", item)
    assert link is not None and link.hardcover_book_id == book


async def test_M4_middling_match_opens_a_conflict_and_writes_nothing(store: Store) -> None:
    world = World()
    omnibus = world.book("Wool Omnibus", "Hugh Howey", editions=[audio(None, 61_000)])
    item = world.item("Wool", "Hugh Howey", duration=60_500.0)
    world.listen(item, current=20_000.0, duration=60_500.0)
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert runner.hc_writes == 0
    assert report.linked == {}
    assert [c[0] for c in report.conflicts] == [item]
    (conflict,) = store.conflicts.list(ConflictStatus.OPEN)
    (candidate,) = conflict.candidates
    assert candidate["book_id"] == omnibus
    # The score explains itself: its named parts are stored with the candidate.
    assert {p["name"] for p in candidate["parts"]} >= {"title", "author", "duration"}
    assert round(sum(p["value"] * p["weight"] for p in candidate["parts"]), 2) == round(candidate["score"], 2)
    assert candidate["authors"] == ["Hugh Howey"]


async def test_M4_absent_book_is_unmatched_shown_and_not_searched_again(store: Store) -> None:
    world = World()
    item = world.item("A Book Nobody Catalogued", "Unknown Writer", duration=20_000.0)
    world.listen(item, current=10_000.0, duration=20_000.0)
    runner = Runner.start(world, store)
    first = await runner.sync()
    assert [u[0] for u in first.unmatched] == [item]
    searches = runner.sandbox.hardcover.stats()["units"]
    second = await runner.sync()
    assert [u[0] for u in second.unmatched] == [item]
    assert second.units_spent == 0
    assert runner.sandbox.hardcover.stats()["units"] == searches


async def test_N4_bad_token_stops_that_user_only(store: Store) -> None:
    world = World()
    hail_mary(world)
    world.listen(world.items[0]["id"], current=20_000.0, duration=58_000.0)
    runner = Runner.start(world, store)
    config = world.config()
    (alice,) = config.users
    bob = alice.model_copy(update={"id": "bob"})
    wrong = alice.model_copy(
        update={"hardcover": alice.hardcover.model_copy(update={"token": SecretStr("hc_pat_wrong")})}
    )
    broken = config.model_copy(update={"users": (wrong, bob)})
    reports = await run_progress(
        broken, ["alice", "bob"], transport=httpx.ASGITransport(app=runner.sandbox.app), store=store
    )
    by_user = {r.user_id: r for r in reports}
    # The token is named where it was set (the configuration's key), not as a variable it never came from.
    assert by_user["alice"].error is not None and "users[0].hardcover.token" in by_user["alice"].error
    assert "HARDCOVER_TOKEN" not in by_user["alice"].error
    assert "hc_pat_wrong" not in by_user["alice"].error
    assert by_user["bob"].error is None and by_user["bob"].written == 1


@pytest.mark.parametrize("kill_after_send", [True])
async def test_P11_kill_between_send_and_record_leaves_one_read(store: Store, kill_after_send: bool) -> None:
    """A write reaches Hardcover but the answer is lost (the process dies): the next run re-reads."""
    world = World()
    book, item = hail_mary(world)
    world.listen(item, current=20_000.0, duration=58_000.0)
    runner = Runner.start(world, store)
    app = runner.sandbox.app

    class DiesAfterFirstWrite(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.ASGITransport(app=app)
            self.killed = False

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            if not self.killed and b"mutation" in request.content:
                self.killed = True
                raise httpx.ReadError("connection lost after the write was sent")
            return response

    (first,) = await run_progress(runner.config, ["alice"], transport=DiesAfterFirstWrite(), store=store)
    assert first.error is not None
    entry = runner.user_book(book)
    assert entry is not None  # the write did happen on Hardcover
    second = await runner.sync()
    assert second.error is None
    assert second.recovered_writes == 1
    entry = runner.user_book(book)
    assert entry is not None
    assert len(entry["reads"]) == 1
    assert entry["reads"][0]["progress_seconds"] == 20_000


async def test_M4_exact_titles_are_looked_up_in_one_batch_before_search(store: Store) -> None:
    """Items without identifiers whose title the catalogue holds cost one batch, not a search each."""
    world = World()
    world.hardcover["series"] = [{"id": 1, "name": "The Expanse"}]
    books = [
        world.book("Piranesi", "Susanna Clarke", editions=[audio(None, 30_000)]),
        world.book(
            "Leviathan Wakes",
            "James S. A. Corey",
            editions=[audio(None, 72_000)],
            series=[{"series_id": 1, "position": 1}],
        ),
        world.book("Dune", "Frank Herbert", editions=[audio(None, 75_000)]),
    ]
    for title, author, seconds in (
        ("Piranesi", "Susanna Clarke", 30_000.0),
        ("The Expanse 1: Leviathan Wakes", "James S. A. Corey", 72_000.0),
        ("Dune (Unabridged)", "Frank Herbert", 75_000.0),
    ):
        item = world.item(title, author, duration=seconds)
        world.listen(item, current=seconds / 2, duration=seconds)
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert report.linked == {"fuzzy": 3}
    assert all(runner.user_book(b) is not None for b in books)
    # me + shelf + one title batch + 2 writes per book; no search at all. Under the depth limit the
    # title batch names ids and their books' parts follow, and the new entries' reads one query.
    assert report.units_spent == 3 + 2 * 3 + ((BOOK_PARTS_UNITS + 1) if DEPTH_LIMITED else 0)
