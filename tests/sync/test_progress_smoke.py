"""A first end-to-end progress sync through the real clients, fakes and store."""

from __future__ import annotations

from bookrelay.store.facade import Store
from tests.sync.harness import Runner, World


async def test_first_sync_links_by_asin_and_writes_progress(store: Store) -> None:
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
            },
            {"isbn_13": "9780593135204", "pages": 496, "reading_format_id": 1},
        ],
    )
    item = world.item("Project Hail Mary", "Andy Weir", duration=58_000.0, asin="B08G9PRS1K")
    world.listen(item, current=29_000.0, duration=58_000.0)
    runner = Runner.start(world, store)
    report = await runner.sync()
    print(report.summary())
    assert report.error is None
    entry = runner.user_book(book)
    assert entry is not None
    print(entry)
    assert entry["status_id"] == 2
    assert len(entry["reads"]) == 1
    assert entry["reads"][0]["progress_seconds"] == 29_000
