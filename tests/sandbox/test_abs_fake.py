"""The fake Audiobookshelf behaves like ABS 2.36 (ref/audiobookshelf.md §11 checklist), in-process."""

from __future__ import annotations

import base64
import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from bookrelay.sandbox.audiobookshelf import AbsState, build_abs_app

KEY = "abs-api-key-for-tests-0001"
OFF_KEY = "abs-api-key-inactive-0002"
PHM = "11111111-1111-4111-8111-111111111111"
MURDERBOT = "22222222-2222-4222-8222-222222222222"
EBOOK = "33333333-3333-4333-8333-333333333333"
FINISHED = "44444444-4444-4444-8444-444444444444"
FRESH = "55555555-5555-4555-8555-555555555555"
POD = "66666666-6666-4666-8666-666666666666"
EP1 = "77777777-7777-4777-8777-777777777777"


class Clock:
    """A settable clock (seconds) so token expiry needs no sleeping."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def section() -> dict[str, Any]:
    """A small fixture: two users, two keys, a book library (5 items) and a podcast library."""
    return {
        "users": [
            {"username": "root", "password": "rootpass", "type": "root"},
            {"username": "guest", "password": "guestpass", "type": "user"},
        ],
        "api_keys": [
            {"name": "sync", "key": KEY, "username": "root", "isActive": True},
            {"name": "off", "key": OFF_KEY, "username": "root"},
        ],
        "libraries": [
            {
                "name": "Audiobooks",
                "items": [
                    {
                        "id": PHM,
                        "title": "Project Hail Mary",
                        "subtitle": "A Novel",
                        "authors": ["Andy Weir"],
                        "narrators": ["Ray Porter"],
                        "publishedYear": "2021",
                        "isbn": "9780593135204",
                        "asin": "B08G9PRS1K",
                        "duration": 120.032653,
                        "addedAt": 1_700_000_000_000,
                    },
                    {
                        "id": MURDERBOT,
                        "title": "All Systems Red",
                        "authors": ["Martha Wells"],
                        "series": [{"name": "Murderbot Diaries", "sequence": "1"}],
                        "isbn": "0-7653-9753-9",
                        "duration": 90.0,
                        "metaTags": {"tagIsbn": "9780765397539", "tagASIN": "B06XKWD7CP"},
                        "addedAt": 1_700_000_300_000,
                    },
                    {
                        "id": EBOOK,
                        "title": "The Hobbit",
                        "authors": ["J. R. R. Tolkien"],
                        "ebookFormat": "epub",
                        "addedAt": 1_700_000_100_000,
                    },
                    {
                        "id": FINISHED,
                        "title": "Dune",
                        "authors": ["Frank Herbert"],
                        "duration": 3600.0,
                        "addedAt": 1_700_000_200_000,
                    },
                    {
                        "id": FRESH,
                        "title": "Anathem",
                        "authors": ["Neal Stephenson"],
                        "duration": 500.0,
                        "addedAt": 1_700_000_400_000,
                    },
                ],
            },
            {
                "name": "Podcasts",
                "mediaType": "podcast",
                "items": [
                    {
                        "id": POD,
                        "title": "Some Show",
                        "author": "Host",
                        "episodes": [{"id": EP1, "title": "Ep 1", "duration": 1800}],
                    }
                ],
            },
        ],
        "progress": [
            {
                "username": "root",
                "libraryItemId": PHM,
                "currentTime": 60,
                "duration": 120.032653,
                "progress": 0.5,
                "startedAt": 1_700_000_001_000,
                "lastUpdate": 1_700_000_050_000,
            },
            {
                "username": "root",
                "libraryItemId": MURDERBOT,
                "currentTime": 30,
                "duration": 90,
                "lastUpdate": 1_700_000_090_000,
            },
            {
                "username": "root",
                "libraryItemId": EBOOK,
                "ebookProgress": 0.25,
                "lastUpdate": 1_700_000_070_000,
            },
            {
                "username": "root",
                "libraryItemId": FINISHED,
                "isFinished": True,
                "currentTime": 3600,
                "duration": 3600,
                "finishedAt": 1_700_000_500_000,
            },
            {
                "username": "root",
                "libraryItemId": POD,
                "episodeId": EP1,
                "currentTime": 100,
                "duration": 1800,
                "lastUpdate": 1_700_000_010_000,
            },
        ],
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> AbsState:
    return AbsState.from_fixture(section(), clock=clock)


@pytest.fixture
async def client(state: AbsState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_abs_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://abs.test") as c:
        yield c


def auth(token: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(
    client: httpx.AsyncClient, *, tokens: bool = True, password: str = "rootpass"
) -> httpx.Response:
    headers = {"x-return-tokens": "true"} if tokens else {}
    return await client.post("/login", json={"username": "root", "password": password}, headers=headers)


# -- fixture loading ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "place"),
    [
        (lambda s: s["users"][1].pop("username"), "audiobookshelf.users[1].username"),
        (
            lambda s: s["libraries"][0]["items"][1].update(duration="long"),
            "audiobookshelf.libraries[0].items[1].duration",
        ),
        (lambda s: s["api_keys"][0].update(username="nobody"), "audiobookshelf.api_keys[0].username"),
        (
            lambda s: s["progress"][0].update(libraryItemId="missing"),
            "audiobookshelf.progress[0].libraryItemId",
        ),
        (lambda s: s["progress"][4].pop("episodeId"), "audiobookshelf.progress[4].episodeId"),
        (lambda s: s["libraries"][0].update(mediaType="video"), "audiobookshelf.libraries[0].mediaType"),
    ],
)
def test_malformed_fixture_names_the_bad_key(mutate: Any, place: str) -> None:
    bad = section()
    mutate(bad)
    with pytest.raises(ValueError, match=place.replace("[", r"\[").replace("]", r"\]")):
        AbsState.from_fixture(bad)


# -- routing and auth ---------------------------------------------------------------------------


async def test_public_routes_answer_without_a_token(client: httpx.AsyncClient) -> None:
    status = (await client.get("/status")).json()
    assert status["app"] == "audiobookshelf" and status["isInit"] is True
    assert (await client.get("/ping")).json() == {"success": True}
    health = await client.get("/healthcheck")
    assert (health.status_code, health.text) == (200, "OK")


async def test_token_by_bearer_header_or_query_param(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/me", headers=auth())).json()["username"] == "root"
    assert (await client.get("/api/me", params={"token": KEY})).json()["username"] == "root"


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": f"Bearer {OFF_KEY}"}]
)
async def test_missing_bad_or_inactive_token_is_401_text(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/me", headers=headers)
    assert response.status_code == 401
    assert response.text == "Unauthorized"
    assert response.headers["content-type"].startswith("text/plain")


async def test_router_base_prefix_and_sandbox_mount(state: AbsState) -> None:
    parent = Starlette(routes=[Mount("/abs", app=build_abs_app(state))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=parent), base_url="http://sb") as c:
        assert (await c.get("/abs/api/me", headers=auth())).status_code == 200
        assert (await c.get("/abs/audiobookshelf/api/libraries", headers=auth())).status_code == 200
        assert (await c.get("/abs/ping")).json() == {"success": True}


async def test_login_returns_tokens_in_body_with_x_return_tokens(client: httpx.AsyncClient) -> None:
    body = (await login(client)).json()
    user = body["user"]
    assert user["accessToken"] != user["token"]
    assert isinstance(user["refreshToken"], str)
    assert body["serverSettings"]["version"] == "2.36.0"
    me = await client.get("/api/me", headers=auth(user["accessToken"]))
    assert me.status_code == 200 and me.json()["id"] == user["id"]


async def test_login_without_header_sets_cookie_and_null_refresh(client: httpx.AsyncClient) -> None:
    response = await login(client, tokens=False)
    assert response.json()["user"]["refreshToken"] is None
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("refresh_token=") and "HttpOnly" in cookie


async def test_bad_password_is_401_text(client: httpx.AsyncClient, state: AbsState) -> None:
    response = await login(client, password="wrong")
    assert (response.status_code, response.text) == (401, "Unauthorized")
    assert state.stats()["logins"] == 0


async def test_auth_rate_limiter_answers_json_429(clock: Clock) -> None:
    limited = section() | {"auth_rate_limit": 3}
    state = AbsState.from_fixture(limited, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_abs_app(state)), base_url="http://t"
    ) as c:
        codes = [(await login(c, password="wrong")).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        limited_answer = await login(c)
        assert limited_answer.json() == {"error": "Too many authentication requests"}
        clock.now += 601  # the window passes
        assert (await login(c)).status_code == 200


async def test_access_token_expires_by_the_clock_and_refresh_rotates(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    user = (await login(client)).json()["user"]
    clock.now += 3599
    assert (await client.get("/api/me", headers=auth(user["accessToken"]))).status_code == 200
    clock.now += 2
    assert (await client.get("/api/me", headers=auth(user["accessToken"]))).status_code == 401
    refreshed = await client.post("/auth/refresh", headers={"x-refresh-token": user["refreshToken"]})
    new_user = refreshed.json()["user"]
    assert new_user["refreshToken"] != user["refreshToken"]
    assert (await client.get("/api/me", headers=auth(new_user["accessToken"]))).status_code == 200
    reused = await client.post("/auth/refresh", headers={"x-refresh-token": user["refreshToken"]})
    assert reused.status_code == 401 and "error" in reused.json()


async def test_refresh_token_is_not_a_bearer_token(client: httpx.AsyncClient) -> None:
    user = (await login(client)).json()["user"]
    assert (await client.get("/api/me", headers=auth(user["refreshToken"]))).status_code == 401


async def test_api_key_with_expiry_is_deactivated(clock: Clock) -> None:
    fixture = section()
    fixture["api_keys"][0]["expiresAt"] = int(clock.now * 1000) + 1000
    state = AbsState.from_fixture(fixture, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_abs_app(state)), base_url="http://t"
    ) as c:
        assert (await c.get("/api/me", headers=auth())).status_code == 200
        clock.now += 2
        assert (await c.get("/api/me", headers=auth())).status_code == 401
    assert state.snapshot()["api_keys"]["sync"]["isActive"] is False


# -- /api/me and progress -----------------------------------------------------------------------


async def test_me_embeds_all_progress(client: httpx.AsyncClient) -> None:
    progress = (await client.get("/api/me", headers=auth())).json()["mediaProgress"]
    by_item = {p["libraryItemId"]: p for p in progress}
    assert set(by_item) == {PHM, MURDERBOT, EBOOK, FINISHED, POD}
    assert by_item[FINISHED]["isFinished"] is True and by_item[FINISHED]["progress"] == 1
    assert by_item[EBOOK]["ebookProgress"] == 0.25 and by_item[EBOOK]["currentTime"] == 0
    assert by_item[POD]["episodeId"] == EP1 and by_item[POD]["mediaItemType"] == "podcastEpisode"
    assert by_item[PHM]["mediaItemType"] == "book" and by_item[PHM]["episodeId"] is None
    assert all(isinstance(p["lastUpdate"], int) for p in progress)


async def test_other_user_sees_only_own_progress(client: httpx.AsyncClient) -> None:
    guest = (await client.post("/login", json={"username": "guest", "password": "guestpass"})).json()["user"]
    assert guest["mediaProgress"] == []


async def test_items_in_progress_filters_sorts_and_has_no_progress_object(client: httpx.AsyncClient) -> None:
    items = (await client.get("/api/me/items-in-progress", headers=auth())).json()["libraryItems"]
    assert [i["id"] for i in items] == [MURDERBOT, EBOOK, PHM, POD]
    assert FINISHED not in {i["id"] for i in items}
    assert all("userMediaProgress" not in i and "mediaProgress" not in i for i in items)
    assert items[0]["progressLastUpdate"] == 1_700_000_090_000
    assert "authors" not in items[0]["media"]["metadata"]
    limited = (await client.get("/api/me/items-in-progress", params={"limit": 2}, headers=auth())).json()
    assert len(limited["libraryItems"]) == 2


async def test_get_progress_404_text_when_none(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/me/progress/{FRESH}", headers=auth())
    assert (response.status_code, response.text) == (404, "Not Found")
    episode = await client.get(f"/api/me/progress/{POD}/{EP1}", headers=auth())
    assert episode.json()["currentTime"] == 100


async def patch(client: httpx.AsyncClient, item: str, body: Any) -> httpx.Response:
    return await client.patch(f"/api/me/progress/{item}", json=body, headers=auth())


async def read(client: httpx.AsyncClient, item: str) -> dict[str, Any]:
    response = await client.get(f"/api/me/progress/{item}", headers=auth())
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


async def test_patch_answers_text_ok_and_creates_without_computing(client: httpx.AsyncClient) -> None:
    response = await patch(client, FRESH, {"currentTime": 45})
    assert (response.status_code, response.text) == (200, "OK")
    created = await read(client, FRESH)
    assert (created["duration"], created["progress"], created["currentTime"]) == (0, 0, 45)


async def test_patch_create_finished_sets_progress_one_and_finished_at(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    await patch(client, FRESH, {"isFinished": True})
    created = await read(client, FRESH)
    assert created["progress"] == 1 and created["finishedAt"] == int(clock.now * 1000)
    assert created["currentTime"] == 0


async def test_update_does_not_compute_progress(client: httpx.AsyncClient) -> None:
    await patch(client, FRESH, {"currentTime": 10})
    await patch(client, FRESH, {"currentTime": 50, "duration": 90})
    assert (await read(client, FRESH))["progress"] == 0


async def test_auto_finish_within_ten_seconds_of_the_end(client: httpx.AsyncClient) -> None:
    await patch(client, PHM, {"currentTime": 115})
    done = await read(client, PHM)
    assert done["isFinished"] is True and done["progress"] == 1 and done["finishedAt"] is not None
    await patch(client, MURDERBOT, {"currentTime": 70})
    assert (await read(client, MURDERBOT))["isFinished"] is False


async def test_unfinish_resets_position_progress_and_date(client: httpx.AsyncClient) -> None:
    await patch(client, FINISHED, {"isFinished": False})
    reset = await read(client, FINISHED)
    assert (reset["isFinished"], reset["currentTime"], reset["progress"], reset["finishedAt"]) == (
        False,
        0,
        0,
        None,
    )


async def test_is_finished_in_body_makes_progress_ignored(client: httpx.AsyncClient) -> None:
    await patch(client, PHM, {"isFinished": False, "progress": 0.9, "currentTime": 70})
    after = await read(client, PHM)
    assert after["progress"] == 0.5 and after["currentTime"] == 70
    await patch(client, PHM, {"progress": 0.9})
    assert (await read(client, PHM))["progress"] == 0.9


async def test_patch_errors_keep_abs_body_styles(client: httpx.AsyncClient) -> None:
    unknown = await patch(client, "nope", {"currentTime": 1})
    assert (unknown.status_code, unknown.text) == (404, "Library item not found")
    assert unknown.headers["content-type"].startswith("text/html")
    podcast = await patch(client, POD, {"currentTime": 1})
    assert podcast.status_code == 400 and podcast.text == "Library item is not a book"


async def test_batch_update_applies_each_payload(client: httpx.AsyncClient, state: AbsState) -> None:
    body = [
        {"libraryItemId": FRESH, "currentTime": 5},
        {"libraryItemId": "nope"},
        {"libraryItemId": PHM, "progress": 0.7},
    ]
    response = await client.patch("/api/me/progress/batch/update", json=body, headers=auth())
    assert (response.status_code, response.text) == (200, "OK")
    assert (await read(client, FRESH))["currentTime"] == 5
    assert (await read(client, PHM))["progress"] == 0.7
    assert state.stats()["writes"] == 2


# -- libraries and items ------------------------------------------------------------------------


async def library_ids(client: httpx.AsyncClient) -> dict[str, str]:
    libraries = (await client.get("/api/libraries", headers=auth())).json()["libraries"]
    return {lib["mediaType"]: lib["id"] for lib in libraries}


async def test_libraries_list_and_single(client: httpx.AsyncClient) -> None:
    ids = await library_ids(client)
    assert set(ids) == {"book", "podcast"}
    single = (await client.get(f"/api/libraries/{ids['book']}", headers=auth())).json()
    assert single["name"] == "Audiobooks" and single["settings"]["markAsFinishedTimeRemaining"] == 10
    missing = await client.get("/api/libraries/nope", headers=auth())
    assert (missing.status_code, missing.text) == (404, "Library not found")
    assert missing.headers["content-type"].startswith("text/html")


async def test_library_items_all_when_limit_zero_or_absent(client: httpx.AsyncClient) -> None:
    lib = (await library_ids(client))["book"]
    for params in ({}, {"limit": 0}):
        body = (await client.get(f"/api/libraries/{lib}/items", params=params, headers=auth())).json()
        assert len(body["results"]) == body["total"] == 5
        assert (body["limit"], body["page"], body["offset"]) == (0, 0, 0)
        assert "sortBy" not in body and "filterBy" not in body


async def test_library_items_pages_sorts_and_echoes(client: httpx.AsyncClient) -> None:
    lib = (await library_ids(client))["book"]
    params: dict[str, Any] = {"limit": 2, "page": 1, "sort": "media.metadata.title"}
    body = (await client.get(f"/api/libraries/{lib}/items", params=params, headers=auth())).json()
    titles_all = sorted(
        ["Project Hail Mary", "All Systems Red", "The Hobbit", "Dune", "Anathem"], key=str.lower
    )
    assert [r["media"]["metadata"]["title"] for r in body["results"]] == titles_all[2:4]
    assert (body["total"], body["limit"], body["page"], body["offset"], body["sortBy"]) == (
        5,
        2,
        1,
        2,
        params["sort"],
    )
    newest = await client.get(
        f"/api/libraries/{lib}/items", params={"sort": "addedAt", "desc": 1}, headers=auth()
    )
    assert [r["id"] for r in newest.json()["results"]] == [FRESH, MURDERBOT, FINISHED, EBOOK, PHM]


async def test_library_items_minified_metadata(client: httpx.AsyncClient) -> None:
    lib = (await library_ids(client))["book"]
    results = (await client.get(f"/api/libraries/{lib}/items", headers=auth())).json()["results"]
    murderbot = next(r for r in results if r["id"] == MURDERBOT)["media"]
    assert murderbot["metadata"]["seriesName"] == "Murderbot Diaries #1"
    assert murderbot["metadata"]["authorName"] == "Martha Wells"
    assert not {"authors", "narrators", "series"} & set(murderbot["metadata"])
    hobbit = next(r for r in results if r["id"] == EBOOK)["media"]
    assert hobbit["ebookFormat"] == "epub" and hobbit["numAudioFiles"] == 0
    assert "ebookFormat" not in murderbot


async def test_library_items_progress_filter(client: httpx.AsyncClient) -> None:
    lib = (await library_ids(client))["book"]

    async def ids(value: str) -> set[str]:
        params = {"filter": "progress." + base64.b64encode(value.encode()).decode()}
        body = (await client.get(f"/api/libraries/{lib}/items", params=params, headers=auth())).json()
        assert body["filterBy"] == params["filter"]
        return {r["id"] for r in body["results"]}

    assert await ids("finished") == {FINISHED}
    assert await ids("in-progress") == {PHM, MURDERBOT, EBOOK}
    assert await ids("not-started") == {FRESH}


@pytest.mark.parametrize("params", [{"limit": -1}, {"limit": "abc"}, {"limit": 2.5}, {"page": -1}])
async def test_library_items_bad_paging_is_400_html(
    client: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    lib = (await library_ids(client))["book"]
    response = await client.get(f"/api/libraries/{lib}/items", params=params, headers=auth())
    assert response.status_code == 400 and "must be a positive integer" in response.text
    assert response.headers["content-type"].startswith("text/html")


async def test_item_plain_expanded_and_with_progress(client: httpx.AsyncClient) -> None:
    plain = (await client.get(f"/api/items/{PHM}", headers=auth())).json()
    assert plain["media"]["metadata"]["authors"][0]["name"] == "Andy Weir"
    assert "authorName" not in plain["media"]["metadata"]
    expanded = (await client.get(f"/api/items/{PHM}", params={"expanded": 1}, headers=auth())).json()
    meta = expanded["media"]["metadata"]
    assert meta["publishedYear"] == "2021" and meta["authorName"] == "Andy Weir"
    assert meta["narrators"] == ["Ray Porter"] and meta["series"] == []
    assert "userMediaProgress" not in expanded
    assert expanded["media"]["audioFiles"][0]["duration"] == 120.032653
    with_progress = await client.get(
        f"/api/items/{PHM}", params={"expanded": 1, "include": "progress"}, headers=auth()
    )
    assert with_progress.json()["userMediaProgress"]["progress"] == 0.5
    fresh = await client.get(
        f"/api/items/{FRESH}", params={"expanded": 1, "include": "progress"}, headers=auth()
    )
    assert fresh.json()["userMediaProgress"] is None
    assert fresh.json()["media"]["metadata"]["isbn"] is None


async def test_item_meta_tags_and_ebook_file(client: httpx.AsyncClient) -> None:
    murderbot = (await client.get(f"/api/items/{MURDERBOT}", params={"expanded": 1}, headers=auth())).json()
    tags = murderbot["media"]["audioFiles"][0]["metaTags"]
    assert (tags["tagIsbn"], tags["tagASIN"]) == ("9780765397539", "B06XKWD7CP")
    assert murderbot["media"]["metadata"]["isbn"] == "0-7653-9753-9"  # raw, not normalised
    hobbit = (await client.get(f"/api/items/{EBOOK}", params={"expanded": 1}, headers=auth())).json()
    assert hobbit["media"]["audioFiles"] == [] and hobbit["media"]["ebookFile"]["ebookFormat"] == "epub"
    podcast = (await client.get(f"/api/items/{POD}", params={"expanded": 1}, headers=auth())).json()
    assert podcast["mediaType"] == "podcast" and podcast["media"]["episodes"][0]["id"] == EP1


async def test_unknown_item_is_404_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/items/nope", headers=auth())
    assert (response.status_code, response.text) == (404, "Not Found")


async def test_batch_get_returns_expanded_known_items(client: httpx.AsyncClient) -> None:
    body = {"libraryItemIds": [PHM, "nope", EBOOK]}
    items = (await client.post("/api/items/batch/get", json=body, headers=auth())).json()["libraryItems"]
    assert [i["id"] for i in items] == [PHM, EBOOK]
    assert "authors" in items[0]["media"]["metadata"]


async def test_update_media_merges_metadata(client: httpx.AsyncClient, state: AbsState) -> None:
    body = {"metadata": {"isbn": "9780765397539", "asin": "B06XKWD7CP"}}
    first = (await client.patch(f"/api/items/{FRESH}/media", json=body, headers=auth())).json()
    assert first["updated"] is True
    assert first["libraryItem"]["media"]["metadata"]["isbn"] == "9780765397539"
    assert first["libraryItem"]["media"]["metadata"]["title"] == "Anathem"
    again = (await client.patch(f"/api/items/{FRESH}/media", json=body, headers=auth())).json()
    assert "updated" not in again  # ABS leaves ``updated`` out when nothing changed
    assert state.snapshot()["items"][FRESH]["asin"] == "B06XKWD7CP"


# -- test controls ------------------------------------------------------------------------------


async def test_stats_count_requests_writes_and_logins(client: httpx.AsyncClient, state: AbsState) -> None:
    await login(client)
    await client.get("/api/me", headers=auth())
    await patch(client, FRESH, {"currentTime": 3})
    stats = state.stats()
    assert (stats["requests"], stats["writes"], stats["logins"]) == (3, 1, 1)


async def test_fail_next_then_recover(client: httpx.AsyncClient, state: AbsState) -> None:
    state.fail_next(503, count=2)
    codes = [(await client.get("/api/me", headers=auth())).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert state.stats()["injected_failures"] == 2


async def test_reset_restores_the_fixture(client: httpx.AsyncClient, state: AbsState) -> None:
    before = copy.deepcopy(state.snapshot())
    await patch(client, PHM, {"currentTime": 115})
    await client.patch(f"/api/items/{PHM}/media", json={"metadata": {"title": "Changed"}}, headers=auth())
    assert state.snapshot() != before
    state.reset()
    assert state.snapshot() == before
    assert state.stats()["requests"] == 0
