"""The fake Bookshelf follows Readarr's add-book rules (ref A.2-A.6) through the fake metadata server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bookrelay.sandbox.bookshelf import BookshelfState, build_bookshelf_app
from bookrelay.sandbox.bookshelf.demo import DEMO_API_KEY, wanted_sections
from bookrelay.sandbox.rreading_glasses import RrgState

SCENARIO = wanted_sections(12, unknown_every=6, library_every=4, duplicate_every=0, extra_works_per_author=1)
KNOWN = [b for b in SCENARIO.shelf if b not in SCENARIO.unknown and b not in SCENARIO.in_library]
_LIBRARY_AUTHORS = {(b - SCENARIO.shelf[0]) // 3 for b in SCENARIO.in_library}
# A shelf book whose author is not in Bookshelf yet: adding it adds the author.
NEW_AUTHOR_BOOK = next(b for b in KNOWN if (b - SCENARIO.shelf[0]) // 3 not in _LIBRARY_AUTHORS)


@pytest.fixture
def rrg() -> RrgState:
    return RrgState.from_fixture(SCENARIO.rreading_glasses)


@pytest.fixture
def state(rrg: RrgState) -> BookshelfState:
    return BookshelfState.from_fixture(SCENARIO.bookshelf, metadata=rrg)


@pytest.fixture
async def http(state: BookshelfState) -> Any:
    transport = httpx.ASGITransport(app=build_bookshelf_app(state))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bs", headers={"X-Api-Key": DEMO_API_KEY}
    ) as c:
        yield c


async def _lookup(http: httpx.AsyncClient, book_id: int) -> dict[str, Any]:
    answer = (await http.get("/api/v1/search", params={"term": f"work:{book_id}"})).json()
    return next(e["book"] for e in answer if "book" in e)


def _payload(book: dict[str, Any], editions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    if editions is None:
        editions = [
            {"foreignEditionId": e["foreignEditionId"], "monitored": True}
            for e in book["editions"]
            if e["monitored"]
        ]
    return {
        "foreignBookId": book["foreignBookId"],
        "monitored": True,
        "editions": editions,
        "author": {
            "foreignAuthorId": book["author"]["foreignAuthorId"],
            "qualityProfileId": 1,
            "metadataProfileId": 1,
            "rootFolderPath": "/books",
            "monitored": True,
            "monitorNewItems": "none",
            "addOptions": {"booksToMonitor": [book["foreignBookId"]], "searchForMissingBooks": False},
        },
        "addOptions": {"searchForNewBook": True},
    }


async def test_auth_by_header_query_or_bearer(state: BookshelfState) -> None:
    transport = httpx.ASGITransport(app=build_bookshelf_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://bs") as c:
        assert (await c.get("/api/v1/system/status")).status_code == 401
        assert (await c.get("/api/v1/system/status", headers={"X-Api-Key": "wrong"})).status_code == 401
        assert (await c.get("/api/v1/system/status", params={"apikey": DEMO_API_KEY})).status_code == 200
        bearer = {"Authorization": f"Bearer {DEMO_API_KEY}"}
        assert (await c.get("/api/v1/system/status", headers=bearer)).status_code == 200
    assert state.stats()["auth_failures"] == 2


async def test_search_work_gives_author_then_book_with_one_monitored_edition(http: httpx.AsyncClient) -> None:
    answer = (await http.get("/api/v1/search", params={"term": f"WORK:{KNOWN[0]}"})).json()
    assert [e["id"] for e in answer] == [1, 2]
    assert "author" in answer[0] and answer[0]["foreignId"] == answer[1]["book"]["author"]["foreignAuthorId"]
    book = answer[1]["book"]
    assert book["foreignBookId"] == str(KNOWN[0]) and book["id"] == 0
    assert sum(e["monitored"] for e in book["editions"]) == 1


async def test_search_unknown_work_or_bad_term_is_empty(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v1/search", params={"term": f"work:{min(SCENARIO.unknown)}"})).json() == []
    assert (await http.get("/api/v1/search", params={"term": "work:abc"})).json() == []
    assert (await http.get("/api/v1/search", params={"term": "work: 12 3"})).json() == []


async def test_search_shows_library_id_for_a_book_already_there(
    http: httpx.AsyncClient, state: BookshelfState
) -> None:
    present = min(SCENARIO.in_library)
    book = await _lookup(http, present)
    assert book["id"] == state.book_by_foreign_id(str(present)).id > 0  # type: ignore[union-attr]


async def test_add_book_monitors_one_edition_and_only_that_book_of_the_author(
    http: httpx.AsyncClient, state: BookshelfState
) -> None:
    book = await _lookup(http, NEW_AUTHOR_BOOK)
    response = await http.post("/api/v1/book", json=_payload(book))
    assert response.status_code == 201
    added = response.json()
    assert added["id"] > 0 and added["monitored"] is True and added["author"]["id"] > 0
    stored = state.book_by_foreign_id(str(NEW_AUTHOR_BOOK))
    assert stored is not None and [e.monitored for e in stored.editions].count(True) == 1
    # The author's refresh brought in their other books, unmonitored (booksToMonitor).
    others = [b for b in state.books.values() if b.author.id == stored.author.id and b.id != stored.id]
    assert others and not any(b.monitored for b in others)
    assert state.stats()["books_added"] == 1 and state.stats()["searches"] == 1
    listing = (await http.get("/api/v1/book")).json()
    assert all("author" not in b and "editions" not in b for b in listing)


async def test_author_without_books_to_monitor_monitors_all_their_books(
    http: httpx.AsyncClient, state: BookshelfState
) -> None:
    book = await _lookup(http, NEW_AUTHOR_BOOK)
    payload = _payload(book)
    del payload["author"]["addOptions"]
    assert (await http.post("/api/v1/book", json=payload)).status_code == 201
    author = state.book_by_foreign_id(str(NEW_AUTHOR_BOOK)).author  # type: ignore[union-attr]
    assert all(b.monitored for b in state.books.values() if b.author.id == author.id)


async def test_posting_existing_book_updates_it(http: httpx.AsyncClient, state: BookshelfState) -> None:
    present = min(SCENARIO.in_library)
    before = len(state.books)
    book = await _lookup(http, present)
    response = await http.post("/api/v1/book", json=_payload(book))
    assert response.status_code == 201 and response.json()["id"] == book["id"]
    assert len(state.books) == before and state.stats()["books_updated"] == 1


@pytest.mark.parametrize(
    ("editions", "expected"),
    [([], 500), ("two", 500), ([{"foreignEditionId": "1", "monitored": True}], 500)],
    ids=["no-monitored-edition", "two-monitored-editions", "edition-not-in-metadata"],
)
async def test_bad_editions_are_500(
    http: httpx.AsyncClient, state: BookshelfState, editions: Any, expected: int
) -> None:
    book = await _lookup(http, KNOWN[0])
    if editions == "two":
        editions = [
            {"foreignEditionId": e["foreignEditionId"], "monitored": True} for e in book["editions"]
        ] * 2
    response = await http.post("/api/v1/book", json=_payload(book, editions))
    assert response.status_code == expected
    assert "Sequence contains" in response.json()["message"]
    assert state.book_by_foreign_id(str(KNOWN[0])) is None


async def test_unknown_book_is_400_and_missing_author_fields_too(http: httpx.AsyncClient) -> None:
    book = await _lookup(http, KNOWN[0])
    payload = _payload(book)
    payload["foreignBookId"] = str(min(SCENARIO.unknown))
    response = await http.post("/api/v1/book", json=payload)
    assert (
        response.status_code == 400
        and response.json()[0]["errorMessage"] == "A book with this ID was not found"
    )
    payload = _payload(book)
    payload["author"]["foreignAuthorId"] = ""
    assert (await http.post("/api/v1/book", json=payload)).status_code == 400
    payload = _payload(book)
    payload["author"]["qualityProfileId"] = 77
    assert (await http.post("/api/v1/book", json=payload)).status_code == 400
    del payload["author"]
    assert (await http.post("/api/v1/book", json=payload)).status_code == 500


async def test_metadata_server_down_is_503_for_search_and_add(
    http: httpx.AsyncClient, rrg: RrgState, state: BookshelfState
) -> None:
    book = await _lookup(http, KNOWN[0])
    rrg.set_down(True)
    assert (await http.get("/api/v1/search", params={"term": f"work:{KNOWN[1]}"})).status_code == 503
    assert (await http.post("/api/v1/book", json=_payload(book))).status_code == 503
    assert state.book_by_foreign_id(str(KNOWN[0])) is None


async def test_monitor_and_command_count_as_writes(http: httpx.AsyncClient, state: BookshelfState) -> None:
    book_id = next(iter(state.books))
    response = await http.put("/api/v1/book/monitor", json={"bookIds": [book_id], "monitored": False})
    assert response.status_code == 202 and state.books[book_id].monitored is False
    command = await http.post("/api/v1/command", json={"name": "BookSearch", "bookIds": [book_id]})
    assert command.status_code == 201 and command.json()["name"] == "BookSearch"
    assert state.stats()["writes"] == 2 and state.stats()["searches"] == 1


async def test_fail_next_and_reset(http: httpx.AsyncClient, state: BookshelfState) -> None:
    state.fail_next(502)
    assert (await http.get("/api/v1/book")).status_code == 502
    assert (await http.get("/api/v1/book")).status_code == 200
    state.books.clear()
    state.reset()
    assert len(state.books) == len(SCENARIO.in_library) and state.stats()["requests"] == 0


def test_library_fixture_must_name_known_works(rrg: RrgState) -> None:
    with pytest.raises(ValueError, match=r"library\[0\]\.work_id is unknown"):
        BookshelfState.from_fixture({"library": [{"work_id": 1}]}, metadata=rrg)
