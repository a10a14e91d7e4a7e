"""The fake ABS's /api/collections (CollectionController) and the client's collection calls."""

from __future__ import annotations

import httpx
import pytest

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.errors import BadResponse
from bookrelay.sandbox.audiobookshelf import AbsState, build_abs_app

KEY = "collections-key"
SECTION = {
    "users": [
        {"username": "root", "password": "pw", "type": "root"},
        {"username": "g", "password": "pw", "type": "guest"},
    ],
    "api_keys": [
        {"name": "k", "key": KEY, "username": "root", "isActive": True},
        {"name": "guest", "key": "guest-key", "username": "g", "isActive": True},
    ],
    "libraries": [
        {
            "id": "lib-a",
            "name": "A",
            "mediaType": "book",
            "items": [{"id": "i1", "title": "One"}, {"id": "i2", "title": "Two"}],
        },
        {"id": "lib-b", "name": "B", "mediaType": "book", "items": [{"id": "i3", "title": "Three"}]},
    ],
}


@pytest.fixture
def state() -> AbsState:
    return AbsState.from_fixture(SECTION)


def _client(state: AbsState, key: str = KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_abs_app(state)),
        base_url="http://abs",
        headers={"Authorization": f"Bearer {key}"},
    )


async def test_create_add_remove_and_delete_like_the_controller(state: AbsState) -> None:
    async with _client(state) as http:
        bad = await http.post("/api/collections", json={"name": "No library"})
        assert (bad.status_code, bad.text) == (400, "Invalid collection data")
        made = (
            await http.post("/api/collections", json={"libraryId": "lib-a", "name": "Faves", "books": ["i1"]})
        ).json()
        assert set(made) == {
            "id",
            "libraryId",
            "name",
            "description",
            "books",
            "lastUpdate",
            "createdAt",
        }
        assert [b["id"] for b in made["books"]] == ["i1"] and made["books"][0]["media"]["metadata"][
            "title"
        ] == "One"
        cid = made["id"]
        other = await http.post(f"/api/collections/{cid}/book", json={"id": "i3"})
        assert (other.status_code, other.text) == (400, "Book in different library")
        again = await http.post(f"/api/collections/{cid}/book", json={"id": "i1"})
        assert (again.status_code, again.text) == (400, "Book already in collection")
        added = (await http.post(f"/api/collections/{cid}/book", json={"id": "i2"})).json()
        assert [b["id"] for b in added["books"]] == ["i1", "i2"]
        removed = (await http.post(f"/api/collections/{cid}/batch/remove", json={"books": ["i1"]})).json()
        assert [b["id"] for b in removed["books"]] == ["i2"]
        empty = await http.post(f"/api/collections/{cid}/batch/add", json={"books": []})
        assert (empty.status_code, empty.text) == (500, "Invalid request body")
        gone = await http.delete(f"/api/collections/{cid}")
        assert (gone.status_code, gone.text) == (200, "OK")
        missing = await http.get(f"/api/collections/{cid}")
        assert (missing.status_code, missing.text) == (404, "Collection not found")
    async with _client(state, "guest-key") as guest:
        assert (
            await guest.post("/api/collections", json={"libraryId": "lib-a", "name": "x"})
        ).status_code == 403


async def test_the_client_lists_creates_and_edits_collections(state: AbsState) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_abs_app(state))) as http:
        api = AbsApi(AbsSession("http://abs", api_key=KEY, client=http))
        made = await api.create_collection("lib-a", "Space", ["i1"])
        await api.add_to_collection(made["id"], ["i2", "i1"])
        await api.remove_from_collection(made["id"], ["i1"])
        (listed,) = await api.collections()
        assert (listed["name"], [b["id"] for b in listed["books"]]) == ("Space", ["i2"])
        with pytest.raises(BadResponse):
            await api.create_collection("", "nameless library")
