"""Matching end to end (M3, M4): never the wrong book, through the real clients, the sandbox and the store."""

from __future__ import annotations

from bookrelay.matching.outcome import CacheKind, MatchOutcome
from bookrelay.store.facade import Store
from bookrelay.store.models import ConflictStatus
from tests.sync.harness import Runner, World
from tests.sync.test_progress_rules import audio

COREY = "James S. A. Corey"


async def test_M3_an_identifier_naming_another_book_of_the_author_links_the_title_match_and_says_so(
    store: Store,
) -> None:
    world = World()
    wrong = world.book("Caliban's War", COREY, editions=[audio("B0CALIBAN1", 60_000)])
    right = world.book("Leviathan Wakes", COREY, editions=[audio(None, 74_000)])
    item = world.item("Leviathan Wakes", COREY, duration=74_020.0, asin="B0CALIBAN1")
    world.listen(item, current=20_000.0, duration=74_020.0)
    runner = Runner.start(world, store)
    report = await runner.sync()
    link = store.links.get("alice", "abs", item)
    assert link is not None and link.status == MatchOutcome.LINKED
    assert link.hardcover_book_id == right != wrong
    assert runner.user_book(wrong) is None and runner.user_book(right) is not None
    (note,) = [n for n in report.item_notes if n[0] == item]
    assert "points elsewhere" in note[2] and "Caliban's War" in note[2]


async def test_M3_an_identifier_naming_another_book_without_a_strong_title_match_is_a_conflict(
    store: Store,
) -> None:
    world = World()
    wrong = world.book("Caliban's War", COREY, editions=[audio("B0CALIBAN1", 60_000)])
    item = world.item("Leviathan Wakes", COREY, duration=74_000.0, asin="B0CALIBAN1")
    world.listen(item, current=20_000.0, duration=74_000.0)
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert runner.hc_writes == 0 and report.linked == {}
    ((conflicted, _, reason),) = report.conflicts
    assert conflicted == item and "M3" in reason and "Caliban's War" in reason
    (conflict,) = store.conflicts.list(ConflictStatus.OPEN)
    assert wrong in [c["book_id"] for c in conflict.candidates]


async def test_M4_a_length_far_from_every_audio_edition_is_at_most_a_conflict(store: Store) -> None:
    world = World()
    book = world.book("Wool", "Hugh Howey", editions=[audio(None, 61_000)])
    item = world.item("Wool", "Hugh Howey", duration=50_000.0)  # 18 % shorter: another recording or book
    world.listen(item, current=20_000.0, duration=50_000.0)
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert runner.hc_writes == 0 and report.linked == {}
    ((conflicted, _, reason),) = report.conflicts
    assert conflicted == item and "length" in reason
    (conflict,) = store.conflicts.list(ConflictStatus.OPEN)
    assert [c["book_id"] for c in conflict.candidates] == [book]


async def test_M4_a_shared_surname_does_not_link_a_popular_book_of_another_author(store: Store) -> None:
    world = World()
    popular = world.book("T", "Hazel Langford", editions=[audio(None, 40_000, users_count=5_000)])
    item = world.item("T", "Harlan Langford", duration=40_000.0)
    world.listen(item, current=10_000.0, duration=40_000.0)
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert runner.hc_writes == 0 and report.linked == {}
    assert runner.user_book(popular) is None
    assert item in [u[0] for u in report.unmatched] + [c[0] for c in report.conflicts]


def _long_series(world: World, author: str, volumes: int) -> list[int]:
    world.hardcover.setdefault("series", []).append({"id": 1, "name": "The Long Sequence"})
    ids = []
    for v in range(1, volumes + 1):
        ids.append(
            world.book(
                f"Volume Title {v}",
                author,
                editions=[audio(None, 30_000 + 1_000 * v)],
                users_count=1_000 - v if v < volumes else 1,
                series=[{"series_id": 1, "position": v}],
            )
        )
    return ids


async def test_M4_the_authors_books_are_fetched_once_when_the_search_was_crowded_by_them(
    store: Store,
) -> None:
    world = World()
    ids = _long_series(world, "Mara Quill", 8)
    item = world.item(
        "The Long Sequence",
        "Mara Quill",
        duration=38_000.0,
        series=[{"name": "The Long Sequence", "sequence": "8"}],
    )
    world.listen(item, current=10_000.0, duration=38_000.0)
    runner = Runner.start(world, store)
    await runner.sync()
    link = store.links.get("alice", "abs", item)
    assert link is not None and link.status == MatchOutcome.LINKED and link.hardcover_book_id == ids[-1]
    assert store.lookup_cache.get(CacheKind.SEARCH, "author:mara quill") is not None


async def test_M4_one_book_of_a_namesake_costs_no_second_search(store: Store) -> None:
    world = World()
    world.book("Another Story", "Mara Quill", editions=[audio(None, 30_000)])
    item = world.item("A Book Nobody Catalogued", "Mara Quill", duration=20_000.0)
    world.listen(item, current=10_000.0, duration=20_000.0)
    runner = Runner.start(world, store)
    report = await runner.sync()
    assert [u[0] for u in report.unmatched] == [item]
    assert store.lookup_cache.get(CacheKind.SEARCH, "author:mara quill") is None
