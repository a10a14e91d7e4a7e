"""Jobs that write the real server's library: enrich ``--apply`` and its undo (the item's ISBN/ASIN before,
after, after undo), and lists ↔ collections (S17) both ways."""

from __future__ import annotations

from typing import Any

from bookrelay.app import run_enrich, run_progress, run_scrobble, undo_enrich
from bookrelay.store.facade import Store
from tests.real_abs.server import AbsUser, RealAbs
from tests.real_abs.wiring import HOBBIT_ASIN, HOBBIT_ISBN, Wired, wire


def _ids(real_abs: RealAbs, key: str) -> tuple[str | None, str | None]:
    metadata = real_abs.item(key)["media"]["metadata"]
    return metadata["isbn"], metadata["asin"]


async def test_enrich_apply_writes_the_server_and_undo_puts_back_null(
    real_abs: RealAbs, abs_user: AbsUser, sqlite_store: Store
) -> None:
    wired = wire(real_abs, abs_user)
    config = wired.config()
    assert _ids(real_abs, "hobbit") == (None, None)
    dry = await run_enrich(config, "alice", transport=wired.transport, store=sqlite_store)
    proposed = {p.item_id: p for p in dry.proposals}
    hobbit_id = real_abs.books["hobbit"].item_id
    assert {(v.field, v.value) for v in proposed[hobbit_id].values} == {
        ("isbn", HOBBIT_ISBN),
        ("asin", HOBBIT_ASIN),
    }
    assert _ids(real_abs, "hobbit") == (None, None)  # a dry run writes nothing

    applied = await run_enrich(config, "alice", apply=True, transport=wired.transport, store=sqlite_store)
    assert applied.error is None and not applied.failed, applied.failed
    assert {(i, f) for i, f, _, _ in applied.written} == {(hobbit_id, "isbn"), (hobbit_id, "asin")}
    assert _ids(real_abs, "hobbit") == (HOBBIT_ISBN, HOBBIT_ASIN)

    assert applied.run_id is not None
    undone = await undo_enrich(config, applied.run_id, transport=wired.transport, store=sqlite_store)
    assert {(i, f) for i, f, _, _ in undone.restored} == {(hobbit_id, "isbn"), (hobbit_id, "asin")}
    assert not undone.failed
    assert _ids(real_abs, "hobbit") == (None, None)  # the server stores "" as null: exactly as before


def _collection(real_abs: RealAbs, name: str) -> dict[str, Any] | None:
    with real_abs.client() as http:
        collections = http.get("/api/collections").json()["collections"]
    return next((c for c in collections if c["name"] == name), None)


async def _scrobble(wired: Wired, store: Store) -> None:
    config = wired.config(directions={"lists": "both"})
    (report,) = await run_scrobble(config, ["alice"], transport=wired.transport, store=store)
    assert report.status == "ok", report.summary()


async def test_S17_lists_and_collections_merge_both_ways_on_the_real_server(
    real_abs: RealAbs, abs_user: AbsUser, sqlite_store: Store
) -> None:
    wired = wire(real_abs, abs_user, lists=[{"name": "Shelf Of Tests", "books": ["dune"]}])
    for key in ("dune", "circe"):  # only linked books take part: a progress run links them
        duration = real_abs.books[key].duration
        wired.patch(key, {"currentTime": duration * 0.3, "duration": duration, "progress": 0.3})
    (report,) = await run_progress(wired.config(), ["alice"], transport=wired.transport, store=sqlite_store)
    assert report.written == 2, report.summary()

    await _scrobble(wired, sqlite_store)  # the Hardcover list becomes a collection of the same name
    collection = _collection(real_abs, "Shelf Of Tests")
    assert collection is not None and collection["libraryId"] == real_abs.library_id
    assert [b["id"] for b in collection["books"]] == [real_abs.books["dune"].item_id]

    with real_abs.client() as http:  # Circe added to the collection in the ABS web page
        answer = http.post(
            f"/api/collections/{collection['id']}/batch/add",
            json={"books": [real_abs.books["circe"].item_id]},
        )
        assert answer.status_code == 200
    await _scrobble(wired, sqlite_store)
    hc = wired.sandbox.hardcover
    (shelf,) = [x for x in hc.rows("lists").values() if x["name"] == "Shelf Of Tests"]
    in_list = {lb["book_id"] for lb in hc.rows("list_books").values() if lb["list_id"] == shelf["id"]}
    assert in_list == {wired.book_ids["dune"], wired.book_ids["circe"]}

    entry = next(lb for lb in hc.rows("list_books").values() if lb["book_id"] == wired.book_ids["dune"])
    hc.delete("list_books", entry["id"])  # Dune removed on Hardcover since the last run
    await _scrobble(wired, sqlite_store)
    after = _collection(real_abs, "Shelf Of Tests")
    assert after is not None and [b["id"] for b in after["books"]] == [real_abs.books["circe"].item_id]
