"""The fake's refusals seen through the real client: a client that believes in a larger request
limit meets Hardcover's 403 for six top-level fields, and a blocked operator hidden in variables
(the client cannot see it in the document) meets the 403 for blocked operators."""

from __future__ import annotations

import httpx
import pytest

from bookrelay.connectors.hardcover.session import HardcoverSession
from bookrelay.errors import BadResponse
from bookrelay.sandbox.hardcover import HardcoverState, build_hardcover_app

TOKEN = "hc_pat_refusals"


@pytest.fixture
def state() -> HardcoverState:
    return HardcoverState.from_fixture(
        {
            "users": [{"id": 1, "username": "r", "token": TOKEN}],
            "books": [{"id": 1, "title": "Dune", "author_ids": []}],
            "editions": [],
        }
    )


def session_for(state: HardcoverState, http: httpx.AsyncClient, **options: int) -> HardcoverSession:
    return HardcoverSession(http, TOKEN, url="http://hc.test/v1/graphql", **options)


async def test_N1_six_top_level_fields_are_refused_with_403_and_cost_nothing(state: HardcoverState) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_hardcover_app(state))) as http:
        session = session_for(state, http, max_top_level=6)
        document = "query Six { " + " ".join(f"m{i}: me {{ id }}" for i in range(6)) + " }"
        with pytest.raises(BadResponse, match="top-level"):
            await session.execute(document)
    assert state.stats()["units"] == 0
    assert state.stats()["rejected"] == 1


async def test_ilike_hidden_in_variables_is_refused_by_the_fake(state: HardcoverState) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_hardcover_app(state))) as http:
        session = session_for(state, http)
        document = "query Q($w: books_bool_exp!) { books(where: $w) { id } }"
        with pytest.raises(BadResponse, match="_ilike"):
            await session.execute(document, {"w": {"title": {"_ilike": "%dune%"}}})
        # The same lookup with an allowed operator goes through.
        data = await session.execute(document, {"w": {"title": {"_eq": "Dune"}}})
    assert data["books"] == [{"id": 1}]
