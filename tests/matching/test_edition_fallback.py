"""M5's page fallback and the dry-run count, end to end: real clients, the sandbox fakes and the store."""

from __future__ import annotations

from typing import Any

from bookrelay.matching.outcome import MatchOutcome
from bookrelay.store.facade import Store
from tests.sync.harness import Runner, World

AUDIO = {"reading_format_id": 2, "edition_format": "Audiobook"}
PRINT = {"reading_format_id": 1, "edition_format": "Hardcover"}


def tress(world: World, *, isbn: str = "9781938570377") -> tuple[int, int, int, str]:
    """A book whose only audio edition has no length, a print edition (named by the item's ISBN) and a
    more read paperback: (book, print edition, paperback, item)."""
    book = world.book(
        "Tress of the Emerald Sea",
        "Brandon Sanderson",
        editions=[
            {**AUDIO, "asin": "B0BPMRPZ4H", "audio_seconds": None},
            {**PRINT, "isbn_13": isbn, "pages": 480, "users_count": 40},
            {"reading_format_id": 1, "edition_format": "Paperback", "pages": 500, "users_count": 900},
        ],
    )
    _, printed, paperback = world.edition_ids(book)
    item = world.item("Tress of the Emerald Sea", "Brandon Sanderson", duration=62_000.0, isbn=isbn)
    return book, printed, paperback, item


async def test_M5_no_audio_edition_writes_page_progress_on_the_named_paged_edition(store: Store) -> None:
    world = World()
    book, printed, _, item = tress(world)
    world.listen(item, current=18_600.0, duration=62_000.0, started="2026-11-03T10:00:00")
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert (report.error, report.written, report.conflicts) == (None, 1, [])
    entry = runner.user_book(book)
    assert entry is not None and entry["status_id"] == 2 and entry["edition_id"] == printed
    [read] = entry["reads"]
    assert read["edition_id"] == printed
    assert read["progress_pages"] == round(18_600 / 62_000 * 480)  # 144 of 480 pages
    assert read["started_at"] == "2026-11-03"
    [(noted_item, title, note)] = report.item_notes
    assert (noted_item, title) == (item, "Tress of the Emerald Sea")
    assert note == "no audio edition: page progress on Tress of the Emerald Sea, Hardcover, 480 pages"
    assert report.summary()["item_notes"] == [[item, "Tress of the Emerald Sea", note]]


async def test_M5_finished_audiobook_without_audio_edition_is_read_on_the_most_read_paged_edition(
    store: Store,
) -> None:
    world = World()
    book, _, paperback, item = tress(world)
    # The item names no identifier of this book: the title finds it, the most read paged edition is taken.
    world.items[-1].pop("isbn")
    world.listen(
        item,
        current=62_000.0,
        duration=62_000.0,
        finished=True,
        started="2026-10-01T10:00:00",
        finished_at="2026-10-20T10:00:00",
    )
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert (report.error, report.written, report.finished) == (None, 1, ["Tress of the Emerald Sea"])
    entry = runner.user_book(book)
    assert entry is not None and entry["status_id"] == 3
    [read] = entry["reads"]
    assert (read["edition_id"], read["progress_pages"]) == (paperback, 500)
    assert (read["started_at"], read["finished_at"]) == ("2026-10-01", "2026-10-20")


async def test_M5_conflict_setting_opens_a_conflict_that_lists_the_book_the_identifier_named(
    store: Store,
) -> None:
    world = World()
    book, _, _, item = tress(world)
    world.listen(item, current=18_600.0, duration=62_000.0)
    runner = Runner.start(world, store, no_audio_edition="conflict")
    report = await runner.sync()
    assert report.written == 0 and runner.hc_writes == 0
    [(conflict_item, _, reason)] = report.conflicts
    assert conflict_item == item and reason.startswith("M5: no audio edition with a length")
    [conflict] = store.conflicts.list(user_id="alice")
    assert [c["book_id"] for c in conflict.candidates] == [book]
    assert conflict.candidates[0]["title"] == "Tress of the Emerald Sea"
    assert "named by the isbn link" in conflict.candidates[0]["explanation"]
    link = store.links.get("alice", "abs", item)
    assert link is not None and link.status == MatchOutcome.CONFLICT


async def test_dry_run_counts_the_items_it_would_write(store: Store) -> None:
    """The dry-run summary's "written (would be)" is the number of items whose plan writes."""
    world = World()
    writes: list[str] = []
    for i in range(3):
        asin = f"B0DRY{i:05d}"
        extra: dict[str, Any] = {"asin": asin, "audio_seconds": 36_000}
        world.book(f"Dry Title {i}", "Mara Quill", editions=[{**AUDIO, **extra}])
        writes.append(world.item(f"Dry Title {i}", "Mara Quill", duration=36_000.0, asin=asin))
        world.listen(writes[-1], current=7_200.0 + i * 600)
    world.book(
        "Dry Title 3", "Mara Quill", editions=[{**AUDIO, "asin": "B0DRY00003", "audio_seconds": 36_000}]
    )
    below = world.item("Dry Title 3", "Mara Quill", duration=36_000.0, asin="B0DRY00003")
    world.listen(below, current=60.0)  # P3: below 5 %, nothing to write
    runner = Runner.start(world, store)
    report = await runner.sync(dry_run=True)
    planned_writes = sum(
        1 for p in report.plan if any(not line.startswith(("Skip", "Hold")) for line in p.describe())
    )
    assert report.written == planned_writes == 3
    assert report.skipped == 1
    assert runner.hc_writes == 0
    real = await runner.sync()
    assert real.written == report.written
