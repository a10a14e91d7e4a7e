"""Queue depth and the oldest waiting run on the status API, and the in-process answer."""

from __future__ import annotations

import httpx

from bookrelay import app as composition
from bookrelay.config import Config
from bookrelay.queue.runner import QueuedRunner
from bookrelay.store import Store
from tests.store_fixtures import TEST_KEY

API_KEY = "queue-test-api-key-0123456789"


def config_on(database: str, queue: str) -> Config:
    return Config.model_validate(
        {
            "global": {"database": database, "queue": queue, "server": {"api_key": API_KEY}},
            "users": [
                {"id": "alice", "hardcover": {"token": "hc_pat_alice"}},
                {"id": "bob", "hardcover": {"token": "hc_pat_bob"}},
            ],
        }
    )


async def get_queue(config: Config, store: Store) -> httpx.Response:
    app = composition.build_web_app(config, store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        unauthenticated = await client.get("/api/v1/queue")
        assert unauthenticated.status_code == 401  # S2
        return await client.get("/api/v1/queue", headers={"X-Api-Key": API_KEY})


async def test_queue_depth_and_oldest_waiting_run_are_on_the_status_api(queue_db_url: str) -> None:
    config = config_on(queue_db_url, "postgres")
    store = Store.open(queue_db_url, secret_key=TEST_KEY)
    try:
        runner = composition.service_runner(config, store)
        assert isinstance(runner, QueuedRunner)
        await runner("alice", "progress")
        await runner("bob", "progress")
        await runner("bob", "progress", dry_run=True)
        await runner.aclose()
        answer = (await get_queue(config, store)).json()
    finally:
        store.close()
    assert answer["mode"] == "postgres"
    assert (answer["waiting"], answer["running"], answer["scheduled"], answer["failed"]) == (3, 0, 0, 0)
    assert answer["oldest_waiting_since"] is not None and answer["oldest_waiting_seconds"] >= 0


async def test_without_a_queue_the_status_api_says_inprocess(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = config_on(url, "inprocess")
    store = Store.open(url, secret_key=TEST_KEY)
    try:
        answer = (await get_queue(config, store)).json()
    finally:
        store.close()
    assert answer == {
        "mode": "inprocess",
        "waiting": None,
        "running": None,
        "scheduled": None,
        "failed": None,
        "oldest_waiting_since": None,
        "oldest_waiting_seconds": None,
    }
