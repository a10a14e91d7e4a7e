"""N1 pacing under a round trip: the client keeps to the rate Hardcover allows, neither over (429s) nor
well under it, when each answer takes time to come back.

The real client talks to the sandbox fake through ``httpx.ASGITransport``; one fake clock drives both,
and a transport wrapper moves it by half the round trip before the server counts the request and by the
other half before the client reads the answer, as a network would. Nothing sleeps for real.
"""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from bookrelay.connectors.hardcover import HardcoverApi, HardcoverSession
from bookrelay.sandbox.hardcover import HardcoverState, build_hardcover_app

TOKEN = "hc_pat_pacing_0001"


class Clock:
    """Seconds that move only when the client sleeps or the network takes time."""

    def __init__(self) -> None:
        self.now = 1_795_690_000.0

    def __call__(self) -> float:
        return self.now


class SlowNetwork(httpx.AsyncBaseTransport):
    """Wraps a transport: ``rtt / 2`` passes before the server sees a request and again after it answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: Clock, rtt: float) -> None:
        self.inner, self.clock, self.rtt = inner, clock, rtt

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.clock.now += self.rtt / 2
        response = await self.inner.handle_async_request(request)
        self.clock.now += self.rtt / 2
        return response


def _section(per_minute: int, burst: int) -> dict[str, Any]:
    return {
        "limits": {"per_minute": per_minute, "burst": burst, "daily": 100_000, "max_top_level": 5},
        "users": [{"id": 1, "username": "pacer", "name": "Pacer", "token": TOKEN, "scopes": ["all"]}],
        "books": [],
        "editions": [],
    }


async def _paced_rate(per_minute: int, burst: int, rtt: float, requests: int) -> tuple[float, HardcoverState]:
    """Send ``requests`` one-unit reads one after another; the units a second after the burst was spent."""
    clock = Clock()
    state = HardcoverState.from_fixture(_section(per_minute, burst), clock=clock)
    transport = SlowNetwork(httpx.ASGITransport(app=build_hardcover_app(state)), clock, rtt)

    async def sleep(seconds: float) -> None:
        clock.now += seconds

    async with httpx.AsyncClient(transport=transport) as http:
        session = HardcoverSession(
            http,
            TOKEN,
            url="http://hardcover.test/v1/graphql",
            per_minute=per_minute,
            burst=burst,
            clock=clock,
            sleep=sleep,
            rng=random.Random(1),
        )
        api = HardcoverApi(session)
        finished: list[float] = []
        for _ in range(requests):
            await api.me()
            finished.append(clock.now)
    paced = finished[burst - 1 :]  # from the answer that used up the burst to the last one
    return (len(paced) - 1) / (paced[-1] - paced[0]), state


@pytest.mark.parametrize(
    ("per_minute", "burst", "rtt"),
    [(60, 10, 0.3), (60, 10, 0.9), (600, 100, 0.03), (600, 100, 0.08)],
)
async def test_N1_sequential_requests_keep_the_allowed_rate_despite_the_round_trip(
    per_minute: int, burst: int, rtt: float
) -> None:
    # The rate-limit header's whole-unit "remaining" and the refill during the round trip are no reason
    # to slow down: while the round trip is shorter than one unit's refill, the client must reach the rate.
    rate, state = await _paced_rate(per_minute, burst, rtt, requests=burst + 120)
    assert rate >= 0.97 * per_minute / 60
    assert state.stats()["rate_limited"] == 0  # … and never faster than the server allows


async def test_N1_a_round_trip_longer_than_a_refill_is_the_limit_not_the_bucket() -> None:
    rate, state = await _paced_rate(60, 10, rtt=2.0, requests=40)
    assert rate == pytest.approx(1 / 2.0)  # one request per round trip: nothing waits in the bucket
    assert state.stats()["rate_limited"] == 0
