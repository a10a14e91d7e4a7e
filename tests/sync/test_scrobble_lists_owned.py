"""Lists ↔ collections (S17) and owned (S18) on the sandbox, in each direction, on SQLite and PostgreSQL."""

from __future__ import annotations

from bookrelay.store.facade import Store
from tests.sync.scrobble_world import Scrobbler, audiobook, scrobble_world


async def _three_linked(store: Store, **directions: str) -> tuple[Scrobbler, list[int], list[str]]:
    world = scrobble_world()
    pairs = [
        audiobook(world, "Dune", "Frank Herbert", "B002V1OF70"),
        audiobook(world, "All Systems Red", "Martha Wells", "B06XKWD7CP"),
        audiobook(world, "Circe", "Madeline Miller", "B07BNFLLBN"),
    ]
    for _, item in pairs:
        world.listen(item, current=7_200.0, duration=36_000.0)
    world.hardcover["lists"] = [
        {"id": 1, "user_id": 1, "name": "Favourites", "books": [{"book_id": pairs[0][0], "edition_id": None}]}
    ]
    scrobbler = Scrobbler.start(world, store, **directions)
    assert (await scrobbler.runner.sync()).error is None  # links the three items
    return scrobbler, [b for b, _ in pairs], [i for _, i in pairs]


async def test_S17_lists_from_hardcover_become_collections_and_follow_removals(store: Store) -> None:
    scrobbler, books, items = await _three_linked(store, lists="from_hardcover")
    await scrobbler.scrobble()
    assert scrobbler.collection_items("Favourites") == [items[0]]
    hc = scrobbler.runner.sandbox.hardcover
    entry = next(lb for lb in hc.rows("list_books").values() if lb["book_id"] == books[0])
    hc.delete("list_books", entry["id"])  # removed on Hardcover since the last run
    await scrobbler.scrobble()
    assert scrobbler.collection_items("Favourites") == []


async def test_S17_collections_to_hardcover_become_lists_and_nothing_flows_back(store: Store) -> None:
    scrobbler, books, items = await _three_linked(store, lists="to_hardcover")
    scrobbler.collection("Space", [items[1], items[2]])
    report = await scrobbler.scrobble()
    assert report.status == "ok", report.summary()
    assert scrobbler.hc_list_books("Space") == {books[1], books[2]}
    assert not any(
        c.name == "Favourites" for c in scrobbler.runner.sandbox.audiobookshelf.collections.values()
    )


async def test_S17_both_ways_merges_additions_on_each_side(store: Store) -> None:
    scrobbler, books, items = await _three_linked(store, lists="both")
    await scrobbler.scrobble()  # the base: Favourites = {Dune} on both sides
    collection = next(c for c in scrobbler.runner.sandbox.audiobookshelf.collections.values())
    collection.books.append(items[2])  # Circe added in ABS
    await scrobbler.scrobble()
    assert scrobbler.hc_list_books("Favourites") == {books[0], books[2]}
    assert scrobbler.collection_items("Favourites") == [items[0], items[2]]
    again = await scrobbler.scrobble()
    assert again.lists is not None and not again.lists.changes  # settled


async def test_S18_owned_marks_the_linked_edition_once_and_never_toggles_it_back(store: Store) -> None:
    scrobbler, books, _ = await _three_linked(store, owned="to_hardcover")
    first = await scrobbler.scrobble()
    assert first.owned is not None and first.owned.marked == 3
    assert scrobbler.hc_list_books("Owned") == set(books)
    second = await scrobbler.scrobble()  # edition_owned toggles: a second send would un-own
    assert second.owned is not None and second.owned.to_mark == []
    assert scrobbler.hc_list_books("Owned") == set(books)
    owned_flags = {ub["owned"] for ub in scrobbler.runner.sandbox.hardcover.rows("user_books").values()}
    assert owned_flags == {True}


async def test_S18_owned_is_opt_in(store: Store) -> None:
    scrobbler, _, _ = await _three_linked(store)
    report = await scrobbler.scrobble()
    assert report.owned is not None and report.owned.to_mark == []
    assert scrobbler.hc_list_books("Owned") == set()


async def test_S18_owned_from_hardcover_reports_owned_books_missing_locally_and_writes_nothing(
    store: Store,
) -> None:
    world = scrobble_world()
    linked, item = audiobook(world, "Dune", "Frank Herbert", "B002V1OF70")
    world.listen(item, current=7_200.0, duration=36_000.0)
    paper = world.book("Circe", "Madeline Miller", editions=[{"pages": 400, "reading_format_id": 1}])
    world.hardcover["lists"] = [
        {"id": 1, "user_id": 1, "name": "Owned",
         "books": [{"book_id": linked, "edition_id": None}, {"book_id": paper, "edition_id": None}]}
    ]  # fmt: skip
    scrobbler = Scrobbler.start(world, store, owned="from_hardcover")
    await scrobbler.runner.sync()
    writes = scrobbler.runner.hc_writes
    report = await scrobbler.scrobble()
    assert report.owned is not None and report.owned.missing_locally == [paper]
    assert scrobbler.runner.hc_writes == writes
