"""Audible's interval and daily cap, kept by the store: their rules on a hand-moved clock, and that
they hold with two real processes starting at once (SQLite file and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bookrelay.errors import ConfigError, QuotaExhausted, RateLimited
from bookrelay.store.facade import Store
from bookrelay.store.repositories.audible_calls import AudibleCallRepo, AudibleLimits
from tests.processes import run_together
from tests.store_fixtures import FakeClock

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LIMITS = AudibleLimits(min_interval=timedelta(minutes=15), daily_cap=5)


@pytest.fixture
def calls(clocked_store: Store, clock: FakeClock) -> AudibleCallRepo:
    return AudibleCallRepo(clocked_store.db, clock)


def test_interval_refuses_a_sync_until_it_passed_and_says_when(
    calls: AudibleCallRepo, clock: FakeClock
) -> None:
    first = calls.begin_sync("alice", LIMITS)
    clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(RateLimited) as refused:
        calls.begin_sync("alice", LIMITS)
    assert "next sync allowed at 2024-03-01 12:15:00 UTC" in str(refused.value)
    assert refused.value.retry_after == pytest.approx(1.0)
    assert calls.usage("alice").last_sync_at == first  # the refusal changed nothing
    clock.advance(timedelta(seconds=1))
    assert calls.begin_sync("alice", LIMITS) == clock.now
    assert calls.begin_sync("bob", LIMITS) == clock.now  # per user


def test_daily_cap_counts_requests_refuses_past_it_and_resets_on_the_next_utc_day(
    calls: AudibleCallRepo, clock: FakeClock
) -> None:
    assert [calls.take("alice", LIMITS) for _ in range(5)] == [4, 3, 2, 1, 0]
    with pytest.raises(QuotaExhausted) as refused:
        calls.take("alice", LIMITS)
    assert "made the 5 Audible requests allowed today; next sync allowed at 2024-03-02 00:00:00 UTC" in str(
        refused.value
    )
    assert refused.value.resets_in == pytest.approx(12 * 3600)
    with pytest.raises(QuotaExhausted):
        calls.begin_sync("alice", LIMITS)  # a sync with nothing left to spend does not start
    assert calls.usage("alice").calls == 5
    clock.advance(timedelta(hours=12))
    assert calls.usage("alice").calls == 0
    assert calls.take("alice", LIMITS, count=2) == 3


def test_limits_reject_nonsense() -> None:
    with pytest.raises(ConfigError, match="daily_cap"):
        AudibleLimits(daily_cap=0)
    with pytest.raises(ConfigError, match="min_interval"):
        AudibleLimits(min_interval=timedelta(minutes=-1))


# Each child opens its own engine on the same database, says "ready", waits for "go" on stdin (so both
# start together, without sleeping), then begins a sync or takes requests, and prints what happened.
CHILD = """
import json, sys
from datetime import timedelta
from bookrelay.errors import QuotaExhausted, RateLimited
from bookrelay.store.db import Database, create_engine_for
from bookrelay.store.repositories.audible_calls import AudibleCallRepo, AudibleLimits
from tests.processes import run_together

url, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
repo = AudibleCallRepo(Database(create_engine_for(url)))
limits = AudibleLimits(timedelta(minutes=15 if mode == "sync" else 0), 10)
print("ready", flush=True)
sys.stdin.readline()
results = []
for _ in range(count):
    try:
        if mode == "sync":
            results.append(["ok", repo.begin_sync("alice", limits).isoformat()])
        else:
            results.append(["ok", repo.take("alice", limits)])
    except (RateLimited, QuotaExhausted) as exc:
        results.append(["refused", str(exc)])
print(json.dumps(results), flush=True)
"""


def _race(db_url: str, mode: str, count: int) -> list[list[object]]:
    """Start two processes, release them at once, and return both processes' results together."""
    results: list[list[object]] = []
    for line in run_together(CHILD, [[db_url, mode, str(count)]] * 2):
        results += json.loads(line)
    return results


def test_interval_holds_with_two_processes_starting_at_once(db_url: str, store: Store) -> None:
    results = _race(db_url, "sync", 1)
    allowed = [r for r in results if r[0] == "ok"]
    refused = [r for r in results if r[0] == "refused"]
    assert len(allowed) == 1 and len(refused) == 1
    started = datetime.fromisoformat(str(allowed[0][1])).astimezone(UTC)
    assert f"next sync allowed at {started + timedelta(minutes=15):%Y-%m-%d %H:%M:%S} UTC" in str(
        refused[0][1]
    )
    assert AudibleCallRepo(store.db).usage("alice").last_sync_at == started


def test_daily_cap_holds_with_two_processes_starting_at_once(db_url: str, store: Store) -> None:
    results = _race(db_url, "take", 8)  # 16 requests wanted, 10 allowed
    left = sorted(int(str(r[1])) for r in results if r[0] == "ok")
    assert left == list(range(10))  # each count handed out once: no lost update, no double grant
    assert sum(1 for r in results if r[0] == "refused") == 6
    assert AudibleCallRepo(store.db).usage("alice").calls == 10
