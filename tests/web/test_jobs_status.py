"""The status API shows each user the jobs that run for them (jobs follow what is configured)."""

from __future__ import annotations

import httpx

from bookrelay.config import Config
from bookrelay.store.facade import Store
from bookrelay.web import create_app
from tests.web.conftest import API_KEY, HC_TOKEN, StandInRunner


async def test_each_user_status_lists_the_jobs_that_run_for_them(store: Store) -> None:
    config = Config.model_validate(
        {
            "global": {"server": {"api_key": API_KEY}, "bookshelf": {"api_key": "bookshelf-key-1"}},
            "users": [
                {
                    "id": "alice",
                    "hardcover": {"token": HC_TOKEN},
                    "audiobookshelf": {"url": "http://abs:13378", "api_key": "abs-key-2"},
                },
                {"id": "dave", "hardcover": {"token": "hc_pat_dave_token"}},
            ],
        }
    )
    app = create_app(config, store, runner=StandInRunner(store))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        key = {"X-Api-Key": API_KEY}
        alice = (await client.get("/api/v1/users/alice/status", headers=key)).json()
        dave = (await client.get("/api/v1/users/dave/status", headers=key)).json()
    assert [j["job"] for j in alice["jobs"]] == ["progress", "wanted"]
    assert [j["job"] for j in dave["jobs"]] == ["wanted"]  # no Audiobookshelf: no progress job for him
