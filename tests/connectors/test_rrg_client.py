"""RrgApi + RrgSession against the fake rreading-glasses (in-process) and hand-made answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bookrelay.connectors.rreading_glasses.api import RrgApi
from bookrelay.connectors.rreading_glasses.session import RrgSession
from bookrelay.errors import BadResponse, NotFound, RateLimited, ServiceUnavailable
from bookrelay.sandbox.bookshelf.demo import wanted_sections
from bookrelay.sandbox.rreading_glasses import RrgState, build_rrg_app

SCENARIO = wanted_sections(12, unknown_every=6, library_every=0, duplicate_every=5)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def state() -> RrgState:
    return RrgState.from_fixture(SCENARIO.rreading_glasses)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def api(state: RrgState, sleeps: Sleeps) -> Any:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_rrg_app(state))) as http:
        yield RrgApi(RrgSession(http, url="http://rrg", sleep=sleeps))


async def test_work_gives_isbn_asin_and_cover(api: RrgApi) -> None:
    book_id = SCENARIO.shelf[0]
    meta = await api.work(book_id)
    assert meta.canonical_id == book_id == meta.requested_id
    assert meta.isbn13 == f"978{book_id:010d}" and meta.cover_url and meta.cover_url.endswith(".jpg")
    assert meta.authors == ("Author 1",) and meta.author_ids == (1,)
    # The second answer has every edition, the ASIN among them; the best edition stays the print one.
    again = await api.work(book_id)
    assert again.edition_count == 3 and again.best_edition_id == meta.best_edition_id


async def test_work_follows_canonical_id(api: RrgApi) -> None:
    duplicate, canonical = next(iter(SCENARIO.duplicates.items()))
    meta = await api.work(duplicate)
    assert meta.requested_id == duplicate and meta.canonical_id == canonical


async def test_unknown_work_is_not_found(api: RrgApi) -> None:
    with pytest.raises(NotFound, match=f"/work/{min(SCENARIO.unknown)}"):
        await api.work(min(SCENARIO.unknown))


async def test_N2_429_honours_retry_after(api: RrgApi, state: RrgState, sleeps: Sleeps) -> None:
    state.fail_next(429, retry_after=7)
    meta = await api.work(SCENARIO.shelf[0])
    assert meta.canonical_id == SCENARIO.shelf[0] and sleeps.calls == [7.0]


async def test_N2_429_retries_run_out(api: RrgApi, state: RrgState, sleeps: Sleeps) -> None:
    state.fail_next(429, count=10)
    with pytest.raises(RateLimited) as caught:
        await api.work(SCENARIO.shelf[0])
    assert caught.value.retry_after == 30 and sleeps.calls == [30.0] * api.session.max_retries


async def test_down_is_service_unavailable_after_retries(
    api: RrgApi, state: RrgState, sleeps: Sleeps
) -> None:
    state.set_down(True)
    with pytest.raises(ServiceUnavailable):
        await api.work(SCENARIO.shelf[0])
    assert len(sleeps.calls) == api.session.max_retries and api.requests_sent == api.session.max_retries + 1


async def test_edition_redirect_and_author_works(api: RrgApi) -> None:
    book_id = SCENARIO.shelf[0]
    author = await api.author_of_edition(book_id * 10 + 2)
    assert [w["ForeignId"] for w in author["Works"]] == [book_id]
    works = await api.author_work_ids(1)
    assert book_id in works and len(works) >= 2
    assert await api.search(f"978{book_id:010d}") == [book_id]


async def test_S3_malformed_work_names_the_place() -> None:
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"ForeignId": "x"}))
    )
    api = RrgApi(RrgSession(http, url="http://rrg", sleep=Sleeps()))
    with pytest.raises(BadResponse, match=r"GET /work/5: ForeignId must be a positive integer"):
        await api.work(5)
