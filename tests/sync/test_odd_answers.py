"""Rule S3 end to end: an odd value in Hardcover's answers fails at most its own item, never the run.

The sandbox serves the real shapes; a transport between it and the client rewrites some answers the
way a surprising server might (a json column as an object, a length as a string).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from bookrelay.app import run_progress
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.store.facade import Store
from bookrelay.sync.report import ProgressReport
from tests.sync.harness import Runner, World

AUDIO = {"reading_format_id": 2, "edition_format": "Audiobook"}
Tamper = Callable[[Any], None]


class TamperingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and lets ``tamper`` rewrite every Hardcover JSON answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, tamper: Tamper) -> None:
        self.inner, self.tamper = inner, tamper

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if "/hardcover/" not in request.url.path:
            return response
        body = json.loads(await response.aread())
        self.tamper(body)
        return httpx.Response(response.status_code, headers=response.headers, json=body)


def walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    """Call ``visit`` on every object in a JSON tree."""
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            walk(value, visit)


def library(world: World, count: int) -> list[tuple[int, str]]:
    """``count`` books each with an audio edition, and an item listened to 20 % of each."""
    made = []
    for i in range(count):
        asin = f"B0ODD{i:05d}"
        book = world.book(
            f"Odd Title {i}", "Mara Quill", editions=[{**AUDIO, "asin": asin, "audio_seconds": 36_000}]
        )
        item = world.item(f"Odd Title {i}", "Mara Quill", duration=36_000.0, asin=asin)
        world.listen(item, current=7_200.0)
        made.append((book, item))
    return made


async def sync(runner: Runner, tamper: Tamper) -> ProgressReport:
    transport = TamperingTransport(httpx.ASGITransport(app=runner.sandbox.app), tamper)
    (report,) = await run_progress(runner.config, ["alice"], transport=transport, store=runner.store)
    return report


async def test_S3_an_odd_json_column_is_read_as_empty_and_every_item_is_written(store: Store) -> None:
    world = World()
    made = library(world, 5)

    def odd_columns(body: Any) -> None:
        def visit(row: dict[str, Any]) -> None:
            if "alternative_titles" in row:
                row["alternative_titles"] = {}  # the answer that stopped whole runs before
            if "image" in row:
                row["image"] = "https://example.test/cover.jpg"  # a URL where an object was
            if "contributions" in row and row.get("id") == made[0][0]:
                row["contributions"] = "Mara Quill"

        walk(body, visit)

    runner = Runner.start(world, store)
    report = await sync(runner, odd_columns)
    assert report.error is None and report.failed == []
    assert report.written == 5
    assert all(runner.user_book(book) is not None for book, _ in made)
    warned = [n for n in report.notes if "unexpected shape" in n]
    assert len([n for n in warned if "alternative_titles" in n]) == 1  # one warning per field per run
    assert any("image" in n for n in warned)


async def test_S3_a_malformed_length_fails_its_item_only_and_the_next_run_writes_it(store: Store) -> None:
    world = World()
    made = library(world, 6)
    broken_book, broken_item = made[2]

    def odd_length(body: Any) -> None:
        def visit(row: dict[str, Any]) -> None:
            if row.get("book_id") == broken_book and "audio_seconds" in row:
                row["audio_seconds"] = "10 hours"

        walk(body, visit)

    runner = Runner.start(world, store)
    report = await sync(runner, odd_length)
    assert report.error is None and report.status == "partial"
    [(item, title, why)] = report.failed
    assert (item, title) == (broken_item, "Odd Title 2")
    assert why.startswith("hardcover: ") and "audio_seconds" in why and "'10 hours'" in why
    assert report.written == 5
    assert runner.user_book(broken_book) is None  # nothing written to the book we could not read
    assert all(runner.user_book(book) is not None for book, _ in made if book != broken_book)
    link = store.links.get("alice", "abs", broken_item)
    assert link is None or link.status != MatchOutcome.LINKED  # not settled: the next run tries again

    healed = await sync(runner, lambda body: None)
    assert (healed.error, healed.failed, healed.written) == (None, [], 1)
    entry = runner.user_book(broken_book)
    assert entry is not None and entry["reads"][0]["progress_seconds"] == 7_200
