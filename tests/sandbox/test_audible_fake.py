"""The fake Audible answers like ref Part C: paging, response groups, positions, finished events,
signed and bearer auth, token expiry and refresh, rate limit, injected failures."""

from __future__ import annotations

import base64
import copy
from typing import Any

import httpx
import pytest
from audible.auth import sign_request
from starlette.applications import Starlette
from starlette.routing import Mount

from bookrelay.sandbox.audible import AudibleState, build_audible_app, new_device_auth

BASE = "http://audible.test"
NOW = 1_790_000_000.0


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def device() -> dict[str, Any]:
    return new_device_auth("us", expires=NOW + 3600)


def _item(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "asin": f"B0FAKE{i:04d}",
        "title": f"Title {i}",
        "subtitle": None,
        "authors": [{"asin": "B0AUTHOR01", "name": f"Author {i}"}],
        "narrators": [{"asin": None, "name": "Narrator"}],
        "runtime_length_min": 300 + i,
        "release_date": "2018-09-25",
        "series": None,
        "purchase_date": "2025-05-21T05:42:18.895Z",
        "percent_complete": float(i % 100),
        "is_finished": False,
        **extra,
    }


def _section(device: dict[str, Any], titles: int = 7, **options: Any) -> dict[str, Any]:
    return {
        **options,
        "accounts": [
            {
                "name": "alice",
                "auth": copy.deepcopy(device),
                "library": [_item(i) for i in range(titles)],
                "positions": {
                    "B0FAKE0001": {"position_ms": 372000, "last_updated": "2026-08-18T21:04:11.000Z"}
                },
                "finished_events": [
                    {
                        "asin": "B0FAKE0002",
                        "event_timestamp": f"2026-0{m}-01T10:00:00Z",
                        "is_marked_as_finished": True,
                    }
                    for m in range(1, 6)
                ],
            }
        ],
    }


def _client(state: AudibleState, app: Any = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app or build_audible_app(state)), base_url=BASE
    )


def _bearer(device: dict[str, Any], token: str | None = None) -> dict[str, str]:
    return {"x-amz-access-token": token or device["access_token"]}


def _signed(device: dict[str, Any], method: str, raw_path: str, body: bytes = b"") -> dict[str, str]:
    return sign_request(method, raw_path, body, device["adp_token"], device["device_private_key"])


async def test_library_pages_with_num_results_page_and_total_count(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device, titles=7), clock=Clock())
    async with _client(state) as http:
        pages = []
        for page in (1, 2, 3):
            r = await http.get(
                "/1.0/library", params={"num_results": 3, "page": page}, headers=_bearer(device)
            )
            assert r.status_code == 200
            assert r.headers["total-count"] == "7"
            pages.append([it["asin"] for it in r.json()["items"]])
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [asin for page in pages for asin in page] == [f"B0FAKE{i:04d}" for i in range(7)]


async def test_library_rejects_num_results_over_1000(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device), clock=Clock())
    async with _client(state) as http:
        r = await http.get("/1.0/library", params={"num_results": 1001}, headers=_bearer(device))
    assert r.status_code == 400
    assert "num_results" in r.json()["message"]


async def test_library_fields_come_only_with_their_response_group(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device, titles=1), clock=Clock())
    async with _client(state) as http:
        bare = (await http.get("/1.0/library", headers=_bearer(device))).json()["items"][0]
        some = (
            await http.get(
                "/1.0/library", params={"response_groups": "product_desc,series"}, headers=_bearer(device)
            )
        ).json()
    assert set(bare) == {"asin", "purchase_date", "sku_lite", "status", "library_status"}
    item = some["items"][0]
    assert item["title"] == "Title 0"
    assert "series" in item and item["series"] is None  # asked for: present, explicit null
    assert "authors" not in item and "percent_complete" not in item and "runtime_length_min" not in item
    assert some["response_groups"][1:] == ["product_desc", "series"]


async def test_listening_status_is_derived_when_the_fixture_has_none(device: dict[str, Any]) -> None:
    section = _section(device, titles=0)
    section["accounts"][0]["library"] = [_item(1, runtime_length_min=100, percent_complete=25.0)]
    state = AudibleState.from_fixture(section, clock=Clock())
    async with _client(state) as http:
        r = await http.get(
            "/1.0/library", params={"response_groups": "listening_status"}, headers=_bearer(device)
        )
    status = r.json()["items"][0]["listening_status"]
    assert status["percent_complete"] == 25.0
    assert status["time_remaining_seconds"] == 4500  # 75 % of 100 minutes
    assert status["is_finished"] is False


async def test_last_positions_exists_or_does_not_and_at_most_25(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device), clock=Clock())
    async with _client(state) as http:
        r = await http.get(
            "/1.0/annotations/lastpositions",
            params={"asins": "B0FAKE0001,B0FAKE0003"},
            headers=_bearer(device),
        )
        too_many = await http.get(
            "/1.0/annotations/lastpositions",
            params={"asins": ",".join(f"B0X{i:07d}" for i in range(26))},
            headers=_bearer(device),
        )
    annots = {a["asin"]: a["last_position_heard"] for a in r.json()["asin_last_position_heard_annots"]}
    assert annots["B0FAKE0001"] == {
        "position_ms": 372000,
        "status": "Exists",
        "last_updated": "2026-08-18T21:04:11.000Z",
    }
    assert annots["B0FAKE0003"] == {"status": "DoesNotExist"}
    assert too_many.status_code == 400


async def test_finished_events_page_by_continuation_token_and_filter_by_start_date(
    device: dict[str, Any],
) -> None:
    state = AudibleState.from_fixture(_section(device, finished_page_size=2), clock=Clock())
    seen: list[str] = []
    calls = 0
    async with _client(state) as http:
        params = {"start_date": "2026-02-01T00:00:00Z"}
        while True:
            body = (
                await http.get("/1.0/stats/status/finished", params=params, headers=_bearer(device))
            ).json()
            calls += 1
            seen.extend(e["event_timestamp"][:7] for e in body["mark_as_finished_status_list"])
            if not body.get("continuation_token"):
                break
            params = {**params, "continuation_token": body["continuation_token"]}
        bad = await http.get(
            "/1.0/stats/status/finished", params={"continuation_token": "!!"}, headers=_bearer(device)
        )
    assert seen == ["2026-02", "2026-03", "2026-04", "2026-05"]
    assert calls == 2
    assert bad.status_code == 400


async def test_signed_request_with_the_device_key_is_accepted(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device), clock=Clock())
    async with _client(state) as http:
        ok = await http.get(
            "/1.0/library?num_results=2", headers=_signed(device, "GET", "/1.0/library?num_results=2")
        )
        # a signature over another path (or query) does not authorise this one
        replay = await http.get(
            "/1.0/library?num_results=3", headers=_signed(device, "GET", "/1.0/library?num_results=2")
        )
    assert ok.status_code == 200
    assert len(ok.json()["items"]) == 2
    assert replay.status_code == 401
    assert state.stats()["auth_failures"] == 1


async def test_signature_from_another_device_key_is_refused(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device), clock=Clock())
    other = new_device_auth("us")
    forged = sign_request("GET", "/1.0/library", b"", device["adp_token"], other["device_private_key"])
    async with _client(state) as http:
        r = await http.get("/1.0/library", headers=forged)
        garbled = await http.get(
            "/1.0/library",
            headers={**_signed(device, "GET", "/1.0/library"), "x-adp-signature": "%%%:2026"},
        )
    assert r.status_code == 401
    assert garbled.status_code == 401


async def test_signing_verifies_under_the_sandbox_mount(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device), clock=Clock())
    parent = Starlette(routes=[Mount("/audible", app=build_audible_app(state))])
    async with _client(state, parent) as http:
        full = await http.get("/audible/1.0/library", headers=_signed(device, "GET", "/audible/1.0/library"))
        inner = await http.get("/audible/1.0/library", headers=_signed(device, "GET", "/1.0/library"))
    assert full.status_code == 200
    assert inner.status_code == 200


async def test_no_or_unknown_credentials_get_401(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device), clock=Clock())
    async with _client(state) as http:
        none = await http.get("/1.0/library")
        wrong = await http.get("/1.0/library", headers=_bearer(device, "Atna|not-a-known-token"))
    assert (none.status_code, wrong.status_code) == (401, 401)
    assert state.stats()["auth_failures"] == 2


async def test_expired_access_token_gets_401_until_refreshed(device: dict[str, Any]) -> None:
    clock = Clock()
    state = AudibleState.from_fixture(_section(device, access_token_ttl=600), clock=clock)
    form = {
        "app_name": "Audible",
        "app_version": "4.60",
        "source_token": device["refresh_token"],
        "requested_token_type": "access_token",
        "source_token_type": "refresh_token",
    }
    async with _client(state) as http:
        assert (await http.get("/1.0/library", headers=_bearer(device))).status_code == 200
        clock.now = device["expires"] + 1
        assert (await http.get("/1.0/library", headers=_bearer(device))).status_code == 401
        answer = await http.post("/auth/token", data=form)
        assert answer.status_code == 200
        body = answer.json()
        assert body["expires_in"] == 600 and body["access_token"].startswith("Atna|")
        assert (
            await http.get("/1.0/library", headers=_bearer(device, body["access_token"]))
        ).status_code == 200
        clock.now += 601
        assert (
            await http.get("/1.0/library", headers=_bearer(device, body["access_token"]))
        ).status_code == 401
        rejected = await http.post("/auth/token", data={**form, "source_token": "Atnr|unknown"})
    assert rejected.status_code == 400
    assert state.stats()["refreshes"] == 1


async def test_429_with_retry_after_when_called_too_often_per_minute(device: dict[str, Any]) -> None:
    clock = Clock()
    state = AudibleState.from_fixture(_section(device, rate_limit_per_minute=3), clock=clock)
    async with _client(state) as http:
        statuses = []
        for _ in range(4):
            clock.now += 1
            statuses.append((await http.get("/1.0/library", headers=_bearer(device))).status_code)
        limited = await http.get("/1.0/library", headers=_bearer(device))
        clock.now += float(limited.headers["retry-after"])
        after_wait = await http.get("/1.0/library", headers=_bearer(device))
    assert statuses == [200, 200, 200, 429]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert after_wait.status_code == 200
    assert state.stats()["rate_limited"] == 2


async def test_fail_next_answers_queued_statuses_first_and_counts(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device), clock=Clock())
    state.fail_next(503, 2)
    async with _client(state) as http:
        codes = [(await http.get("/1.0/library", headers=_bearer(device))).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    stats = state.stats()
    assert (stats["requests"], stats["injected_failures"], stats["library"]) == (3, 2, 1)


async def test_reset_forgets_refreshed_tokens_and_counters(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device), clock=Clock())
    token = state.refresh(device["refresh_token"])
    assert token is not None
    state.counters["library"] += 5
    state.reset()
    async with _client(state) as http:
        r = await http.get("/1.0/library", headers=_bearer(device, token[0]))
    assert r.status_code == 401
    assert state.stats()["library"] == 0 and state.stats()["refreshes"] == 0


def test_snapshot_is_json_data_without_secrets(device: dict[str, Any]) -> None:
    state = AudibleState.from_fixture(_section(device, titles=2), clock=Clock())
    snap = repr(state.snapshot())
    assert "B0FAKE0001" in snap
    for secret in ("adp_token", "access_token", "refresh_token", "device_private_key"):
        assert device[secret] not in snap


@pytest.mark.parametrize(
    ("mutate", "place"),
    [
        (lambda s: s["accounts"][0]["library"][1].pop("asin"), "audible.accounts[0].library[1].asin"),
        (
            lambda s: s["accounts"][0]["auth"].pop("device_private_key"),
            "audible.accounts[0].auth.device_private_key",
        ),
        (
            lambda s: s["accounts"][0]["positions"]["B0FAKE0001"].update(position_ms="x"),
            "audible.accounts[0].positions.B0FAKE0001.position_ms",
        ),
        (lambda s: s.update(rate_limit_per_minute=0), "audible.rate_limit_per_minute"),
        (lambda s: s["accounts"].append(copy.deepcopy(s["accounts"][0])), "audible.accounts[1].name"),
    ],
)
def test_bad_fixture_names_the_place(device: dict[str, Any], mutate: Any, place: str) -> None:
    section = _section(device)
    mutate(section)
    with pytest.raises(ValueError, match=place.replace("[", r"\[").replace("]", r"\]")):
        AudibleState.from_fixture(section, clock=Clock())


def test_new_device_auth_has_the_shapes_the_package_accepts() -> None:
    import audible

    data = new_device_auth("de", expires=NOW)
    auth = audible.Authenticator.from_dict(copy.deepcopy(data))  # validates token shapes
    assert auth.locale is not None and auth.locale.country_code == "de"
    assert auth.available_auth_modes[0] == "signing"
    assert base64.b64decode(data["adp_token"].split("{enc:")[1].split("}")[0])
