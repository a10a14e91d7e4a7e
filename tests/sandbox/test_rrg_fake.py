"""The fake rreading-glasses answers like RRG in Hardcover mode (ref Part B)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bookrelay.sandbox.bookshelf.demo import wanted_sections
from bookrelay.sandbox.rreading_glasses import RrgState, build_rrg_app


def _work(work_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": work_id,
        "title": "Out of My Mind",
        "subtitle": "A Novel",
        "authors": [{"id": 51942, "name": "Sharon M. Draper", "slug": "sharon-m-draper"}],
        "editions": [
            {"id": 30405274, "isbn13": "9781416971702", "format": "Hardcover", "pages": 295},
            {"id": 30405275, "asin": "B003V1WXKU", "format": "Audiobook"},
        ],
        "best_edition_id": 30405274,
        **extra,
    }


@pytest.fixture
def state() -> RrgState:
    return RrgState.from_fixture({"works": [_work(141397, duplicate_ids=[999])]})


@pytest.fixture
async def http(state: RrgState) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_rrg_app(state)), base_url="http://rrg"
    ) as c:
        yield c


async def test_work_answers_pascal_case_with_best_edition_first_then_all(http: httpx.AsyncClient) -> None:
    first = (await http.get("/work/141397")).json()
    assert first["ForeignId"] == 141397
    assert first["Title"] == "Out of My Mind" and first["FullTitle"] == "Out of My Mind: A Novel"
    # A freshly fetched work carries only its best edition (ref B.2); the others come later.
    assert [b["ForeignId"] for b in first["Books"]] == [30405274]
    assert first["Books"][0]["Isbn13"] == "9781416971702"
    assert first["Authors"][0]["ForeignId"] == 51942
    later = (await http.get("/work/141397")).json()
    assert [b["ForeignId"] for b in later["Books"]] == [30405274, 30405275]
    assert later["Books"][1]["Asin"] == "B003V1WXKU"


async def test_duplicate_id_answers_with_canonical_work(http: httpx.AsyncClient) -> None:
    body = (await http.get("/work/999")).json()
    assert body["ForeignId"] == 141397


async def test_unknown_work_is_404_and_openlibrary_ids_are_rejected(http: httpx.AsyncClient) -> None:
    assert (await http.get("/work/4242")).status_code == 404
    assert (await http.get(f"/work/{2_000_000_000}")).status_code == 400
    assert (await http.get("/work/abc")).status_code == 400


async def test_book_redirects_to_author_with_that_edition(http: httpx.AsyncClient) -> None:
    response = await http.get("/book/30405275")
    assert response.status_code == 303
    assert response.headers["location"].endswith("/author/51942?edition=30405275")
    author = (await http.get(response.headers["location"])).json()
    assert [w["ForeignId"] for w in author["Works"]] == [141397]


async def test_search_finds_isbn_and_text(http: httpx.AsyncClient) -> None:
    by_isbn = (await http.get("/search", params={"q": "9781416971702"})).json()
    assert by_isbn == [{"bookId": 30405274, "workId": 141397, "author": {"id": 51942}}]
    by_text = (await http.get("/search", params={"q": "out of my mind draper"})).json()
    assert [h["workId"] for h in by_text] == [141397]
    assert (await http.get("/search", params={"q": "nothing like it"})).json() == []


async def test_429_carries_retry_after_and_down_is_503(state: RrgState, http: httpx.AsyncClient) -> None:
    state.fail_next(429)
    limited = await http.get("/work/141397")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "30"
    state.set_down(True)
    assert (await http.get("/work/141397")).status_code == 503
    state.set_down(False)
    assert (await http.get("/work/141397")).status_code == 200
    assert state.stats()["requests"] == 3


def test_reset_forgets_warming_and_counters(state: RrgState) -> None:
    state.fetch_work(141397)
    state.set_down(True)
    state.reset()
    assert state.snapshot() == {"works": [141397], "warmed": [], "down": False}
    assert state.stats().get("work", 0) == 0 and state.stats()["requests"] == 0


def test_fixture_errors_name_the_place() -> None:
    with pytest.raises(ValueError, match=r"works\[0\]\.editions must not be empty"):
        RrgState.from_fixture({"works": [{"id": 1, "title": "x", "editions": []}]})
    with pytest.raises(ValueError, match=r"best_edition_id"):
        RrgState.from_fixture({"works": [_work(1, best_edition_id=5)]})


def test_demo_sections_load() -> None:
    scenario = wanted_sections(30)
    state = RrgState.from_fixture(scenario.rreading_glasses)
    for book_id in scenario.shelf:
        known = state.canonical_id(book_id)
        assert (known is None) == (book_id in scenario.unknown)
