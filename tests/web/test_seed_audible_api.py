"""Seed 004 (the Audible auto-tracker): its HTTP names and filters on bookrelay's API."""

from __future__ import annotations

from typing import Any

import pytest

from bookrelay.errors import AuthError
from bookrelay.store.models import ConflictStatus, RunStatus
from bookrelay.sync import audible_auth
from tests.web.conftest import API_KEY, CANDIDATES, Web


async def test_runs_filter_by_status_failed(web: Web) -> None:
    ok = web.store.runs.start("alice", "progress")
    web.store.runs.finish(ok.id, RunStatus.OK, {"written": 1}, units=1)
    bad = web.store.runs.start("alice", "progress")
    web.store.runs.finish(bad.id, RunStatus.FAILED, None, units=0, error="Hardcover refused the token")

    failed = await web.client.get("/api/v1/runs", params={"status": "failed"}, headers=web.key)
    assert failed.status_code == 200
    assert [r["id"] for r in failed.json()] == [bad.id]
    everything = await web.client.get("/api/v1/runs", headers=web.key)
    assert {r["id"] for r in everything.json()} == {ok.id, bad.id}
    wrong = await web.client.get("/api/v1/runs", params={"status": "broken"}, headers=web.key)
    assert wrong.status_code == 422
    assert "status" in wrong.text


def _compat_routes(web: Web) -> list[tuple[str, str]]:
    routes = []
    for path, operations in web.app.openapi()["paths"].items():
        if path.startswith("/api/") and not path.startswith("/api/v1/"):
            filled = path.replace("{conflict_id}", "1")
            routes += [(method.upper(), filled) for method in operations]
    return routes


async def test_S2_the_trackers_routes_are_in_the_openapi_document_and_need_the_key(web: Web) -> None:
    routes = _compat_routes(web)
    assert {path for _, path in routes} >= {
        "/api/audible/auth", "/api/sync", "/api/status", "/api/config", "/api/link",
        "/api/conflicts/1/resolve", "/api/health",
    }  # fmt: skip
    for method, path in routes:
        if path == "/api/health":
            continue
        answer = await web.client.request(method, path, json={})
        assert answer.status_code == 401, (method, path)
    assert (await web.client.get("/api/health")).json() == {"status": "ok", "detail": None}
    secret = {"X-API-Secret": API_KEY}  # the tracker's header name
    assert (await web.client.get("/api/status", headers=secret)).status_code == 200
    assert web.runner.calls == []


async def test_sync_with_an_empty_body_starts_every_user_and_status_shows_them(web: Web) -> None:
    answer = await web.client.post("/api/sync", json={}, headers=web.key)
    assert answer.status_code == 202
    started = answer.json()
    assert [s["user_id"] for s in started] == ["alice", "bob"]
    assert all(s["run_id"] for s in started)
    await web.app.state.web.launcher.wait_idle()
    assert sorted(c[:2] for c in web.runner.calls) == [("alice", "progress"), ("bob", "progress")]
    one = await web.client.post("/api/sync", json={"user_id": "bob"}, headers=web.key)
    assert [s["user_id"] for s in one.json()] == ["bob"]
    await web.app.state.web.launcher.wait_idle()
    status = await web.client.get("/api/status", headers=web.key)
    users = {u["user_id"]: u for u in status.json()["users"]}
    assert set(users) == {"alice", "bob"}
    assert users["bob"]["jobs"][0]["last_run"]["id"] == one.json()[0]["run_id"]


async def test_link_pins_an_audible_title_by_asin_after_hardcover_confirms_the_book(web: Web) -> None:
    answer = await web.client.post(
        "/api/link", json={"asin": "B002V1OF70", "book_id": 101, "user_id": "alice"}, headers=web.key
    )
    assert answer.status_code == 200, answer.text
    link = web.store.links.get("alice", "audible", "B002V1OF70")
    assert link is not None and link.hardcover_book_id == 101 and link.pinned
    unknown = await web.client.post(
        "/api/link", json={"asin": "B000000000", "book_id": 999, "user_id": "alice"}, headers=web.key
    )
    assert unknown.status_code == 404
    several = await web.client.post("/api/link", json={"asin": "B1", "book_id": 101}, headers=web.key)
    assert several.status_code == 422 and "body.user_id" in several.text


async def test_conflict_resolve_with_book_id_or_create_new(web: Web) -> None:
    conflict = web.store.conflicts.open("alice", "audible", "B002V1OF70", "Dune", "M4", CANDIDATES)
    create = await web.client.post(
        f"/api/conflicts/{conflict.id}/resolve",
        json={"create_new": True, "book_data": {"title": "Dune"}},
        headers=web.key,
    )
    assert create.status_code == 501
    assert "hardcover.app" in create.json()["message"] and "book_id" in create.json()["message"]
    assert web.store.conflicts.get(conflict.id).status is ConflictStatus.OPEN  # nothing settled
    settled = await web.client.post(
        f"/api/conflicts/{conflict.id}/resolve", json={"book_id": 101}, headers=web.key
    )
    assert settled.status_code == 200, settled.text
    assert web.store.conflicts.get(conflict.id).status is ConflictStatus.RESOLVED


async def test_config_is_shown_masked_and_a_put_without_a_file_says_so(web: Web) -> None:
    shown = await web.client.get("/api/config", headers=web.key)
    assert shown.status_code == 200
    assert API_KEY not in shown.text and "***" in shown.text
    put = await web.client.put("/api/config", json={"sync_interval": 30}, headers=web.key)
    # An app built from a Config alone has no file to write (PUT /api/config: test_compat_config_put.py).
    assert put.status_code == 409 and "configuration file" in put.json()["message"]


async def test_audible_auth_asks_for_the_one_time_code_then_stores_the_login(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str | None] = []

    def amazon(email: str, password: str, locale: str, **callbacks: Any) -> dict[str, Any]:
        # Amazon's side as the audible package presents it: it asks the OTP callback for a code.
        code = callbacks["otp_cb"]()
        attempts.append(code)
        if code != "123456":
            raise AuthError("wrong code", service="audible")
        return {"locale_code": locale, "email": email}

    saved: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(audible_auth.login, "login_with_password", amazon)
    monkeypatch.setattr(audible_auth, "save_auth", lambda store, user, data: saved.append((user, data)))
    body = {"email": "a@example.com", "password": "pw-1", "country_code": "de", "user_id": "alice"}
    first = await web.client.post("/api/audible/auth", json=body, headers=web.key)
    assert first.status_code == 428 and first.json()["needs"] == "otp"
    assert saved == [] and attempts == []
    second = await web.client.post("/api/audible/auth", json={**body, "otp": "123 456"}, headers=web.key)
    assert second.status_code == 200, second.text
    assert second.json() == {"user_id": "alice", "country_code": "de", "status": "authenticated"}
    assert saved == [("alice", {"locale_code": "de", "email": "a@example.com"})]
    assert "pw-1" not in first.text + second.text
