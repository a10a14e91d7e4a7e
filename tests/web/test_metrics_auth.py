"""S2: /metrics needs the API key like every route but health; Prometheus may send it as a bearer token."""

from __future__ import annotations

import httpx

from bookrelay.service.metrics import metrics_app
from bookrelay.store.facade import Store
from bookrelay.web.factory import create_app
from tests.web.conftest import API_KEY, StandInRunner, web_config


async def test_S2_metrics_require_the_api_key(store: Store) -> None:
    app = create_app(web_config(), store, runner=StandInRunner(store), metrics_app=metrics_app())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b.test") as client:
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/metrics", headers={"X-Api-Key": "wrong"})).status_code == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        by_header = await client.get("/metrics", headers={"X-Api-Key": API_KEY})
        by_bearer = await client.get("/metrics", headers={"Authorization": f"Bearer {API_KEY}"})
        assert (await client.get("/healthz")).status_code == 200
    assert by_header.status_code == 200 and by_bearer.status_code == 200
    assert "bookrelay_" in by_header.text
