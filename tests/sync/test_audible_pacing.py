"""Audible's pace: at most ``requests_per_minute`` (10, the Audible auto-tracker's pace) in any 60 s,
besides the interval between syncs and the daily cap."""

from __future__ import annotations

from pathlib import Path

import httpx

from bookrelay.config import Config, check_config
from bookrelay.sync.audible_source import MeteredTransport


class Clock:
    """A hand-moved monotonic clock whose sleep moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_no_minute_sees_more_than_ten_audible_requests() -> None:
    clock = Clock()
    sent: list[float] = []
    taken: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now)
        return httpx.Response(200, json={"items": []})

    per_minute = Config.model_validate({"users": []}).global_.audible.requests_per_minute
    assert per_minute == 10
    transport = MeteredTransport(
        httpx.MockTransport(answer),
        lambda: taken.append(1),
        per_minute=per_minute,
        clock=clock,
        sleep=clock.sleep,
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://audible.test") as client:
        for _ in range(25):
            await client.get("/1.0/library")
            clock.now += 0.5  # Audible answers in half a second
    assert len(sent) == len(taken) == 25
    for i, start in enumerate(sent):
        in_window = [t for t in sent[i:] if t < start + 60]
        assert len(in_window) <= per_minute, (i, in_window)
    # Paced, not stalled: the 25 requests fit in a little over two minutes.
    assert sent[-1] - sent[0] <= 2 * 60 + 5
    assert clock.slept and all(s > 0 for s in clock.slept)


def test_requests_per_minute_is_bounded_and_named(tmp_path: Path) -> None:
    path = tmp_path / "bookrelay.yaml"
    path.write_text(
        "global:\n  audible: {requests_per_minute: 0}\nusers:\n  - {id: a, hardcover: {token: t}}\n",
        encoding="utf-8",
    )
    problems = check_config(path, env={})
    assert [(p.key, p.line) for p in problems] == [("global.audible.requests_per_minute", 2)]
    config = Config.model_validate({"global": {"audible": {"requests_per_minute": 3}}, "users": []})
    assert config.global_.audible.requests_per_minute == 3
