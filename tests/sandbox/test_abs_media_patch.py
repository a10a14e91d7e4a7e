"""The fake Audiobookshelf's ``PATCH /api/items/:id/media`` follows ABS 2.36's ``Book.updateFromRequest``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bookrelay.sandbox.audiobookshelf import AbsState, build_abs_app

ADMIN_KEY, USER_KEY = "admin-key", "user-key"


@pytest.fixture
def state() -> AbsState:
    return AbsState.from_fixture(
        {
            "users": [
                {"username": "root", "password": "pw", "type": "root"},
                {"username": "bob", "password": "pw"},
            ],
            "api_keys": [
                {"name": "a", "key": ADMIN_KEY, "username": "root", "isActive": True},
                {"name": "u", "key": USER_KEY, "username": "bob", "isActive": True},
            ],
            "libraries": [
                {
                    "name": "Books",
                    "items": [
                        {
                            "id": "b1",
                            "title": "Anathem",
                            "authors": ["Neal Stephenson"],
                            "isbn": "123",
                            "duration": 60,
                        }
                    ],
                }
            ],
        }
    )


async def _patch(state: AbsState, body: Any, key: str = ADMIN_KEY) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_abs_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://abs") as client:
        return await client.patch(
            "/api/items/b1/media", json=body, headers={"Authorization": f"Bearer {key}"}
        )


async def test_empty_string_is_stored_as_null_and_numbers_as_strings(state: AbsState) -> None:
    answer = (await _patch(state, {"metadata": {"isbn": "", "publishedYear": 2008, "asin": 5}})).json()
    metadata = answer["libraryItem"]["media"]["metadata"]
    assert answer["updated"] is True
    assert (metadata["isbn"], metadata["publishedYear"], metadata["asin"]) == (None, "2008", "5")


async def test_only_sent_keys_change_and_an_equal_value_is_no_update(state: AbsState) -> None:
    assert "updated" not in (await _patch(state, {"metadata": {"isbn": "123"}})).json()  # undefined in ABS
    assert state.stats()["writes"] == 0
    await _patch(state, {"metadata": {"asin": "B000000001"}})
    assert state.snapshot()["items"]["b1"]["isbn"] == "123" and state.stats()["writes"] == 1


async def test_authors_need_objects_with_a_name_and_other_types_are_ignored(state: AbsState) -> None:
    answer = (await _patch(state, {"metadata": {"authors": ["Plain String"], "genres": ["SF", 1]}})).json()
    assert answer["updated"] is True  # the plain string has no .name: every author is removed
    assert state.snapshot()["items"]["b1"]["authors"] == []
    assert state.snapshot()["items"]["b1"].get("genres") in ([], None)  # a list with a number is ignored
    await _patch(state, {"metadata": {"authors": [{"name": " Neal Stephenson "}]}})
    assert state.snapshot()["items"]["b1"]["authors"] == ["Neal Stephenson"]


async def test_a_user_without_the_update_permission_gets_403(state: AbsState) -> None:
    answer = await _patch(state, {"metadata": {"isbn": "9780061474101"}}, key=USER_KEY)
    assert answer.status_code == 403 and answer.text == "Forbidden"
    assert state.snapshot()["items"]["b1"]["isbn"] == "123"
