"""The wanted job on the queue follows the error tree as the progress job does: an unreachable Bookshelf
is retried with backoff (and the retry adds the books), a refused key is not retried, and a spent daily
Hardcover budget waits for the next day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from bookrelay import app as composition
from bookrelay.app import wanted as wanted_wiring
from bookrelay.config import Config
from bookrelay.connectors.bookshelf.session import BookshelfSession
from bookrelay.queue.runner import QueuedRunner
from bookrelay.queue.tasks import RetryPolicy, conninfo_for
from bookrelay.sandbox.bookshelf.demo import DEMO_API_KEY, DEMO_TOKEN, wanted_sections
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.store import Store
from bookrelay.store.models import Run, RunStatus
from tests.queue.test_queued_jobs import WORKER, forget_gate
from tests.store_fixtures import TEST_KEY
from tests.sync.harness import FAST_LIMITS

SHELF = 3  # books on the reader's Want to Read shelf, all known to the metadata server, none in Bookshelf
BACKOFF = RetryPolicy().backoff_base  # seconds before the first retry of an unreachable service


class Unplugged(httpx.AsyncBaseTransport):
    """The sandbox in-process, with Bookshelf unreachable (a refused connection) while ``down``."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.inner = httpx.ASGITransport(app=sandbox.app)
        self.down = False
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down and request.url.path.startswith("/bookshelf"):
            self.refused += 1
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


@dataclass
class WantedQueue:
    """One reader's wanted runs, deferred and worked on a PostgreSQL queue against the sandbox."""

    config: Config
    store: Store
    sandbox: Sandbox
    transport: Unplugged
    retry_waits: list[float] = field(default_factory=list)  # the Bookshelf client's own retries

    async def run(self) -> Run:
        """Queue one wanted run, work the queue until nothing is due; the run the task recorded last."""
        runner = composition.service_runner(self.config, self.store)
        assert isinstance(runner, QueuedRunner)
        try:
            reserved = await runner("reader", "wanted")
        finally:
            await runner.aclose()
        await self.work()
        runs = self.store.runs.recent(1, user_id="reader", job="wanted")
        return runs[0] if runs else self.store.runs.get_with_events(reserved)[0]

    async def work(self) -> None:
        await composition.work_queue(self.config, self.store, WORKER, transport=self.transport)

    def job(self) -> dict[str, Any]:
        """The one procrastinate job."""
        with psycopg.connect(conninfo_for(self.config.database_url)) as conn, conn.cursor() as cur:
            cur.execute("SELECT id, status, attempts, scheduled_at FROM procrastinate_jobs")
            names = [c.name for c in cur.description or []]
            (row,) = cur.fetchall()
            return dict(zip(names, row, strict=True))

    def make_due(self, job_id: int) -> None:
        """Move a retry's time to now, as the clock would after its backoff."""
        with psycopg.connect(conninfo_for(self.config.database_url)) as conn:
            conn.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = %s", (job_id,))

    def added(self) -> list[str]:
        """Foreign ids of the books in Bookshelf (the shelf's are 10001, 10002, …)."""
        state: Any = self.sandbox.fakes["bookshelf"]
        return [b["foreignBookId"] for b in state.snapshot()["books"]]


@pytest.fixture
def wanted_queue(queue_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Builds a :class:`WantedQueue`; the Bookshelf client's retry waits are recorded, not slept."""
    made: list[WantedQueue] = []

    def make(*, api_key: str = DEMO_API_KEY, daily: int = FAST_LIMITS["daily"]) -> WantedQueue:
        scenario = wanted_sections(
            SHELF, unknown_every=0, library_every=0, duplicate_every=0, extra_works_per_author=0
        )
        limits = {**FAST_LIMITS, "daily": daily}
        scenario.hardcover["limits"] = limits
        scenario.hardcover["users"][0]["scopes"] = ["all"]
        sandbox = build_sandbox(scenario.sections())
        config = Config.model_validate(
            {
                "global": {
                    "database": queue_db_url,
                    "queue": "postgres",
                    "hardcover": {
                        "url": "http://sandbox/hardcover/v1/graphql",
                        **{k: v for k, v in limits.items() if k != "max_top_level"},
                    },
                    "bookshelf": {"url": "http://sandbox/bookshelf", "api_key": api_key},
                    "rreading_glasses": {"url": "http://sandbox/rreading-glasses"},
                },
                "users": [{"id": "reader", "hardcover": {"token": DEMO_TOKEN}}],
            }
        )
        queue = WantedQueue(
            config, Store.open(queue_db_url, secret_key=TEST_KEY), sandbox, Unplugged(sandbox)
        )

        async def no_wait(seconds: float) -> None:
            queue.retry_waits.append(seconds)

        def session(*args: Any, **kwargs: Any) -> BookshelfSession:
            return BookshelfSession(*args, sleep=no_wait, **kwargs)

        monkeypatch.setattr(wanted_wiring, "BookshelfSession", session)  # where wanted_for_user reads it
        made.append(queue)
        return queue

    yield make
    for queue in made:
        queue.store.close()
        forget_gate(queue.store)


async def test_W4_unreachable_bookshelf_fails_the_run_and_the_queue_retries_it_with_backoff(
    wanted_queue: Any,
) -> None:
    queue: WantedQueue = wanted_queue()
    queue.transport.down = True
    before = datetime.now(UTC)
    failed = await queue.run()
    assert failed.status is RunStatus.FAILED
    assert "cannot connect" in (failed.error or "")
    assert queue.transport.refused == 1 + len(queue.retry_waits) > 1  # the client retried first (N2)
    job = queue.job()
    assert (job["status"], job["attempts"]) == ("todo", 1)  # retried, not given up
    # Backoff with jitter: between half and all of the first step, after the failure.
    assert before + timedelta(seconds=BACKOFF / 2) <= job["scheduled_at"]
    assert job["scheduled_at"] <= datetime.now(UTC) + timedelta(seconds=BACKOFF)
    assert queue.added() == []

    queue.transport.down = False  # Bookshelf is back when the retry is due
    queue.make_due(job["id"])
    await queue.work()
    job = queue.job()
    assert (job["status"], job["attempts"]) == ("succeeded", 2)  # the first try and its retry
    retried = queue.store.runs.recent(1, user_id="reader", job="wanted")[0]
    assert retried.id != failed.id and retried.status is RunStatus.OK, retried.error
    assert sorted(queue.added()) == [str(10_001 + n) for n in range(SHELF)]


async def test_N4_refused_bookshelf_key_fails_the_run_and_is_not_retried(wanted_queue: Any) -> None:
    queue: WantedQueue = wanted_queue(api_key="not-the-key")
    run = await queue.run()
    assert run.status is RunStatus.FAILED
    assert "BOOKSHELF_API_KEY" in (run.error or "")
    job = queue.job()
    assert (job["status"], job["attempts"]) == ("failed", 1)  # tried once: a person must fix the key
    assert queue.retry_waits == [] and queue.added() == []


async def test_N1_spent_hardcover_budget_stops_wanted_until_the_next_day(wanted_queue: Any) -> None:
    queue: WantedQueue = wanted_queue(daily=1)
    before = datetime.now(UTC)
    run = await queue.run()
    assert run.status is RunStatus.FAILED
    assert "daily budget" in (run.error or "")
    job = queue.job()
    midnight = datetime.combine(before.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    assert (job["status"], job["attempts"]) == ("todo", 1)
    assert midnight <= job["scheduled_at"] <= midnight + timedelta(minutes=5)
