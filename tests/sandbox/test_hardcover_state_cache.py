"""The fake Hardcover's caches (indexes kept up to date by writes, the search catalogue rebuilt per
catalogue change) answer exactly what a fresh computation would, and a shelf write does not throw away
what was derived from the catalogue (the reason they exist: 10,000-book benchmarks)."""

from __future__ import annotations

import random
from typing import Any

from bookrelay.sandbox.hardcover import HardcoverState
from bookrelay.sandbox.hardcover.sample import FakeClock, sample_section
from bookrelay.sandbox.hardcover.search import _catalogue, _haystack, _tokens, book_document, run_search
from bookrelay.sandbox.hardcover.tables import Ctx

INDEXED = (("user_book_reads", "user_book_id"), ("user_books", "book_id"), ("user_books", "user_id"))


def _state() -> HardcoverState:
    return HardcoverState.from_fixture(sample_section(), clock=FakeClock())


def _ctx(state: HardcoverState) -> Ctx:
    caller = state.caller_for("hc_pat_alice")
    assert caller is not None
    return Ctx(state, caller)


def _ids(grouped: dict[Any, list[dict[str, Any]]]) -> dict[Any, list[int]]:
    return {key: [row["id"] for row in rows] for key, rows in grouped.items() if rows}


def _fresh_index(state: HardcoverState, table: str, column: str) -> dict[Any, list[int]]:
    grouped: dict[Any, list[int]] = {}
    for row in state.rows(table).values():
        grouped.setdefault(row.get(column), []).append(row["id"])
    return grouped


def test_indexes_stay_equal_to_a_fresh_grouping_through_inserts_updates_and_deletes() -> None:
    state = _state()
    rng = random.Random(7)
    for table, column in INDEXED:
        state.index(table, column)  # built now, so that the writes below must keep them current
    book_ids = list(state.rows("books"))
    for step in range(300):
        user_books = list(state.rows("user_books").values())
        action = rng.choice(("insert_book", "insert_read", "update", "move", "delete"))
        if action == "insert_book" or not user_books:
            state.insert("user_books", {"user_id": rng.choice((1, 2)), "book_id": rng.choice(book_ids)})
        elif action == "insert_read":
            state.insert(
                "user_book_reads", {"user_book_id": rng.choice(user_books)["id"], "progress_pages": 1}
            )
        elif action == "update":
            state.update("user_books", rng.choice(user_books), {"status_id": rng.randrange(1, 7)})
        elif action == "move":  # an indexed column changes: that index must follow
            state.update("user_books", rng.choice(user_books), {"book_id": rng.choice(book_ids)})
        else:
            state.delete("user_books", rng.choice(user_books)["id"])
        for table, column in INDEXED:
            assert _ids(state.index(table, column)) == _fresh_index(state, table, column), (step, action)


def test_a_group_being_iterated_is_not_changed_by_an_insert() -> None:
    state = _state()
    before = state.index("user_books", "user_id").get(1, [])
    snapshot = list(before)
    state.insert("user_books", {"user_id": 1, "book_id": 100})
    assert before == snapshot  # the caller's list is untouched; the index has a new one
    assert len(state.index("user_books", "user_id")[1]) == len(snapshot) + 1


def test_a_shelf_write_keeps_the_catalogue_index_and_search_catalogue() -> None:
    state = _state()
    ctx = _ctx(state)
    editions = state.index("editions", "book_id")
    catalogue = _catalogue(ctx)
    state.insert("user_books", {"user_id": 1, "book_id": 100, "status_id": 1})
    state.update("user_book_reads", next(iter(state.rows("user_book_reads").values())), {"progress_pages": 3})
    assert state.index("editions", "book_id") is editions
    assert run_search(ctx, query="weir")["ids"] == [103, 100]
    assert _catalogue(ctx) is catalogue


def test_search_sees_a_catalogue_change_made_through_the_state() -> None:
    state = _state()
    ctx = _ctx(state)
    assert run_search(ctx, query="zanzibar")["ids"] == []
    state.update("books", state.rows("books")[101], {"title": "All Systems Zanzibar"})
    assert run_search(ctx, query="zanzibar")["ids"] == [101]
    state.rows("books")[102]["title"] = "Artificial Zanzibar"  # behind the state's back …
    state.changed("books")  # … and announced
    assert run_search(ctx, query="zanzibar")["ids"] == [101, 102]


def test_search_ranks_like_a_scan_of_every_document() -> None:
    state = _state()
    ctx = _ctx(state)
    queries = ["weir", "martha wells red", "der marsianer", "9780593135204", "*", "", "nothing here", "the"]
    for query in queries:
        wanted = _tokens(query)
        expected = []
        for book in state.rows("books").values():
            document = book_document(ctx, book)
            share = 1.0 if query.strip() == "*" else len(wanted & _haystack(document)) / len(wanted or {""})
            if share > 0 and (wanted or query.strip() == "*"):
                expected.append((-share, -(document["users_count"] or 0), book["id"]))
        answer = run_search(ctx, query=query, per_page=250)
        assert answer["ids"] == [book_id for _, _, book_id in sorted(expected)], query
        assert answer["results"]["found"] == len(expected)
        assert answer["results"]["out_of"] == len(state.rows("books"))
