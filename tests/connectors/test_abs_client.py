"""The Audiobookshelf client against the fake (in-process) and, for old-server shapes, MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.mapper import map_item, map_items, map_progress, map_progress_list
from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.domain.models import MediaKind, SeriesRef, Source
from bookrelay.errors import AuthError, BadResponse, NotFound, ServiceUnavailable
from bookrelay.sandbox.audiobookshelf import AbsState, build_abs_app

KEY = "abs-client-test-key-0001"
OFF_KEY = "abs-client-test-key-0002"
PASSWORD = "s3cret-rootpass"
BASE = "http://abs.test/abs"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Sleeps:
    """Records requested pauses instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def book(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "title": f"Book {n}",
        "authors": [f"Author {n}"],
        "duration": 1000.0 + n,
        "addedAt": 1_700_000_000_000 + n,
        **extra,
    }


def section() -> dict[str, Any]:
    books = [book(n) for n in range(1, 6)]
    books[0].update(
        title="All Systems Red",
        authors=["Martha Wells"],
        narrators=["Kevin R. Free"],
        series=[{"name": "Murderbot Diaries", "sequence": "1"}],
        isbn="0-7653-9753-9",
        asin="B06XKWD7CP",
        publishedYear="2017",
        subtitle="The Murderbot Diaries",
    )
    books[1].update(duration=0, ebookFormat="epub", title="An Ebook")
    return {
        "users": [{"username": "root", "password": PASSWORD, "type": "root"}],
        "api_keys": [
            {"name": "sync", "key": KEY, "username": "root", "isActive": True},
            {"name": "off", "key": OFF_KEY, "username": "root", "isActive": False},
        ],
        "libraries": [
            {"id": "lib-books", "name": "Audiobooks", "items": books},
            {"id": "lib-more", "name": "Kids", "items": [book(9)]},
            {
                "id": "lib-pods",
                "name": "Podcasts",
                "mediaType": "podcast",
                "items": [
                    {
                        "id": "pod-1",
                        "title": "Show",
                        "episodes": [{"id": "ep-1", "title": "E1", "duration": 60}],
                    }
                ],
            },
        ],
        "progress": [
            {
                "username": "root",
                "libraryItemId": books[0]["id"],
                "currentTime": 100,
                "duration": 1001,
                "progress": 0.1,
                "startedAt": 1_700_000_000_000,
                "lastUpdate": 1_700_000_100_000,
            },
            {
                "username": "root",
                "libraryItemId": "pod-1",
                "episodeId": "ep-1",
                "currentTime": 5,
                "duration": 60,
            },
        ],
    }


class Recorder(httpx.AsyncBaseTransport):
    """Wraps a transport and keeps every request, to assert on traffic."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> AbsState:
    return AbsState.from_fixture(section(), clock=clock)


@pytest.fixture
def recorder(state: AbsState) -> Recorder:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    # mounted under /abs exactly like the sandbox server does
    parent = Starlette(routes=[Mount("/abs", app=build_abs_app(state))])
    return Recorder(httpx.ASGITransport(app=parent))


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_api(recorder: Recorder, sleeps: Sleeps) -> Callable[..., AbsApi]:
    def make(**auth: Any) -> AbsApi:
        if not auth:
            auth = {"api_key": KEY}
        return AbsApi(AbsSession(BASE, transport=recorder, sleep=sleeps, jitter=lambda: 0.5, **auth))

    return make


def mock_api(
    handler: Callable[[httpx.Request], httpx.Response], sleeps: Sleeps | None = None, **auth: Any
) -> AbsApi:
    auth = auth or {"api_key": KEY}
    session = AbsSession(
        "http://old.abs", transport=httpx.MockTransport(handler), sleep=sleeps or Sleeps(), **auth
    )
    return AbsApi(session)


# -- auth ---------------------------------------------------------------------------------------


async def test_api_key_is_sent_as_bearer_never_as_query(
    make_api: Callable[..., AbsApi], recorder: Recorder
) -> None:
    me = await make_api().me()
    assert me["username"] == "root"
    request = recorder.requests[-1]
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert "token" not in request.url.params


async def test_N4_inactive_api_key_is_auth_error_naming_the_token(make_api: Callable[..., AbsApi]) -> None:
    with pytest.raises(AuthError) as caught:
        await make_api(api_key=OFF_KEY).me()
    assert caught.value.token_name == "ABS_TOKEN"
    assert OFF_KEY not in str(caught.value)


async def test_password_login_uses_access_token(
    make_api: Callable[..., AbsApi], recorder: Recorder, state: AbsState
) -> None:
    api = make_api(username="root", password=PASSWORD)
    await api.me()
    login = recorder.requests[0]
    assert login.url.path == "/abs/login" and login.headers["x-return-tokens"] == "true"
    bearer = recorder.requests[1].headers["authorization"].removeprefix("Bearer ")
    assert bearer.startswith("eyJ") and state.stats()["logins"] == 1  # a JWT access token, not user.token
    assert api.session.server_version == "2.36.0"


async def test_N2_expired_access_token_is_refreshed_once(
    make_api: Callable[..., AbsApi], state: AbsState, clock: Clock
) -> None:
    api = make_api(username="root", password=PASSWORD)
    await api.me()
    clock.now += 3601
    assert (await api.libraries())[0]["name"] == "Audiobooks"
    stats = state.stats()
    assert (stats["logins"], stats["refreshes"]) == (1, 1)


async def test_expired_refresh_token_falls_back_to_login(
    make_api: Callable[..., AbsApi], state: AbsState, clock: Clock
) -> None:
    api = make_api(username="root", password=PASSWORD)
    await api.me()
    clock.now += 31 * 86400
    await api.me()
    assert state.stats()["logins"] == 2


async def test_N4_wrong_password_names_the_user_not_the_secret(make_api: Callable[..., AbsApi]) -> None:
    with pytest.raises(AuthError) as caught:
        await make_api(username="root", password="wrong-password").me()
    assert caught.value.token_name == "ABS password for root"
    assert "wrong-password" not in str(caught.value)


async def test_legacy_token_without_access_token_on_old_server() -> None:
    """ABS < 2.26 answers /login with user.token only: the client uses it as the bearer."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login":
            return httpx.Response(
                200, json={"user": {"id": "u1", "username": "root", "token": "legacy-tok-123"}}
            )
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json={"id": "u1", "username": "root", "mediaProgress": []})

    me = await mock_api(handler, username="root", password="pw").me()
    assert me["mediaProgress"] == [] and seen == ["Bearer legacy-tok-123"]


# -- reading ------------------------------------------------------------------------------------


async def test_book_libraries_skip_podcasts_and_filter(make_api: Callable[..., AbsApi]) -> None:
    api = make_api()
    assert [lib["id"] for lib in await api.book_libraries(None, None)] == ["lib-books", "lib-more"]
    assert [lib["id"] for lib in await api.book_libraries(["kids"], None)] == ["lib-more"]
    assert [lib["id"] for lib in await api.book_libraries(None, ["lib-more"])] == ["lib-books"]
    assert await api.book_libraries(["Podcasts"], None) == []


async def test_library_items_pages_until_total(make_api: Callable[..., AbsApi], recorder: Recorder) -> None:
    items = await make_api().library_items("lib-books", page_size=2)
    assert len(items) == 5 and len({i["id"] for i in items}) == 5
    pages = [r.url.params["page"] for r in recorder.requests]
    assert pages == ["0", "1", "2"]


async def test_library_items_limit_zero_means_everything_in_one_answer() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        results = [{"id": f"li_{n}", "media": {"metadata": {"title": f"T{n}"}}} for n in range(3)]
        return httpx.Response(200, json={"results": results, "total": 3, "limit": 0, "page": 0})

    items = await mock_api(handler).library_items("lib")
    assert [i["id"] for i in items] == ["li_0", "li_1", "li_2"] and len(calls) == 1


async def test_library_items_tolerate_string_limit_and_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        ids = ["li_a", "li_b"] if page == 0 else ["li_c"]
        results = [{"id": i, "media": {"metadata": {"title": i}}} for i in ids]
        return httpx.Response(200, json={"results": results, "total": 3, "limit": "2", "page": str(page)})

    items = await mock_api(handler).library_items("lib", page_size=2)
    assert [i["id"] for i in items] == ["li_a", "li_b", "li_c"]


async def test_items_batch_chunks_and_skips_unknown(
    make_api: Callable[..., AbsApi], recorder: Recorder
) -> None:
    ids = [book(n)["id"] for n in range(1, 6)] + ["missing"]
    items = await make_api().items_batch(ids, chunk_size=4)
    assert [i["id"] for i in items] == ids[:5]
    assert sum(r.url.path.endswith("/batch/get") for r in recorder.requests) == 2


async def test_minified_and_expanded_items_map_alike(make_api: Callable[..., AbsApi]) -> None:
    api = make_api()
    listed = {i.item_id: i for i in map_items(await api.library_items("lib-books"))}
    expanded = map_item(await api.item(book(1)["id"]))
    assert expanded is not None
    assert listed[expanded.item_id] == expanded
    assert expanded.authors == ("Martha Wells",) and expanded.narrators == ("Kevin R. Free",)
    assert expanded.series == (SeriesRef("Murderbot Diaries", "1"),)
    assert (expanded.published_year, expanded.isbn, expanded.asin) == (2017, "0-7653-9753-9", "B06XKWD7CP")
    assert expanded.source is Source.AUDIOBOOKSHELF and expanded.library_id == "lib-books"
    assert listed[book(2)["id"]].media_kind is MediaKind.EBOOK
    assert listed[book(3)["id"]].media_kind is MediaKind.AUDIO


async def test_podcast_items_and_episode_progress_are_skipped(make_api: Callable[..., AbsApi]) -> None:
    api = make_api()
    assert map_item(await api.item("pod-1")) is None
    progress = map_progress_list(await api.media_progress())
    assert [p.item_id for p in progress] == [book(1)["id"]]
    assert progress[0].started_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


async def test_unknown_item_is_not_found(make_api: Callable[..., AbsApi]) -> None:
    with pytest.raises(NotFound):
        await make_api().item("nope")


# -- progress quirks seen through the client ----------------------------------------------------


async def test_P1_patch_then_get_shows_progress_not_computed(make_api: Callable[..., AbsApi]) -> None:
    api = make_api()
    item = book(3)["id"]
    assert await api.progress(item) is None
    await api.update_progress(item, {"currentTime": 500, "duration": 1003})
    stored = await api.progress(item)
    assert stored is not None and stored["progress"] == 0 and stored["currentTime"] == 500
    mapped = map_progress(stored)
    assert mapped is not None and mapped.progress == 0 and mapped.duration == 1003


async def test_auto_finish_and_unfinish_reset(make_api: Callable[..., AbsApi]) -> None:
    api = make_api()
    item = book(3)["id"]
    await api.update_progress(item, {"currentTime": 10, "duration": 1003})
    await api.update_progress(item, {"currentTime": 995})  # only an update auto-finishes, not a create
    finished = await api.progress(item)
    assert finished is not None and finished["isFinished"] is True and finished["progress"] == 1
    await api.update_progress(item, {"isFinished": False})
    reset = await api.progress(item)
    assert reset is not None and (reset["currentTime"], reset["progress"], reset["isFinished"]) == (
        0,
        0,
        False,
    )


async def test_is_finished_present_ignores_progress(make_api: Callable[..., AbsApi]) -> None:
    api = make_api()
    item = book(1)["id"]
    await api.update_progress(item, {"isFinished": False, "progress": 0.6, "currentTime": 600})
    held = await api.progress(item)
    assert held is not None and held["progress"] == 0.1
    await api.update_progress(item, {"progress": 0.6, "currentTime": 600})
    moved = await api.progress(item)
    assert moved is not None and moved["progress"] == 0.6


async def test_update_media_reports_whether_anything_changed(make_api: Callable[..., AbsApi]) -> None:
    api = make_api()
    answer = await api.update_media(book(4)["id"], {"isbn": "9780306406157"})
    assert answer["updated"] is True
    assert (await api.update_media(book(4)["id"], {"isbn": "9780306406157"}))["updated"] is False


# -- failures -----------------------------------------------------------------------------------


async def test_N2_read_retries_on_503(
    make_api: Callable[..., AbsApi], state: AbsState, sleeps: Sleeps
) -> None:
    state.fail_next(503, count=2)
    assert (await make_api().me())["username"] == "root"
    assert len(sleeps.calls) == 2 and sleeps.calls[1] > sleeps.calls[0]


async def test_N2_read_gives_up_after_retries(make_api: Callable[..., AbsApi], state: AbsState) -> None:
    state.fail_next(500, count=10)
    with pytest.raises(ServiceUnavailable):
        await make_api().libraries()
    assert state.stats()["injected_failures"] == 4  # the first try plus three retries


async def test_N2_write_not_retried_on_ambiguous_500(
    make_api: Callable[..., AbsApi], state: AbsState, sleeps: Sleeps
) -> None:
    api = make_api()
    state.fail_next(500)
    with pytest.raises(ServiceUnavailable):
        await api.update_progress(book(3)["id"], {"currentTime": 5})
    assert sleeps.calls == [] and await api.progress(book(3)["id"]) is None


async def test_N2_write_retried_on_503(make_api: Callable[..., AbsApi], state: AbsState) -> None:
    api = make_api()
    state.fail_next(503)
    await api.update_progress(book(3)["id"], {"currentTime": 5})
    stored = await api.progress(book(3)["id"])
    assert stored is not None and stored["currentTime"] == 5


async def test_N2_read_retries_on_timeout(sleeps: Sleeps) -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json={"libraries": []})

    assert await mock_api(handler, sleeps).libraries() == []
    assert len(attempts) == 3 and len(sleeps.calls) == 2


async def test_S3_malformed_json_is_bad_response_naming_the_call() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"libraries": [', headers={"content-type": "application/json"})

    with pytest.raises(BadResponse, match="libraries: malformed JSON"):
        await mock_api(handler).libraries()


async def test_S3_wrong_shape_is_bad_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": "nope", "total": 1})

    with pytest.raises(BadResponse, match=r"library_items\(lib\).*results"):
        await mock_api(handler).library_items("lib")


async def test_wrong_url_html_page_is_a_clear_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            text="<!DOCTYPE html><html><body>Some app</body></html>",
            headers={"content-type": "text/html; charset=utf-8"},
        )

    with pytest.raises(BadResponse, match=r"HTML page.*base URL"):
        await mock_api(handler).me()


async def test_wrong_url_404_on_me_is_a_clear_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="Cannot GET /api/me", headers={"content-type": "text/html"})

    with pytest.raises(BadResponse, match="Audiobookshelf server"):
        await mock_api(handler).me()


# -- mapper edge cases --------------------------------------------------------------------------


def minified(**metadata: Any) -> dict[str, Any]:
    return {
        "id": "li_8f2c",
        "libraryId": "lib",
        "mediaType": "book",
        "media": {"metadata": {"title": "T", **metadata}, "duration": 3600.5, "numAudioFiles": 1},
    }


def test_mapper_keeps_identifiers_raw() -> None:
    item = map_item(minified(isbn="0-306-40615-2", asin=" B00TEST123 "))
    assert item is not None and item.isbn == "0-306-40615-2" and item.asin == "B00TEST123"
    assert item.item_id == "li_8f2c"


def test_mapper_splits_joined_names_and_parses_series() -> None:
    item = map_item(
        minified(
            authorName="Terry Pratchett, Neil Gaiman",
            narratorName="",
            seriesName="Discworld #2.5, Standalone",
        )
    )
    assert item is not None
    assert item.authors == ("Terry Pratchett", "Neil Gaiman") and item.narrators == ()
    assert item.series == (SeriesRef("Discworld", "2.5"), SeriesRef("Standalone"))


@pytest.mark.parametrize(
    ("joined", "people"),
    [
        ("Smith, John", ("Smith, John",)),
        ("Le Guin, Ursula K.", ("Le Guin, Ursula K.",)),
        ("Kevin J. Anderson, Rebecca Moesta", ("Kevin J. Anderson", "Rebecca Moesta")),
        ("Douglas Preston & Lincoln Child", ("Douglas Preston", "Lincoln Child")),
    ],
)
def test_M4_a_minified_author_name_is_read_as_people_not_cut_at_commas(
    joined: str, people: tuple[str, ...]
) -> None:
    item = map_item(minified(authorName=joined))
    assert item is not None and item.authors == people


def test_mapper_defaults_for_missing_fields() -> None:
    item = map_item({"id": "x", "media": {"metadata": {"title": "Only A Title"}}})
    assert item is not None
    assert (item.authors, item.series, item.published_year, item.duration_seconds, item.isbn) == (
        (),
        (),
        None,
        None,
        None,
    )
    assert item.media_kind is MediaKind.AUDIO


def test_mapper_isbn_from_audio_tags_when_metadata_has_none() -> None:
    item = map_item(
        minified(isbn=None)
        | {
            "media": {
                "metadata": {"title": "T", "isbn": None},
                "duration": 10,
                "audioFiles": [{"metaTags": {"tagIsbn": "9780765397539"}}],
            }
        }
    )
    assert item is not None and item.isbn == "9780765397539"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"id": "x", "media": {"metadata": {}}}, "title"),
        ({"id": "x"}, "media"),
        ({"id": "x", "media": {"metadata": {"title": "T"}, "duration": "long"}}, "duration"),
    ],
)
def test_S3_malformed_item_names_the_place(broken: dict[str, Any], message: str) -> None:
    with pytest.raises(BadResponse, match=f"item 'x'.*{message}"):
        map_item(broken)


def test_progress_ms_become_aware_utc_and_ebook_progress_kept() -> None:
    progress = map_progress(
        {
            "id": "p",
            "libraryItemId": "li_1",
            "episodeId": None,
            "mediaItemType": "book",
            "ebookProgress": 0.4,
            "isFinished": True,
            "finishedAt": 1_700_000_000_000,
            "lastUpdate": 1_700_000_000_500,
            "startedAt": None,
        }
    )
    assert progress is not None
    assert progress.finished_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert progress.last_update is not None and progress.last_update.tzinfo is UTC
    assert (progress.ebook_progress, progress.is_finished, progress.started_at) == (0.4, True, None)
    assert map_progress({"libraryItemId": "pod", "episodeId": "ep"}) is None


async def test_S1_error_bodies_quoted_in_errors_are_redacted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text=f"bad request for {json.dumps({'token': KEY})}")

    with pytest.raises(BadResponse) as caught:
        await mock_api(handler).libraries()
    assert "HTTP 400" in str(caught.value) and KEY not in str(caught.value)
