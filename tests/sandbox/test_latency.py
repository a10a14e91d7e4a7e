"""The fixture's ``latency_ms``: a fake answers late without holding up the others (an asyncio sleep)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from bookrelay.sandbox.server import answer_delays, build_sandbox
from tests.sync.harness import HC_TOKEN, World

DELAY_MS = 400


async def test_a_delayed_fake_answers_late_while_the_others_answer_meanwhile() -> None:
    sandbox = build_sandbox({**World().fixture(), "latency_ms": {"hardcover": DELAY_MS}})
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        began = time.monotonic()
        slow = asyncio.create_task(
            client.post(
                "/hardcover/v1/graphql",
                json={"query": "query { me { id } }"},
                headers={"Authorization": f"Bearer {HC_TOKEN}"},
            )
        )
        quick = await client.get("/abs/ping")
        assert quick.status_code == 200
        assert not slow.done()  # Audiobookshelf answered while Hardcover was still waiting
        answer = await slow
        assert answer.status_code == 200 and answer.json()["data"]["me"]
        assert time.monotonic() - began >= DELAY_MS / 1000
    assert sandbox.hardcover.stats()["requests"] == 1


def test_latency_names_known_fakes_and_takes_milliseconds() -> None:
    assert answer_delays({"latency_ms": {"hardcover": 150, "audiobookshelf": 30}}) == {
        "hardcover": 0.15,
        "audiobookshelf": 0.03,
    }
    assert answer_delays({}) == {}
    with pytest.raises(ValueError, match=r"latency_ms\.goodreads: unknown fake"):
        answer_delays({"latency_ms": {"goodreads": 10}})
    with pytest.raises(ValueError, match=r"latency_ms\.hardcover: a number of milliseconds"):
        answer_delays({"latency_ms": {"hardcover": -1}})
