"""The queue's pure parts and seams: the retry rule of the error tree, the worker runtime's run ids, and a
Hardcover session paced by a shared budget gate instead of its own bucket."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bookrelay.connectors.hardcover.gate import token_key
from bookrelay.connectors.hardcover.session import HardcoverSession
from bookrelay.queue.runner import WorkerRuntime
from bookrelay.queue.tasks import ErrorTreeRetry, RetryPolicy, RunFailed, locks_for, retry_delay
from bookrelay.sandbox.server import build_sandbox
from bookrelay.service.results import RunResult
from bookrelay.store import Store
from bookrelay.store.models import RunStatus
from tests.sync.harness import HC_TOKEN, World

NOW = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=4, backoff_base=60, backoff_cap=300, quota_margin=60)


def test_auth_config_and_answer_errors_are_not_retried() -> None:
    for kind in ("AuthError", "ConfigError", "BadResponse", "NotFound", None, "KeyError"):
        assert retry_delay(kind, 0, NOW, POLICY) is None


def test_N1_spent_daily_budget_waits_until_after_midnight_utc() -> None:
    assert retry_delay("QuotaExhausted", 0, NOW, POLICY) == 90 * 60 + 60


def test_N2_unreachable_service_backs_off_exponentially_up_to_a_cap_and_a_count() -> None:
    delays = [retry_delay("ServiceUnavailable", n, NOW, POLICY) for n in range(5)]
    assert delays == [60, 120, 240, 300, None]
    assert retry_delay("RateLimited", 1, NOW, POLICY, jitter=0.5) == 60


def test_retry_strategy_reads_run_failed_and_ignores_bugs() -> None:
    strategy = ErrorTreeRetry(POLICY, now=lambda: NOW)
    job: Any = type("Job", (), {"attempts": 0})()
    decision = strategy.get_retry_decision(exception=RunFailed("QuotaExhausted", "spent", 1), job=job)
    assert decision is not None and decision.retry_at == datetime(2026, 3, 2, 0, 1, tzinfo=UTC)
    assert strategy.get_retry_decision(exception=RunFailed("AuthError", "bad", 1), job=job) is None
    assert strategy.get_retry_decision(exception=ZeroDivisionError(), job=job) is None


def test_one_lock_per_user_and_a_queueing_lock_only_for_whole_runs() -> None:
    assert locks_for("alice", "progress", dry_run=False, whole=True) == ("user:alice", "alice:progress")
    assert locks_for("alice", "wanted", dry_run=True, whole=True) == ("user:alice", "alice:wanted:dry")
    assert locks_for("alice", "progress", dry_run=False, whole=False) == ("user:alice", None)


@dataclass
class FakeRunner:
    """Records which run id it was given and answers a chosen status."""

    store: Store
    status: str = "ok"
    kind: str | None = None
    results: list[RunResult] = field(default_factory=list)
    given: list[int | None] = field(default_factory=list)

    def reserve(self, user_id: str, job: str, *, dry_run: bool = False) -> int:
        return self.store.runs.start(user_id, job, dry_run=dry_run).id

    async def __call__(self, user_id: str, job: str, **options: Any) -> int:
        run_id = options["run_id"]
        self.given.append(run_id)
        self.store.runs.finish(run_id, RunStatus(self.status), None, 0, None)
        self.results.append(RunResult(user_id, job, self.status, run_id=run_id, error_kind=self.kind))
        return run_id


async def test_first_attempt_adopts_the_deferred_run(store: Store) -> None:
    runner = FakeRunner(store)
    reserved = runner.reserve("alice", "progress")
    done = await WorkerRuntime(runner).perform(
        "alice", "progress", dry_run=False, items=None, run_id=reserved, attempts=0
    )
    assert done == reserved == runner.given[0]


async def test_a_retry_after_a_killed_worker_closes_the_open_run_and_records_a_new_one(store: Store) -> None:
    runner = FakeRunner(store)
    reserved = runner.reserve("alice", "progress")  # left running by the killed worker
    done = await WorkerRuntime(runner).perform(
        "alice", "progress", dry_run=False, items=None, run_id=reserved, attempts=1
    )
    assert done != reserved
    old, _ = store.runs.get_with_events(reserved)
    assert old.status is RunStatus.FAILED and f"continued as run {done}" in (old.error or "")


async def test_a_failed_run_raises_its_error_kind_for_the_retry_rule(store: Store) -> None:
    runner = FakeRunner(store, status="failed", kind="ServiceUnavailable")
    with pytest.raises(RunFailed) as caught:
        await WorkerRuntime(runner).perform(
            "alice", "progress", dry_run=False, items=None, run_id=None, attempts=0
        )
    assert caught.value.kind == "ServiceUnavailable"


class RecordingGate:
    """A shared gate that answers a fixed wait and records what it was asked."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self.reserved: list[tuple[str, int]] = []
        self.corrected: list[tuple[str, int | None, int | None]] = []

    async def reserve(self, key: str, units: int) -> float:
        self.reserved.append((key, units))
        return self.wait

    async def correct(self, key: str, *, minute_remaining: int | None, daily_remaining: int | None) -> None:
        self.corrected.append((key, minute_remaining, daily_remaining))


async def test_N1_a_session_with_a_shared_gate_is_paced_by_it_not_by_its_own_bucket() -> None:
    sandbox = build_sandbox(World().fixture())
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    gate = RecordingGate(wait=0.25)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as http:
        session = HardcoverSession(
            http,
            HC_TOKEN,
            url="http://sandbox/hardcover/v1/graphql",
            burst=1,  # the local bucket alone would make the later requests wait
            per_minute=1,
            sleep=sleep,
            budget_gate=gate,
        )
        for _ in range(3):
            await session.execute("query Me { me { id } }")
    assert gate.reserved == [(token_key(HC_TOKEN), 1)] * 3
    assert slept == [0.25] * 3
    assert len(gate.corrected) == 3 and gate.corrected[0][0] == token_key(HC_TOKEN)
    assert all(HC_TOKEN not in key for key, _ in gate.reserved)


def test_a_subclass_of_the_error_tree_is_classified_by_its_nearest_public_class() -> None:
    from bookrelay.connectors.hardcover.session import AmbiguousWrite, UnreadableWriteAnswer
    from bookrelay.errors import AuthError, kind_of

    assert kind_of(AmbiguousWrite("lost", service="hardcover")) == "ServiceUnavailable"  # retried, backed off
    assert kind_of(UnreadableWriteAnswer("junk", service="hardcover")) == "BadResponse"  # not retried
    assert kind_of(AuthError("bad")) == "AuthError"
    assert kind_of(ValueError("a bug")) is None
