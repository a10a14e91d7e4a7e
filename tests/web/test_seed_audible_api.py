"""Seed 004 (the Audible auto-tracker): its HTTP names and filters on bookrelay's API."""

from __future__ import annotations

from bookrelay.store.models import RunStatus
from tests.web.conftest import Web


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
