"""Every route of the HTTP API through an httpx client bound to the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx

from bookrelay.matching.outcome import MatchOutcome
from bookrelay.store.models import ConflictStatus, RunStatus, WantedState
from bookrelay.store.repositories import BookFacts, ItemFacts
from bookrelay.web import create_app
from tests.web.conftest import (
    API_KEY,
    CANDIDATES,
    HC_TOKEN,
    NOW,
    PASSWORD,
    StandInRunner,
    StandInScheduler,
    Web,
    web_config,
)

PATH_VALUES = {"run_id": "1", "conflict_id": "1", "user_id": "alice", "service": "hardcover", "name": "token"}


def _api_routes(web: Web) -> list[tuple[str, str]]:
    # The OpenAPI document lists every API route (the pages are left out of it).
    routes = []
    for path, operations in web.app.openapi()["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        filled = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)
        routes += [(method.upper(), filled) for method in operations]
    return routes


async def test_S2_every_api_route_answers_401_without_a_key(web: Web) -> None:
    routes = _api_routes(web)
    assert len(routes) >= 20
    for method, path in routes:
        for headers in ({}, {"X-Api-Key": "wrong"}, {"X-Api-Key": ""}):
            answer = await web.client.request(method, path, headers=headers, params={"user_id": "alice"})
            assert answer.status_code == 401, (method, path, headers)
            assert answer.json()["error"] == "Unauthorized"
    assert web.runner.calls == []


async def test_S2_the_seeds_header_name_works_too(web: Web) -> None:
    answer = await web.client.get("/api/v1/runs", headers={"X-API-Secret": API_KEY})
    assert answer.status_code == 200


async def test_S2_without_a_configured_key_the_api_is_closed(store) -> None:  # type: ignore[no-untyped-def]
    app = create_app(web_config(api_key=None), store, runner=StandInRunner(store))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/api/v1/runs", headers={"X-Api-Key": ""})).status_code == 401
        assert (await client.get("/api/v1/runs", headers={"X-Api-Key": PASSWORD})).status_code == 401


async def test_health_needs_no_key_and_readiness_checks_the_store(web: Web, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert (await web.client.get("/healthz")).json()["status"] == "ok"
    assert (await web.client.get("/readyz")).status_code == 200

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is gone")

    monkeypatch.setattr(web.store.runs, "recent", broken)
    answer = await web.client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "detail": "the store cannot be read"}


async def test_trigger_answers_202_with_the_run_id_and_the_run_shows_its_events(web: Web) -> None:
    answer = await web.client.post(
        "/api/v1/runs", json={"user_id": "alice", "job": "progress"}, headers=web.key
    )
    assert answer.status_code == 202
    run_id = answer.json()["run_id"]
    await web.app.state.web.launcher.wait_idle()
    assert web.runner.calls == [("alice", "progress", False)]

    shown = (await web.client.get(f"/api/v1/runs/{run_id}", headers=web.key)).json()
    assert shown["id"] == run_id and shown["status"] == "ok" and shown["hardcover_units"] == 3
    assert [(e["kind"], e["item"]) for e in shown["events"]] == [("written", "item-1")]

    listed = (await web.client.get("/api/v1/runs", params={"user_id": "alice"}, headers=web.key)).json()
    assert [r["id"] for r in listed] == [run_id]
    assert (await web.client.get("/api/v1/runs", params={"user_id": "bob"}, headers=web.key)).json() == []
    assert (await web.client.get("/api/v1/runs/999999", headers=web.key)).status_code == 404


async def test_trigger_for_an_unknown_user_is_404_naming_the_field_and_runs_nothing(web: Web) -> None:
    answer = await web.client.post("/api/v1/runs", json={"user_id": "mallory"}, headers=web.key)
    assert answer.status_code == 404 and answer.json()["error"] == "NotFound"
    assert answer.json()["message"] == "body.user_id: no user 'mallory' in the configuration"
    bad = await web.client.post("/api/v1/runs", json={"user_id": "alice", "job": "nap"}, headers=web.key)
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "body.job"
    assert web.runner.calls == [] and web.store.runs.recent(5) == []


async def test_runs_of_one_user_never_overlap_a_second_trigger_is_409(web: Web) -> None:
    release = asyncio.Event()
    started: list[int] = []

    async def slow(user_id: str, job: str, *, dry_run: bool = False) -> int:
        run = web.store.runs.start(user_id, job, dry_run=dry_run)
        started.append(run.id)
        await release.wait()
        web.store.runs.finish(run.id, RunStatus.OK)
        return run.id

    web.app.state.web.launcher._runner = slow
    first = await web.client.post("/api/v1/runs", json={"user_id": "alice"}, headers=web.key)
    assert first.status_code == 202 and first.json()["run_id"] == started[0]
    second = await web.client.post("/api/v1/runs", json={"user_id": "alice"}, headers=web.key)
    assert second.status_code == 409 and second.json()["error"] == "RunInProgress"
    other = await web.client.post("/api/v1/runs", json={"user_id": "bob", "dry_run": True}, headers=web.key)
    assert other.status_code == 202
    release.set()
    await web.app.state.web.launcher.wait_idle()
    assert len(started) == 2
    again = await web.client.post("/api/v1/runs", json={"user_id": "alice"}, headers=web.key)
    assert again.status_code == 202


async def test_a_scheduler_takes_the_trigger_and_gives_the_next_run(store) -> None:  # type: ignore[no-untyped-def]
    runner = StandInRunner(store)
    scheduler = StandInScheduler(runner)
    app = create_app(web_config(), store, runner=runner, scheduler=scheduler)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        key = {"X-Api-Key": API_KEY}
        answer = await client.post("/api/v1/runs", json={"user_id": "bob", "dry_run": True}, headers=key)
        assert answer.status_code == 202
        assert scheduler.triggered == [("bob", "progress", True)]
        status = (await client.get("/api/v1/users/bob/status", headers=key)).json()
    (job,) = status["jobs"]
    assert job["next_run"] == "2026-11-21T03:00:00Z"
    assert job["last_run"]["id"] == answer.json()["run_id"] and job["last_run"]["dry_run"] is True


async def test_status_counts_units_left_today_and_what_is_being_read(web: Web) -> None:
    store = web.store
    web.clock.advance(timedelta(hours=-13))  # yesterday, 23:00 UTC
    yesterday = store.runs.start("alice", "progress")
    store.runs.finish(yesterday.id, RunStatus.OK, units=900)
    web.clock.advance(timedelta(hours=13))
    today = store.runs.start("alice", "progress")
    store.runs.finish(today.id, RunStatus.OK, units=40)
    store.links.upsert("alice", "abs", "item-1", status=MatchOutcome.LINKED, hardcover_book_id=101)
    store.links.upsert("alice", "abs", "item-2", status=MatchOutcome.UNMATCHED)
    store.links.upsert("alice", "abs", "item-3", status=MatchOutcome.LINKED)
    store.conflicts.open("alice", "abs", "item-4", "Dune", "M4: two close candidates", CANDIDATES)
    store.wanted.record("alice", 55, WantedState.ADDED, title="Hyperion")
    store.history.record("alice", "abs", "item-1", 0.4, seconds=30_000, observed_at=NOW - timedelta(hours=2))
    store.history.record(
        "alice", "abs", "item-3", 1.0, is_finished=True, observed_at=NOW - timedelta(hours=1)
    )

    status = (await web.client.get("/api/v1/users/alice/status", headers=web.key)).json()
    assert status["links"] == {"linked": 2, "unmatched": 1}
    assert status["open_conflicts"] == 1
    assert status["wanted"] == {"added": 1}
    assert status["hardcover_units_today"] == 40  # yesterday's 900 are not counted
    assert status["hardcover_units_left_today"] == 5000 - 40
    assert [(r["source_item_id"], r["progress"]) for r in status["currently_reading"]] == [("item-1", 0.4)]
    assert status["jobs"][0]["next_run"] is None
    unknown = await web.client.get("/api/v1/users/nobody/status", headers=web.key)
    assert unknown.status_code == 404 and unknown.json()["message"] == "user_id: no user 'nobody'"


async def test_history_and_statistics_per_user(web: Web) -> None:
    store = web.store
    for i, (progress, finished) in enumerate([(0.2, False), (0.6, False), (1.0, True)]):
        store.history.record(
            "alice",
            "abs",
            "item-1",
            progress,
            seconds=progress * 36_000,
            is_finished=finished,
            observed_at=NOW - timedelta(days=3 - i),
            written=True,
        )
    ok = store.runs.start("alice", "progress")
    store.runs.finish(ok.id, RunStatus.OK, {"written": 2}, units=5)
    failed = store.runs.start("alice", "progress")
    store.runs.finish(failed.id, RunStatus.FAILED, error="Hardcover said 401")

    history = (await web.client.get("/api/v1/users/alice/history", headers=web.key)).json()
    assert [h["progress"] for h in history] == [1.0, 0.6, 0.2]
    stats = (await web.client.get("/api/v1/users/alice/statistics", headers=web.key)).json()
    assert (stats["runs"], stats["failed_runs"], stats["items_written"], stats["books_finished"]) == (
        2,
        1,
        2,
        1,
    )
    assert stats["finished_per_month"] == [{"period": f"{NOW - timedelta(days=1):%Y-%m}", "value": 1.0}]
    assert [p["value"] for p in stats["hours_listened"]] == [2.0, 6.0, 10.0]
    assert stats["units_per_day"] == [{"period": f"{NOW:%Y-%m-%d}", "value": 5.0}]
    assert (await web.client.get("/api/v1/users/bob/statistics", headers=web.key)).json()["runs"] == 0


async def test_statistics_do_not_count_what_a_dry_run_would_have_written(web: Web) -> None:
    store = web.store
    real = store.runs.start("alice", "progress")
    store.runs.finish(real.id, RunStatus.OK, {"written": 3, "dry_run": False}, units=5)
    dry = store.runs.start("alice", "progress", dry_run=True)
    store.runs.finish(dry.id, RunStatus.OK, {"written": 27, "dry_run": True}, units=2)
    stats = (await web.client.get("/api/v1/users/alice/statistics", headers=web.key)).json()
    assert (stats["runs"], stats["items_written"]) == (2, 3)


async def test_books_finished_per_month_counts_finishes_written_to_hardcover(web: Web) -> None:
    """A finish a source reported but the sync did not write (held, dry run) is not a book finished."""
    for item, written in (("item-written", True), ("item-held", False)):
        web.store.history.record(
            "alice", "abs", item, 1.0, is_finished=True, observed_at=NOW - timedelta(days=1), written=written
        )
    stats = (await web.client.get("/api/v1/users/alice/statistics", headers=web.key)).json()
    assert stats["books_finished"] == 1
    assert stats["finished_per_month"] == [{"period": f"{NOW - timedelta(days=1):%Y-%m}", "value": 1.0}]


async def test_users_and_credentials_are_stored_encrypted_and_never_returned(web: Web) -> None:
    secret = "abs-secret-value-123456"
    put = await web.client.put(
        "/api/v1/users/alice/credentials/audiobookshelf/api_key", json={"value": secret}, headers=web.key
    )
    assert put.status_code == 204
    assert web.store.credentials.get("alice", "audiobookshelf", "api_key") == secret
    replaced = await web.client.put(
        "/api/v1/users/alice/credentials/audiobookshelf/api_key",
        json={"value": secret + "-2"},
        headers=web.key,
    )
    assert replaced.status_code == 204
    assert web.store.credentials.get("alice", "audiobookshelf", "api_key") == secret + "-2"

    listed = await web.client.get("/api/v1/users/alice/credentials", headers=web.key)
    assert listed.json() == [{"service": "audiobookshelf", "name": "api_key"}]
    users = await web.client.get("/api/v1/users", headers=web.key)
    assert secret not in users.text and [u["id"] for u in users.json()] == ["alice", "bob"]

    added = await web.client.post("/api/v1/users", json={"id": "carol"}, headers=web.key)
    assert added.status_code == 201 and added.json() == {
        "id": "carol",
        "configured": False,
        "credentials": [],
    }
    assert "carol" in [u.id for u in web.store.users.list()]

    gone = await web.client.delete("/api/v1/users/alice/credentials/audiobookshelf/api_key", headers=web.key)
    assert gone.status_code == 204
    assert web.store.credentials.get("alice", "audiobookshelf", "api_key") is None
    again = await web.client.delete("/api/v1/users/alice/credentials/audiobookshelf/api_key", headers=web.key)
    assert again.status_code == 404


async def test_S3_bad_credential_payloads_are_422_and_change_nothing(web: Web) -> None:
    for path, body in [
        ("/api/v1/users/alice/credentials/gmail/token", {"value": "x"}),
        ("/api/v1/users/alice/credentials/hardcover/token", {"value": ""}),
        ("/api/v1/users/alice/credentials/hardcover/token", {"secret": "x"}),
    ]:
        answer = await web.client.put(path, json=body, headers=web.key)
        assert answer.status_code == 422, path
        assert answer.json()["details"][0]["field"]
    unknown = await web.client.put(
        "/api/v1/users/nobody/credentials/hardcover/token", json={"value": "x"}, headers=web.key
    )
    assert unknown.status_code == 404 and "no user 'nobody'" in unknown.json()["message"]
    assert web.store.credentials.names("alice") == [] and web.store.credentials.names("nobody") == []


async def test_conflict_show_has_candidates_with_score_parts_and_book_details(web: Web) -> None:
    conflict = web.store.conflicts.open(
        "alice", "abs", "item-9", "Dune", "M4: two close candidates", CANDIDATES
    )
    listed = (await web.client.get("/api/v1/conflicts", headers=web.key)).json()
    assert [(c["id"], c["candidate_count"]) for c in listed] == [(conflict.id, 2)]

    shown = (await web.client.get(f"/api/v1/conflicts/{conflict.id}", headers=web.key)).json()
    first, second = shown["candidates"]
    assert [p["name"] for p in first["parts"]] == ["title", "author", "duration"]
    assert first["parts"][0] == {
        "name": "title",
        "value": 0.9,
        "weight": 0.5,
        "detail": "dune vs dune (book 1)",
    }
    assert first["authors"] == ["Frank Herbert"] and first["image_url"].endswith("dune.jpg")
    assert [(e["id"], e["format"], e["audio_seconds"], e["pages"]) for e in first["editions"]] == [
        (1001, "Audible Audio", 75_600, None),
        (1002, "Paperback", None, 604),
    ]
    assert second["editions"] == [] and shown["details_error"] is None
    assert web.hardcover.fetched == [("alice", (101, 102))]
    await web.client.get(f"/api/v1/conflicts/{conflict.id}", headers=web.key)
    assert len(web.hardcover.fetched) == 1  # cached: no second Hardcover unit


async def test_conflict_details_missing_when_hardcover_fails_still_shows_candidates(web: Web) -> None:
    web.hardcover.fail = True
    conflict = web.store.conflicts.open("alice", "abs", "item-9", "Dune", "M4", CANDIDATES)
    shown = (await web.client.get(f"/api/v1/conflicts/{conflict.id}", headers=web.key)).json()
    assert [c["book_id"] for c in shown["candidates"]] == [101, 102]
    assert "Hardcover is down" in shown["details_error"]


async def test_M1_resolving_a_conflict_pins_the_link_and_a_second_resolve_is_404(web: Web) -> None:
    conflict = web.store.conflicts.open("alice", "abs", "item-9", "Dune", "M4", CANDIDATES)
    bad = await web.client.post(
        f"/api/v1/conflicts/{conflict.id}/resolve", json={"book_id": 2**40}, headers=web.key
    )
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "body.book_id"
    assert web.store.conflicts.get(conflict.id).status == ConflictStatus.OPEN

    answer = await web.client.post(
        f"/api/v1/conflicts/{conflict.id}/resolve", json={"book_id": 101, "edition_id": 1001}, headers=web.key
    )
    assert answer.status_code == 200 and answer.json()["status"] == "resolved"
    link = web.store.links.get("alice", "abs", "item-9")
    assert (
        link is not None
        and link.pinned
        and (link.hardcover_book_id, link.hardcover_edition_id) == (101, 1001)
    )
    again = await web.client.post(
        f"/api/v1/conflicts/{conflict.id}/resolve", json={"book_id": 102}, headers=web.key
    )
    assert again.status_code == 404
    assert web.store.links.get("alice", "abs", "item-9").hardcover_book_id == 101  # type: ignore[union-attr]
    closed = await web.client.get("/api/v1/conflicts", params={"status": "resolved"}, headers=web.key)
    assert [c["id"] for c in closed.json()] == [conflict.id]


async def test_M1_a_pin_or_resolve_hardcover_does_not_confirm_is_refused_and_changes_nothing(
    web: Web,
) -> None:
    conflict = web.store.conflicts.open("alice", "abs", "item-9", "Dune", "M4", CANDIDATES)
    unknown = await web.client.post(
        f"/api/v1/conflicts/{conflict.id}/resolve", json={"book_id": 999}, headers=web.key
    )
    assert unknown.status_code == 404 and "Hardcover has no book 999" in unknown.text
    foreign = await web.client.post(
        f"/api/v1/conflicts/{conflict.id}/resolve", json={"book_id": 102, "edition_id": 1001}, headers=web.key
    )
    assert foreign.status_code == 422
    assert "edition_id: edition 1001 is not an edition of “Dune Messiah” by Frank Herbert" in foreign.text
    pin = await web.client.post(
        "/api/v1/links/pin", json={"user_id": "alice", "item_id": "item-5", "book_id": 999}, headers=web.key
    )
    assert pin.status_code == 404
    assert web.store.conflicts.get(conflict.id).status == ConflictStatus.OPEN
    assert web.store.links.list_for_user("alice") == []


async def test_ignoring_a_conflict_marks_the_item_ignored(web: Web) -> None:
    conflict = web.store.conflicts.open("alice", "abs", "item-9", "Dune", "M4", CANDIDATES)
    answer = await web.client.post(f"/api/v1/conflicts/{conflict.id}/ignore", headers=web.key)
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    assert web.store.links.get("alice", "abs", "item-9").status == MatchOutcome.IGNORED  # type: ignore[union-attr]
    assert (await web.client.post("/api/v1/conflicts/424242/ignore", headers=web.key)).status_code == 404


async def test_links_carry_the_title_authors_and_cover_people_know_them_by(web: Web) -> None:
    web.store.labels.remember("alice", [ItemFacts("abs", "uuid-1", "Dune (Unabridged)", ("Frank Herbert",))])
    web.store.links.pin("alice", "abs", "uuid-1", 101, None)
    web.store.labels.set_book(
        "alice", "abs", "uuid-1", BookFacts(101, "Dune", ("Frank Herbert",), "https://c/d.jpg")
    )
    web.store.links.pin("alice", "abs", "uuid-2", 102, None)  # not met by a sync yet: no label
    listed = (await web.client.get("/api/v1/links", params={"user_id": "alice"}, headers=web.key)).json()
    named = {
        k["source_item_id"]: (k["title"], k["authors"], k["hardcover_title"], k["image_url"]) for k in listed
    }
    assert named == {
        "uuid-1": ("Dune (Unabridged)", ["Frank Herbert"], "Dune", "https://c/d.jpg"),
        "uuid-2": (None, [], None, None),
    }


async def test_M1_links_pin_unpin_toggle_sync_and_search(web: Web) -> None:
    pin = await web.client.post(
        "/api/v1/links/pin", json={"user_id": "alice", "item_id": "item-5", "book_id": 102}, headers=web.key
    )
    assert pin.status_code == 200 and pin.json()["pinned"] is True and pin.json()["method"] == "pin"
    listed = await web.client.get("/api/v1/links", params={"user_id": "alice"}, headers=web.key)
    assert [(k["source_item_id"], k["hardcover_book_id"]) for k in listed.json()] == [("item-5", 102)]
    linked = await web.client.get(
        "/api/v1/links", params={"user_id": "alice", "status": "unmatched"}, headers=web.key
    )
    assert linked.json() == []

    off = await web.client.post(
        "/api/v1/links/sync",
        json={"user_id": "alice", "item_id": "item-5", "enabled": False},
        headers=web.key,
    )
    assert off.json()["sync_enabled"] is False
    assert web.store.links.get("alice", "abs", "item-5").sync_enabled is False  # type: ignore[union-attr]

    unpin = await web.client.post(
        "/api/v1/links/unpin", json={"user_id": "alice", "item_id": "item-5"}, headers=web.key
    )
    assert unpin.json()["pinned"] is False
    missing = await web.client.post(
        "/api/v1/links/unpin", json={"user_id": "alice", "item_id": "nope"}, headers=web.key
    )
    assert missing.status_code == 404

    hits = await web.client.get(
        "/api/v1/links/search", params={"user_id": "alice", "q": " messiah "}, headers=web.key
    )
    assert [(h["book_id"], h["title"]) for h in hits.json()] == [(102, "Dune Messiah")]
    assert web.hardcover.searches == [("alice", "messiah")]


async def test_S3_bad_link_payloads_are_422_naming_the_field_and_change_nothing(web: Web) -> None:
    cases = [
        ({"user_id": "alice", "item_id": "x", "book_id": 0}, "body.book_id"),
        ({"user_id": "alice", "item_id": "x\x00y", "book_id": 1}, "body.item_id"),
        ({"user_id": "alice", "item_id": "x", "book_id": 1, "source": "kindle"}, "body.source"),
        ({"user_id": "alice", "book_id": 1}, "body.item_id"),
    ]
    for body, field in cases:
        answer = await web.client.post("/api/v1/links/pin", json=body, headers=web.key)
        assert answer.status_code == 422, body
        assert field in [d["field"] for d in answer.json()["details"]], answer.json()
    stranger = {"user_id": "mallory", "item_id": "x", "book_id": 1}
    unknown = await web.client.post("/api/v1/links/pin", json=stranger, headers=web.key)
    assert unknown.status_code == 404 and unknown.json()["message"] == "body.user_id: no user 'mallory'"
    blank = await web.client.get(
        "/api/v1/links/search", params={"user_id": "alice", "q": "   "}, headers=web.key
    )
    assert blank.status_code == 422
    assert web.store.links.list_for_user("alice") == [] and web.hardcover.searches == []


async def test_search_failure_maps_through_the_error_tree(web: Web) -> None:
    web.hardcover.fail = True
    answer = await web.client.get(
        "/api/v1/links/search", params={"user_id": "alice", "q": "dune"}, headers=web.key
    )
    assert answer.status_code == 503 and answer.json()["error"] == "ServiceUnavailable"


async def test_S1_config_is_shown_with_secrets_redacted(web: Web) -> None:
    answer = await web.client.get("/api/v1/config", headers=web.key)
    assert answer.status_code == 200
    body = answer.json()
    assert body["global"]["server"]["api_key"] == "***"
    assert body["users"][0]["hardcover"]["token"] == "***"
    for secret in (API_KEY, PASSWORD, HC_TOKEN):
        assert secret not in answer.text


async def test_wanted_ledger_per_user(web: Web) -> None:
    web.store.wanted.record("alice", 7, WantedState.ADDED, title="Hyperion", bookshelf_book_id=3)
    web.store.wanted.mark_failed("alice", 8, "metadata server down", title="Endymion")
    rows = (await web.client.get("/api/v1/users/alice/wanted", headers=web.key)).json()
    assert [(r["hardcover_book_id"], r["state"], r["attempts"]) for r in rows] == [
        (7, "added", 0),
        (8, "failed", 1),
    ]


async def test_openapi_document_describes_the_api_and_its_key(web: Web) -> None:
    document = (await web.client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/conflicts/{conflict_id}/resolve" in document["paths"]
    schemes = document["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == {"X-Api-Key", "X-API-Secret"}
    assert "401" in document["paths"]["/api/v1/runs"]["get"]["responses"]
    assert not any(path.startswith("/conflicts") for path in document["paths"])  # pages are not API


async def test_metrics_app_is_served_at_metrics_without_a_redirect(store) -> None:  # type: ignore[no-untyped-def]
    async def metrics(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"bookrelay_runs_total 3\n"})

    app = create_app(web_config(), store, runner=StandInRunner(store), metrics_app=metrics)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.get("/metrics", headers={"X-Api-Key": API_KEY})  # S2: not open
    assert answer.status_code == 200 and answer.text == "bookrelay_runs_total 3\n"
