"""The real ``audible`` client through our session against the fake Audible (in-process), the mapper's
edge cases, and the login helpers that work offline (auth-file import)."""

from __future__ import annotations

import copy
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import audible
import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from bookrelay.connectors.audible import login
from bookrelay.connectors.audible.api import AudibleApi
from bookrelay.connectors.audible.mapper import (
    latest_finishes,
    map_library,
    parse_timestamp,
    to_source_item,
    to_source_progress,
)
from bookrelay.connectors.audible.session import AudibleSession
from bookrelay.connectors.audible.types import LibraryItem
from bookrelay.domain.models import SeriesRef, Source
from bookrelay.errors import AuthError, BadResponse, ConfigError, RateLimited, ServiceUnavailable
from bookrelay.sandbox.audible import AudibleState, build_audible_app, new_device_auth

BASE = "http://sandbox.test/audible"
SECRET_KEYS = ("adp_token", "access_token", "refresh_token", "device_private_key")


class Clock:
    """The fake's clock; ``sleep`` advances it, so waiting on Retry-After takes no real time."""

    def __init__(self) -> None:
        self.now = time.time()
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def device() -> dict[str, Any]:
    return new_device_auth("us", expires=time.time() + 3600)


def _bearer_only(device: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(device)
    data.update(adp_token=None, device_private_key=None, **changes)
    return data


def _item(i: int) -> dict[str, Any]:
    return {
        "asin": f"B0LIB{i:05d}",
        "title": f"Title {i}",
        "authors": [{"asin": None, "name": f"Author {i}"}],
        "runtime_length_min": 60 + i,
        "percent_complete": 50.0,
        "is_finished": False,
    }


def _setup(
    device: dict[str, Any], *, titles: int = 3, account_auth: dict[str, Any] | None = None, **options: Any
) -> tuple[AudibleState, Clock, Starlette]:
    clock = Clock()
    positions = {
        f"B0LIB{i:05d}": {"position_ms": 1000 * i, "last_updated": "2026-09-30 12:33:04.122"}
        for i in range(0, titles, 2)
    }
    events = [
        {
            "asin": f"B0LIB{i:05d}",
            "event_timestamp": f"2026-03-{i + 1:02d}T08:00:00Z",
            "is_marked_as_finished": True,
        }
        for i in range(5)
    ]
    section = {
        **options,
        "accounts": [
            {
                "name": "alice",
                "auth": copy.deepcopy(account_auth or device),
                "library": [_item(i) for i in range(titles)],
                "positions": positions,
                "finished_events": events,
            }
        ],
    }
    state = AudibleState.from_fixture(section, clock=clock)
    # mounted like the sandbox does, so the base URL carries the /audible prefix
    app = Starlette(routes=[Mount("/audible", app=build_audible_app(state))])
    return state, clock, app


def _session(app: Any, auth: dict[str, Any], clock: Clock, **kwargs: Any) -> AudibleSession:
    return AudibleSession(
        auth, user="alice", base_url=BASE, transport=httpx.ASGITransport(app=app), sleep=clock.sleep, **kwargs
    )


async def test_library_pages_over_120_titles_until_a_short_page(device: dict[str, Any]) -> None:
    state, clock, app = _setup(device, titles=120)
    async with _session(app, device, clock) as session:
        items = await AudibleApi(session).library(page_size=50)
    assert [it["asin"] for it in items] == [f"B0LIB{i:05d}" for i in range(120)]
    assert state.stats()["library"] == 3
    assert items[7]["runtime_length_min"] == 67  # the default response groups reach the fields


async def test_library_stops_at_total_count_without_an_empty_page(device: dict[str, Any]) -> None:
    state, clock, app = _setup(device, titles=120)
    async with _session(app, device, clock) as session:
        items = await AudibleApi(session).library(page_size=40)
    assert len(items) == 120
    assert state.stats()["library"] == 3  # 3 full pages; total-count says there is no 4th


async def test_last_positions_asked_25_at_a_time(device: dict[str, Any]) -> None:
    state, clock, app = _setup(device, titles=120)
    asins = [f"B0LIB{i:05d}" for i in range(120)]
    async with _session(app, device, clock) as session:
        positions = await AudibleApi(session).last_positions(asins + asins[:10])  # repeats asked once
    assert state.stats()["lastpositions"] == 5  # ceil(120 / 25)
    assert set(positions) == {f"B0LIB{i:05d}" for i in range(0, 120, 2)}  # DoesNotExist left out
    assert positions["B0LIB00004"]["position_ms"] == 4000


async def test_finished_events_follow_continuation_tokens(device: dict[str, Any]) -> None:
    state, clock, app = _setup(device, finished_page_size=2)
    async with _session(app, device, clock) as session:
        events = await AudibleApi(session).finished_events()
    assert [e["asin"] for e in events] == [f"B0LIB{i:05d}" for i in range(5)]
    assert state.stats()["finished"] == 3


async def test_N4_unknown_device_gets_auth_error_naming_the_user(device: dict[str, Any]) -> None:
    _, clock, app = _setup(device)
    stranger = new_device_auth("us", expires=time.time() + 3600)
    async with _session(app, stranger, clock) as session:
        with pytest.raises(AuthError) as caught:
            await AudibleApi(session).library()
    message = str(caught.value)
    assert "audible auth for user alice" in message
    assert all(stranger[k] not in message for k in SECRET_KEYS)


async def test_N2_429_is_retried_after_retry_after(device: dict[str, Any]) -> None:
    state, clock, app = _setup(device, rate_limit_per_minute=2)
    async with _session(app, device, clock) as session:
        api = AudibleApi(session)
        await api.finished_events()
        await api.finished_events()
        events = await api.finished_events()  # the 3rd call in a minute is limited, then waits it out
    assert len(events) == 5
    assert state.stats()["rate_limited"] == 1
    assert len(clock.slept) == 1 and 1 <= clock.slept[0] <= 60


async def test_N2_429_after_retries_is_rate_limited(device: dict[str, Any]) -> None:
    state, clock, app = _setup(device)
    state.fail_next(429, 3)
    async with _session(app, device, clock, max_retries=2) as session:
        with pytest.raises(RateLimited):
            await AudibleApi(session).finished_events()
    assert state.stats()["injected_failures"] == 3
    assert len(clock.slept) == 2


async def test_N2_503_is_retried_then_service_unavailable(device: dict[str, Any]) -> None:
    state, clock, app = _setup(device)
    state.fail_next(503, 1)
    async with _session(app, device, clock) as session:
        assert len(await AudibleApi(session).finished_events()) == 5
    state.fail_next(500, 5)
    async with _session(app, device, clock, max_retries=1) as session:
        with pytest.raises(ServiceUnavailable):
            await AudibleApi(session).finished_events()


async def test_expired_token_is_refreshed_and_persisted_through_on_auth_changed(
    device: dict[str, Any],
) -> None:
    bearer = _bearer_only(device)
    state, clock, app = _setup(device, account_auth=bearer, access_token_ttl=900)
    stored: list[dict[str, Any]] = []

    async def persist(data: dict[str, Any]) -> None:
        stored.append(data)

    async with _session(app, bearer, clock, on_auth_changed=persist) as session:
        assert session.mode == "bearer"
        clock.now = bearer["expires"] + 10  # the fake's clock says the token expired; the client cannot know
        items = await AudibleApi(session).library()
    assert len(items) == 3
    assert state.stats()["auth_failures"] == 1 and state.stats()["refreshes"] == 1
    assert len(stored) == 1
    renewed = stored[0]
    assert renewed["access_token"] != bearer["access_token"]
    assert renewed["refresh_token"] == bearer["refresh_token"]
    # the persisted auth data works on its own in a new session
    async with _session(app, renewed, clock) as again:
        assert len(await AudibleApi(again).library()) == 3
    assert state.stats()["refreshes"] == 1


async def test_token_expired_by_its_timestamp_is_refreshed_before_the_request(device: dict[str, Any]) -> None:
    bearer = _bearer_only(device, expires=time.time() - 5)
    state, clock, app = _setup(device, account_auth=bearer)
    stored: list[dict[str, Any]] = []
    async with _session(app, bearer, clock, on_auth_changed=stored.append) as session:
        await AudibleApi(session).finished_events()
    assert state.stats()["auth_failures"] == 0 and state.stats()["refreshes"] == 1
    assert stored and stored[0]["expires"] > time.time()


async def test_N4_rejected_refresh_token_is_auth_error(device: dict[str, Any]) -> None:
    fixture_auth = _bearer_only(device)
    _, clock, app = _setup(device, account_auth=fixture_auth)
    client_auth = _bearer_only(device, refresh_token="Atnr|revoked", expires=time.time() - 5)
    async with _session(app, client_auth, clock) as session:
        with pytest.raises(AuthError, match="audible auth for user alice"):
            await AudibleApi(session).library()


async def test_S3_malformed_answers_are_bad_response(device: dict[str, Any]) -> None:
    answers = {
        "/audible/1.0/library": httpx.Response(200, text="<html>maintenance</html>"),
        "/audible/1.0/stats/status/finished": httpx.Response(200, json={"mark_as_finished_status_list": "x"}),
    }
    transport = httpx.MockTransport(lambda request: answers[request.url.path])
    async with AudibleSession(device, user="alice", base_url=BASE, transport=transport) as session:
        with pytest.raises(BadResponse, match="library page 1: the answer is not JSON"):
            await AudibleApi(session).library()
        with pytest.raises(BadResponse, match="mark_as_finished_status_list"):
            await AudibleApi(session).finished_events()


def test_S3_unusable_auth_data_is_config_error(device: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="audible auth for user bob"):
        AudibleSession({**device, "access_token": "not-a-token"}, user="bob")
    with pytest.raises(ConfigError, match="needs adp_token"):
        AudibleSession(_bearer_only(device, access_token=None, refresh_token=None), user="bob")


async def test_S1_tokens_never_reach_the_logs(
    device: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    bearer = _bearer_only(device)
    state, clock, app = _setup(device, account_auth=bearer)
    renewed: list[dict[str, Any]] = []
    caplog.set_level(logging.DEBUG)
    async with _session(app, bearer, clock, on_auth_changed=renewed.append) as session:
        clock.now = bearer["expires"] + 10
        await AudibleApi(session).library()
    signed_state, signed_clock, signed_app = _setup(device)
    async with _session(signed_app, device, signed_clock) as session:
        await AudibleApi(session).library()
    assert renewed and state.stats()["refreshes"] == 1 and signed_state.stats()["library"] == 1
    secrets = [device[k] for k in SECRET_KEYS] + [renewed[0]["access_token"]]
    assert caplog.records  # the run did log
    assert not [s for s in secrets if s in caplog.text]


# -- mapping --------------------------------------------------------------------------------------


def test_parse_timestamp_reads_both_forms_as_utc() -> None:
    iso = parse_timestamp("2026-08-18T21:04:11.000Z", "x")
    spaced = parse_timestamp("2026-09-30 12:33:04.122", "x")
    assert iso == datetime(2026, 8, 18, 21, 4, 11, tzinfo=UTC)
    assert spaced == datetime(2026, 9, 30, 12, 33, 4, 122000, tzinfo=UTC)
    assert parse_timestamp("2026-01-01T01:00:00+01:00", "x") == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_timestamp(None, "x") is None
    with pytest.raises(BadResponse, match="last_updated"):
        parse_timestamp("yesterday", "last_updated")


def test_M3_item_maps_asin_runtime_series_and_year() -> None:
    item: LibraryItem = {
        "asin": "B07DHSQL6Q",
        "title": "Make Time",
        "subtitle": "How to Focus on What Matters Every Day",
        "authors": [
            {"asin": "B019N34KS2", "name": "Jake Knapp"},
            {"asin": "B01ATPESEY", "name": "John Zeratsky"},
        ],
        "narrators": [{"asin": None, "name": "Jake Knapp"}],
        "runtime_length_min": 298,
        "release_date": "2018-09-25",
        "series": [
            {"asin": "B0S", "sequence": "2.5", "title": "Sprint", "url": None},
            {"title": "", "sequence": "1"},
        ],
    }
    mapped = to_source_item(item)
    assert (mapped.source, mapped.item_id, mapped.asin) == (Source.AUDIBLE, "B07DHSQL6Q", "B07DHSQL6Q")
    assert mapped.isbn is None
    assert mapped.duration_seconds == 298 * 60
    assert mapped.authors == ("Jake Knapp", "John Zeratsky")
    assert mapped.narrators == ("Jake Knapp",)
    assert mapped.series == (SeriesRef("Sprint", "2.5"),)
    assert mapped.published_year == 2018


def test_null_authors_narrators_series_and_runtime_map_to_empty() -> None:
    item: LibraryItem = {
        "asin": "B0NULLS001",
        "title": "Untold",
        "authors": None,
        "narrators": None,
        "series": None,
        "runtime_length_min": None,
        "release_date": None,
        "percent_complete": None,
        "listening_status": None,
    }
    mapped = to_source_item(item)
    assert (mapped.authors, mapped.narrators, mapped.series) == ((), (), ())
    assert mapped.duration_seconds is None and mapped.published_year is None
    progress = to_source_progress(item)
    assert (progress.progress, progress.current_time, progress.duration) == (0.0, 0.0, 0.0)


def test_S3_item_without_title_names_the_item() -> None:
    with pytest.raises(BadResponse, match="B0NOTITLE1: no title"):
        to_source_item({"asin": "B0NOTITLE1"})
    with pytest.raises(BadResponse, match="no asin"):
        to_source_item({"title": "x"})


def test_P1_progress_from_percent_position_and_finish_dates() -> None:
    item: LibraryItem = {"asin": "B0P1", "title": "T", "runtime_length_min": 100, "percent_complete": 40.0}
    by_percent = to_source_progress(item)
    assert by_percent.progress == pytest.approx(0.4)
    assert by_percent.current_time == pytest.approx(0.4 * 6000)
    by_position = to_source_progress(
        item, {"position_ms": 1_234_500, "status": "Exists", "last_updated": "2026-09-30 12:33:04.122"}
    )
    assert by_position.current_time == pytest.approx(1234.5)
    assert by_position.last_update == datetime(2026, 9, 30, 12, 33, 4, 122000, tzinfo=UTC)
    # only listening_status given: its percent and its finish date count
    finished: LibraryItem = {
        "asin": "B0P2",
        "title": "T",
        "listening_status": {
            "is_finished": True,
            "percent_complete": 100.0,
            "finished_at_timestamp": "2026-08-30T12:08:33.768Z",
            "time_remaining_seconds": 0,
        },
    }
    done = to_source_progress(finished)
    assert done.is_finished and done.progress == 1.0
    assert done.finished_at == datetime(2026, 8, 30, 12, 8, 33, 768000, tzinfo=UTC)
    event_date = datetime(2026, 9, 1, tzinfo=UTC)
    assert to_source_progress(finished, finished_at=event_date).finished_at == event_date


def test_finish_date_of_an_unfinished_item_is_not_used() -> None:
    item: LibraryItem = {
        "asin": "B07DHSQL6Q",
        "title": "Make Time",
        "percent_complete": 2.0,
        "is_finished": False,
        "listening_status": {"finished_at_timestamp": "2026-08-30T12:08:33.768Z", "is_finished": False},
    }
    progress = to_source_progress(item, finished_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert not progress.is_finished and progress.finished_at is None


def test_latest_finish_per_asin_skips_unmarking_events() -> None:
    finishes = latest_finishes(
        [
            {"asin": "A", "event_timestamp": "2026-01-01T00:00:00Z", "is_marked_as_finished": True},
            {"asin": "A", "event_timestamp": "2026-05-01 00:00:00.000", "is_marked_as_finished": True},
            {"asin": "A", "event_timestamp": "2026-06-01T00:00:00Z", "is_marked_as_finished": False},
            {"asin": "B", "event_timestamp": "2026-02-01T00:00:00Z", "is_marked_as_finished": False},
        ]
    )
    assert finishes == {"A": datetime(2026, 5, 1, tzinfo=UTC)}


async def test_whole_library_maps_through_the_fake(device: dict[str, Any]) -> None:
    _, clock, app = _setup(device, titles=6)
    async with _session(app, device, clock) as session:
        api = AudibleApi(session)
        items = await api.library()
        pairs = map_library(
            items, await api.last_positions(i["asin"] for i in items), await api.finished_events()
        )
    by_asin = {item.item_id: progress for item, progress in pairs}
    assert by_asin["B0LIB00002"].current_time == 2.0  # from position_ms 2000
    assert by_asin["B0LIB00001"].current_time == pytest.approx(0.5 * 61 * 60)  # from percent x runtime
    assert by_asin["B0LIB00002"].last_update == datetime(2026, 9, 30, 12, 33, 4, 122000, tzinfo=UTC)


# -- login helpers (offline parts) ----------------------------------------------------------------


def _auth_file(tmp_path: Path, device: dict[str, Any], encryption: Any, password: str | None) -> Path:
    target = tmp_path / f"audible-{encryption}.json"
    audible.Authenticator.from_dict(copy.deepcopy(device)).to_file(
        target, password=password, encryption=encryption, set_default=False
    )
    return target


@pytest.mark.parametrize("encryption", [False, "json", "bytes"])
def test_import_auth_file_plain_and_encrypted(
    tmp_path: Path, device: dict[str, Any], encryption: Any
) -> None:
    password = None if encryption is False else "file-pass-123"
    path = _auth_file(tmp_path, device, encryption, password)
    if encryption == "json":
        assert "ciphertext" in json.loads(path.read_text())  # really encrypted
    data = login.import_auth_file(path, password=password)
    assert {k: data[k] for k in SECRET_KEYS} == {k: device[k] for k in SECRET_KEYS}
    assert data["locale_code"] == "us"


def test_S3_import_auth_file_errors_name_the_file(tmp_path: Path, device: dict[str, Any]) -> None:
    path = _auth_file(tmp_path, device, "json", "right-pass-123")
    with pytest.raises(ConfigError, match="encrypted: give its password") as no_password:
        login.import_auth_file(path)
    assert str(path) in str(no_password.value)
    with pytest.raises(ConfigError, match="wrong password") as wrong:
        login.import_auth_file(path, password="wrong-pass-456")
    assert "wrong-pass-456" not in str(wrong.value)
    with pytest.raises(ConfigError, match="no such file"):
        login.import_auth_file(tmp_path / "missing.json")
    garbage = tmp_path / "garbage.json"
    garbage.write_text(json.dumps({"adp_token": "nonsense", "locale_code": "us"}))
    with pytest.raises(ConfigError, match="not an audible auth file"):
        login.import_auth_file(garbage)


def test_S1_import_auth_file_logs_no_secret(
    tmp_path: Path, device: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password = "file-pass-789"
    login.import_auth_file(_auth_file(tmp_path, device, "bytes", password), password=password)
    assert caplog.records
    assert not [s for s in [password] + [device[k] for k in SECRET_KEYS] if s in caplog.text]


def test_login_rejects_an_unknown_marketplace_before_any_network() -> None:
    def never(url: str) -> str:
        raise AssertionError("no login URL should be built for a bad locale")

    with pytest.raises(ConfigError, match="--locale"):
        login.login_external("xx", never)
    with pytest.raises(ConfigError, match="--locale"):
        login.login_with_password("a@example.com", "pw-secret-1", "zz")
    assert login.check_locale(" UK ") == "uk"


def test_external_login_address_without_code_is_auth_error() -> None:
    # the login URL is built locally; the pasted address is checked before anything is sent
    with pytest.raises(AuthError, match="no authorization code"):
        login.login_external("de", lambda url: "https://www.amazon.de/ap/maplanding?foo=bar")


async def test_N2_retry_after_beyond_max_wait_is_reported_not_slept(device: dict[str, Any]) -> None:
    state, clock, app = _setup(device, rate_limit_per_minute=1)
    async with _session(app, device, clock, max_wait=0.5) as session:
        api = AudibleApi(session)
        await api.finished_events()
        with pytest.raises(RateLimited) as caught:
            await api.finished_events()
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1
    assert clock.slept == [] and state.stats()["rate_limited"] == 1


async def test_N2_failed_token_refresh_is_retried(device: dict[str, Any]) -> None:
    bearer = _bearer_only(device, expires=time.time() - 5)
    state, clock, app = _setup(device, account_auth=bearer)
    state.fail_next(503, 1)  # the refresh itself is answered 503 once
    stored: list[dict[str, Any]] = []
    async with _session(app, bearer, clock, on_auth_changed=stored.append) as session:
        assert len(await AudibleApi(session).finished_events()) == 5
    assert state.stats()["refreshes"] == 1 and len(stored) == 1 and len(clock.slept) == 1
