"""Hardcover's announced query depth limit of 3 (ref/hardcover.md §3 roadmap) against the client.

The fake enforces the limit when asked (``limits.max_depth``); the client sends its usual documents,
learns from the first refusal that the server limits depth, and from then on sends the depth-3 forms.
Every operation must answer exactly what it answers without the limit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bookrelay.connectors.hardcover import HardcoverApi, HardcoverSession, WriteOp
from bookrelay.connectors.hardcover.depth import DepthMemory
from bookrelay.connectors.hardcover.lists import HardcoverLists
from bookrelay.domain.models import Status
from bookrelay.errors import BadResponse
from bookrelay.sandbox.hardcover import HardcoverState, build_hardcover_app
from bookrelay.sandbox.hardcover.sample import SAMPLE_NOW, sample_section

URL = "http://hardcover.test/v1/graphql"


@dataclass
class Side:
    state: HardcoverState
    api: HardcoverApi
    lists: HardcoverLists
    depth: DepthMemory


async def _side(max_depth: int | None) -> AsyncIterator[Side]:
    section = sample_section()
    section["limits"] = {**section["limits"], "burst": 100_000, "per_minute": 6_000_000, "daily": 10**9}
    if max_depth is not None:
        section["limits"]["max_depth"] = max_depth
    state = HardcoverState.from_fixture(section, clock=lambda: SAMPLE_NOW)
    depth = DepthMemory()
    transport = httpx.ASGITransport(app=build_hardcover_app(state))
    async with httpx.AsyncClient(transport=transport) as http:
        session = HardcoverSession(http, "hc_pat_alice", url=URL)
        yield Side(state, HardcoverApi(session, depth), HardcoverLists(session, depth), depth)


@pytest.fixture
async def open_side() -> AsyncIterator[Side]:
    async for side in _side(None):
        yield side


@pytest.fixture
async def limited_side() -> AsyncIterator[Side]:
    async for side in _side(3):
        yield side


Call = Callable[[Side], Awaitable[Any]]

READS: dict[str, Call] = {
    "shelf": lambda s: s.api.shelf(1, page_size=2),
    "want_to_read": lambda s: s.api.want_to_read(1),
    "user_books_for_books": lambda s: s.api.user_books_for_books(1, [100, 101, 102, 103]),
    "editions_by_identifiers": lambda s: s.api.editions_by_identifiers(
        ["9780593135204", "9780765397539"], ["0593135202"], ["B06XKWD7CP"]
    ),
    "books_by_ids": lambda s: s.api.books_by_ids([102, 100, 101, 999]),
    "books_by_titles": lambda s: s.api.books_by_titles(["All Systems Red", "The Martian", "Nothing"]),
    "export_shelf": lambda s: s.lists.export_shelf(1, page_size=2),
}


@pytest.mark.parametrize("name", sorted(READS))
async def test_depth_limited_server_answers_every_read_as_the_open_one(
    name: str, open_side: Side, limited_side: Side
) -> None:
    expected = await READS[name](open_side)
    assert expected, "the sample must give this read something to compare"
    got = await READS[name](limited_side)
    assert got == expected
    assert limited_side.depth.flat(URL)
    assert not open_side.depth.flat(URL)


async def test_the_deep_books_carry_authors_series_and_editions_in_the_flat_form(limited_side: Side) -> None:
    books = await limited_side.api.books_by_ids([101])
    assert books[0].authors == ("Martha Wells",)
    assert [s.name for s in books[0].series] == ["Murderbot Diaries"]
    assert books[0].editions and all(e.book_id == 101 for e in books[0].editions)


async def test_the_switch_is_learnt_once_per_server_and_logged_once(
    limited_side: Side, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bookrelay.connectors.hardcover.depth"):
        await limited_side.api.shelf(1)
        await limited_side.api.books_by_ids([100])
        await limited_side.lists.export_shelf(1)
    stats = limited_side.state.stats()
    assert stats["depth_refused"] == 1  # only the first deep document was ever sent
    warnings = [r for r in caplog.records if "limits query depth" in r.getMessage()]
    assert len(warnings) == 1
    assert URL in warnings[0].getMessage()


async def test_the_refused_document_spends_no_unit(limited_side: Side) -> None:
    before = limited_side.state.stats()["units"]
    await limited_side.api.books_by_ids([100])
    # One refused BooksByIds (free) + one BookParts request of four top-level fields.
    assert limited_side.state.stats()["units"] - before == 4
    assert limited_side.state.stats()["depth_refused"] == 1


async def test_P11_a_write_refused_for_depth_is_applied_once_with_its_reads(
    open_side: Side, limited_side: Side
) -> None:
    results = {}
    for side in (open_side, limited_side):
        ops = [
            WriteOp.insert_user_book(102, Status.READ),
            WriteOp.update_user_book_read(7001, {"progress_pages": 40}),
        ]
        results[side is limited_side] = await side.api.run_writes(ops)
    assert [r.ok for r in results[True]] == [True, True]
    assert results[True][0].user_book == results[False][0].user_book
    assert results[True][0].user_book is not None and results[True][0].user_book.reads  # the status-3 read
    assert results[True][1].read == results[False][1].read
    assert limited_side.state.stats()["writes"] == open_side.state.stats()["writes"] == 2
    entries = [ub for ub in limited_side.state.snapshot()["user_books"] if ub["book_id"] == 102]
    assert len(entries) == 1 and len(entries[0]["reads"]) == 1  # not inserted twice


async def test_P11_reads_that_cannot_be_read_back_leave_the_write_unknown(limited_side: Side) -> None:
    limited_side.depth.learn(URL, "test")
    original = limited_side.api.session.execute

    async def failing_reads(document: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if "ReadsOfEntries" in document:
            raise BadResponse("user_book_reads: unreadable", service="hardcover")
        return await original(document, *args, **kwargs)

    limited_side.api.session.execute = failing_reads  # type: ignore[method-assign]
    [result] = await limited_side.api.run_writes([WriteOp.update_user_book(5001, rating=4)])
    assert not result.ok and result.outcome_unknown
    assert result.error is not None and "could not be read back" in result.error
    assert limited_side.state.stats()["writes"] == 1


async def test_a_validation_error_that_is_not_about_depth_does_not_switch(open_side: Side) -> None:
    with pytest.raises(BadResponse):
        await open_side.api.session.execute("query { books { no_such_field } }")
    assert not open_side.depth.flat(URL)
