"""A run shows "queued" while it waits (for a worker on the PostgreSQL queue, or in-process behind the
user's earlier run) and "running" only once it has started; the API and the run page say so."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bookrelay import app as composition
from bookrelay.config import Config
from bookrelay.sandbox.server import build_sandbox
from bookrelay.service.runner import JobRunner
from bookrelay.service.scheduler import SchedulerService
from bookrelay.store import Store
from bookrelay.store.models import RunStatus
from bookrelay.sync.runs import RunContext
from tests.queue.test_queued_jobs import WORKER, forget_gate, queued_config, reading_world
from tests.service.stand_in_jobs import StandInJob
from tests.store_fixtures import TEST_KEY

API_KEY = "queued-state-api-key-0123456789"


def with_api_key(config: Config) -> Config:
    server = config.global_.server.model_copy(update={"api_key": SecretStr(API_KEY)})
    return config.model_copy(update={"global_": config.global_.model_copy(update={"server": server})})


@pytest.fixture
async def pg_store(queue_db_url: str) -> AsyncIterator[Store]:
    store = Store.open(queue_db_url, secret_key=TEST_KEY)
    try:
        yield store
    finally:
        store.close()
        forget_gate(store)


async def test_a_run_triggered_through_the_api_is_queued_until_a_worker_starts_it(
    queue_db_url: str, pg_store: Store
) -> None:
    world, _, _ = reading_world()
    config = with_api_key(queued_config(world.config(), queue_db_url))
    sandbox = build_sandbox(world.fixture())
    runner = composition.service_runner(config, pg_store)  # as `bookrelay serve` wires it
    scheduler = composition.build_service_scheduler(config, runner)
    app = composition.build_web_app(config, pg_store, runner=runner, scheduler=scheduler)
    key = {"X-Api-Key": API_KEY}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.post("/api/v1/runs", json={"user_id": "alice", "job": "progress"}, headers=key)
        assert answer.status_code == 202
        run_id = answer.json()["run_id"]
        await scheduler.wait_idle()  # the run is deferred: it is in the queue, no worker has it yet
        await composition.close_runner(runner)

        shown = (await client.get(f"/api/v1/runs/{run_id}", headers=key)).json()
        assert shown["status"] == "queued" and shown["finished_at"] is None
        listed = (await client.get("/api/v1/runs", params={"user_id": "alice"}, headers=key)).json()
        assert [(r["id"], r["status"]) for r in listed] == [(run_id, "queued")]
        page = await signed_in_page(client, f"/runs/{run_id}")
        assert re.search(r'class="status queued">queued<', page), "the run page does not say queued"

        transport = httpx.ASGITransport(app=sandbox.app)
        await composition.work_queue(config, pg_store, WORKER, transport=transport)

        done = (await client.get(f"/api/v1/runs/{run_id}", headers=key)).json()
        assert done["status"] == "ok", done["error"]
        waits = [e for e in done["events"] if e["kind"] == "queued"]
        assert len(waits) == 1 and "in the queue" in waits[0]["message"]


async def signed_in_page(client: httpx.AsyncClient, path: str) -> str:
    """The HTML of ``path`` after signing in with the API key."""
    login = (await client.get("/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token is not None
    answer = await client.post("/login", data={"secret": API_KEY, "csrf_token": token.group(1), "next": path})
    assert answer.status_code == 303
    page = await client.get(path)
    assert page.status_code == 200
    return page.text


async def test_in_process_a_second_run_of_a_user_is_queued_behind_the_first(store: Store) -> None:
    # Without the PostgreSQL queue the scheduler queues runs itself: the second waits for the user's lock.
    begun, release = asyncio.Event(), asyncio.Event()

    async def body(user_id: str, context: RunContext) -> None:
        begun.set()
        await release.wait()

    scheduler = SchedulerService([], JobRunner(store, [StandInJob("progress", body=body)]))
    first = scheduler.trigger("alice", "progress")
    second = scheduler.trigger("alice", "progress")
    assert store.runs.get_with_events(first)[0].status is RunStatus.QUEUED  # nothing has started yet
    await asyncio.wait_for(begun.wait(), timeout=10)
    assert store.runs.get_with_events(first)[0].status is RunStatus.RUNNING
    assert store.runs.get_with_events(second)[0].status is RunStatus.QUEUED
    release.set()
    await asyncio.wait_for(scheduler.wait_idle(), timeout=10)
    assert [store.runs.get_with_events(r)[0].status for r in (first, second)] == [RunStatus.OK] * 2
