"""The fake Hardcover's optional query depth limit (Hardcover's roadmap: a maximum depth of 3, ref §3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bookrelay.sandbox.hardcover import HardcoverState, build_hardcover_app
from bookrelay.sandbox.hardcover.sample import FakeClock, sample_section

DEEP = "query { user_books { id book { contributions { author { name } } } } }"  # depth 5
AT_THREE = "query { user_books { id book { title } } }"


def _state(max_depth: int | None) -> HardcoverState:
    section = sample_section()
    if max_depth is not None:
        section["limits"] = {**section["limits"], "max_depth": max_depth}
    return HardcoverState.from_fixture(section, clock=FakeClock())


async def _post(state: HardcoverState, query: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_hardcover_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://hardcover.test") as http:
        return await http.post(
            "/v1/graphql", json={"query": query}, headers={"Authorization": "Bearer hc_pat_alice"}
        )


@pytest.fixture
async def limited() -> AsyncIterator[HardcoverState]:
    yield _state(3)


async def test_depth_limit_is_off_by_default() -> None:
    state = _state(None)
    assert state.limits.max_depth is None
    response = await _post(state, DEEP)
    assert response.status_code == 200 and "data" in response.json()


async def test_a_document_over_the_limit_is_a_validation_error_with_no_data_and_no_units(
    limited: HardcoverState,
) -> None:
    response = await _post(limited, DEEP)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "validation-failed"
    assert "depth 5" in error["message"] and "3" in error["message"]
    stats = limited.stats()
    assert stats["units"] == 0 and stats["depth_refused"] == 1 and stats["writes"] == 0
    assert "RateLimit" in response.headers  # a known token's answer carries the budget as always


async def test_a_document_at_the_limit_runs(limited: HardcoverState) -> None:
    response = await _post(limited, AT_THREE)
    assert response.status_code == 200 and response.json()["data"]["user_books"]
    assert limited.stats()["units"] == 1


async def test_a_mutation_over_the_limit_is_not_applied(limited: HardcoverState) -> None:
    mutation = (
        "mutation { update_user_book(id: 5001, object: {rating: 2}) "
        "{ id user_book { user_book_reads { id } } } }"
    )
    before = limited.snapshot()
    response = await _post(limited, mutation)
    assert response.json()["errors"][0]["extensions"]["code"] == "validation-failed"
    assert limited.snapshot() == before
    assert limited.stats()["writes"] == 0


async def test_the_limit_is_a_fixture_option_that_round_trips_and_is_checked() -> None:
    state = _state(3)
    assert HardcoverState.from_fixture(state.snapshot()).limits.max_depth == 3
    section = sample_section()
    section["limits"] = {**section["limits"], "max_depth": 0}
    with pytest.raises(ValueError, match=r"hardcover\.limits\.max_depth"):
        HardcoverState.from_fixture(section)
