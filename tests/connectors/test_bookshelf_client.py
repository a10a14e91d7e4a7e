"""BookshelfApi + BookshelfSession against the fake Bookshelf (in-process) and hand-made answers."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from bookrelay.connectors.bookshelf.api import BookshelfApi
from bookrelay.connectors.bookshelf.session import BookshelfSession
from bookrelay.connectors.rest import Rejected, ServerFailed
from bookrelay.domain.wanted import AddTarget
from bookrelay.errors import AuthError, BadResponse, ConfigError, NotFound
from bookrelay.sandbox.bookshelf import BookshelfState, build_bookshelf_app
from bookrelay.sandbox.bookshelf.demo import DEMO_API_KEY, wanted_sections
from bookrelay.sandbox.rreading_glasses import RrgState

SCENARIO = wanted_sections(12, unknown_every=6, library_every=4, duplicate_every=5)
TARGET = AddTarget("/books", 1, 1)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def rrg() -> RrgState:
    return RrgState.from_fixture(SCENARIO.rreading_glasses)


@pytest.fixture
def state(rrg: RrgState) -> BookshelfState:
    return BookshelfState.from_fixture(SCENARIO.bookshelf, metadata=rrg)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def api(state: BookshelfState, sleeps: Sleeps) -> Any:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_bookshelf_app(state))) as http:
        session = BookshelfSession(http, DEMO_API_KEY, url="http://bs", sleep=sleeps, rng=random.Random(3))
        yield BookshelfApi(session)


def api_for(handler: Any, sleeps: Sleeps | None = None) -> BookshelfApi:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return BookshelfApi(BookshelfSession(http, "key-1234", url="http://bs", sleep=sleeps or Sleeps()))


async def test_profiles_folders_and_library(api: BookshelfApi) -> None:
    status = await api.system_status()
    assert status["appName"] == "Bookshelf"
    folders = await api.root_folders()
    assert folders[0].path == "/books" and folders[0].default_quality_profile_id == 1
    assert [p.name for p in await api.quality_profiles()] == ["eBook", "Spoken"]
    assert [p.id for p in await api.metadata_profiles()] == [1]
    library = await api.books()
    assert {b.foreign_book_id for b in library} == {str(b) for b in SCENARIO.in_library}
    assert all(b.monitored and b.foreign_edition_id for b in library)


async def test_W3_search_then_add_one_monitored_edition(api: BookshelfApi, state: BookshelfState) -> None:
    book_id = next(
        b
        for b in SCENARIO.shelf
        if b not in SCENARIO.unknown | SCENARIO.in_library | set(SCENARIO.duplicates)
    )
    candidate = await api.search_work(book_id)
    assert candidate is not None and candidate.bookshelf_id == 0
    assert (
        candidate.foreign_book_id == str(book_id) and candidate.monitored_edition_id in candidate.edition_ids
    )
    library_id = await api.add_book(candidate, TARGET, search=True)
    stored = state.books[library_id]
    assert stored.monitored and [e.foreign_edition_id for e in stored.editions if e.monitored] == [
        candidate.monitored_edition_id
    ]
    assert stored.search_for_new_book is True


async def test_search_follows_canonical_id(api: BookshelfApi) -> None:
    duplicate, canonical = next(iter(SCENARIO.duplicates.items()))
    candidate = await api.search_work(duplicate)
    assert candidate is not None and candidate.foreign_book_id == str(canonical)


async def test_search_unknown_work_is_none(api: BookshelfApi) -> None:
    assert await api.search_work(min(SCENARIO.unknown)) is None


async def test_N2_read_retries_on_503_then_succeeds(
    api: BookshelfApi, state: BookshelfState, sleeps: Sleeps
) -> None:
    state.fail_next(503, count=2)
    assert await api.books()
    assert len(sleeps.calls) == 2 and api.requests_sent == 3


async def test_N2_write_is_not_retried_on_500(
    api: BookshelfApi, state: BookshelfState, sleeps: Sleeps
) -> None:
    candidate = await api.search_work(SCENARIO.shelf[0])
    assert candidate is not None
    state.fail_next(500)
    with pytest.raises(ServerFailed) as caught:
        await api.add_book(candidate, TARGET, search=False)
    assert caught.value.status == 500 and sleeps.calls == []
    assert state.book_by_foreign_id(candidate.foreign_book_id) is None


async def test_N2_write_retries_on_503(api: BookshelfApi, state: BookshelfState, sleeps: Sleeps) -> None:
    candidate = await api.search_work(SCENARIO.shelf[0])
    assert candidate is not None
    state.fail_next(503)
    assert await api.add_book(candidate, TARGET, search=False) > 0
    assert len(sleeps.calls) == 1


async def test_metadata_down_gives_service_unavailable_after_retries(
    api: BookshelfApi, rrg: RrgState, sleeps: Sleeps
) -> None:
    rrg.set_down(True)
    with pytest.raises(ServerFailed, match="503"):
        await api.search_work(SCENARIO.shelf[0])
    assert len(sleeps.calls) == api.session.max_retries


async def test_400_is_rejected_with_validation_messages(api: BookshelfApi) -> None:
    candidate = await api.search_work(SCENARIO.shelf[0])
    assert candidate is not None
    bad = AddTarget("/books", 77, 1)
    with pytest.raises(Rejected) as caught:
        await api.add_book(candidate, bad, search=False)
    assert caught.value.status == 400 and "Quality Profile does not exist" in caught.value.details


async def test_N4_bad_key_names_the_setting_and_hides_the_key(state: BookshelfState) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_bookshelf_app(state))) as http:
        api = BookshelfApi(BookshelfSession(http, "wrong-key-abcdef", url="http://bs", sleep=Sleeps()))
        with pytest.raises(AuthError) as caught:
            await api.system_status()
    assert "BOOKSHELF_API_KEY" in str(caught.value) and "wrong-key-abcdef" not in str(caught.value)


def test_empty_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="BOOKSHELF_API_KEY"):
        BookshelfSession(httpx.AsyncClient(), "  ")


async def test_S3_malformed_answers_name_the_place() -> None:
    api = api_for(lambda request: httpx.Response(200, json=[{"id": "x", "foreignBookId": "1"}]))
    with pytest.raises(BadResponse, match=r"GET /book\[0\]: id must be an integer"):
        await api.books()
    api = api_for(lambda request: httpx.Response(200, text="<html>"))
    with pytest.raises(BadResponse, match="not JSON"):
        await api.root_folders()


async def test_S3_search_with_two_monitored_editions_is_bad() -> None:
    book = {
        "foreignBookId": "1",
        "author": {"foreignAuthorId": "2"},
        "editions": [
            {"foreignEditionId": "3", "monitored": True},
            {"foreignEditionId": "4", "monitored": True},
        ],
    }
    api = api_for(lambda request: httpx.Response(200, json=[{"id": 1, "foreignId": "1", "book": book}]))
    with pytest.raises(BadResponse, match="exactly one monitored edition, found 2"):
        await api.search_work(1)


async def test_sends_key_header_and_term() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    assert await api_for(handler).search_work(42) is None
    assert seen[0].headers["x-api-key"] == "key-1234"
    assert seen[0].url.path == "/api/v1/search" and seen[0].url.params["term"] == "work:42"
    assert "apikey" not in str(seen[0].url)


async def test_N4_a_wrong_bookshelf_path_reads_as_the_doctor_says_it(state: BookshelfState) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_bookshelf_app(state))) as http:
        api = BookshelfApi(BookshelfSession(http, DEMO_API_KEY, url="http://bs/readarr", sleep=Sleeps()))
        with pytest.raises(BadResponse) as caught:
            await api.system_status()
        message = str(caught.value)
        assert "wrong URL or path: http://bs/readarr/api/v1/system/status answered HTTP 404" in message
        assert "$BOOKSHELF_URL" in message
        # A JSON 404 from the right server is an unknown thing, not a wrong address.
        right = BookshelfSession(http, DEMO_API_KEY, url="http://bs", sleep=Sleeps())
        with pytest.raises(NotFound):
            await right.get("/book/987654")


async def test_N4_a_refused_bookshelf_key_says_missing_or_wrong(state: BookshelfState) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_bookshelf_app(state))) as http:
        api = BookshelfApi(BookshelfSession(http, "wrong-key-abcdef", url="http://bs", sleep=Sleeps()))
        with pytest.raises(
            AuthError, match=r"missing or wrong API key \(HTTP 401\); token: BOOKSHELF_API_KEY"
        ):
            await api.system_status()
