"""The Hardcover budget shared through the store (N1 across processes), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bookrelay.connectors.hardcover.gate import token_key
from bookrelay.errors import QuotaExhausted
from bookrelay.store import Store
from bookrelay.store.db import Database, create_engine_for
from bookrelay.store.models import HardcoverBudget
from bookrelay.store.repositories import utc_now
from bookrelay.store.repositories.hardcover_budget import BudgetPolicy, HardcoverBudgetRepo, SharedBudgetGate
from tests.store_fixtures import FakeClock

FREE = BudgetPolicy(per_minute=60, burst=10, daily=5000)
TOKEN = "hc_pat_secret_value_for_the_budget_test"


def repo_on(store: Store, clock: FakeClock) -> HardcoverBudgetRepo:
    return HardcoverBudgetRepo(store.db, clock)


def test_N1_burst_is_free_then_each_unit_waits_for_its_refill(clocked_store: Store, clock: FakeClock) -> None:
    repo = repo_on(clocked_store, clock)
    key = token_key(TOKEN)
    waits = [repo.reserve(key, 1, FREE) for _ in range(12)]
    assert waits[:10] == [0.0] * 10
    assert waits[10:] == pytest.approx([1.0, 2.0])  # 60 a minute: one unit a second
    clock.advance(timedelta(seconds=1.5))
    assert repo.usage(key, FREE).level == pytest.approx(10.0 - 12 + 1.5)  # the queue of waiters refills first
    clock.advance(timedelta(minutes=5))
    assert repo.usage(key, FREE).level == pytest.approx(10.0)


def test_N1_daily_budget_is_shared_and_refuses_without_taking(clocked_store: Store, clock: FakeClock) -> None:
    repo = repo_on(clocked_store, clock)
    small = BudgetPolicy(per_minute=6000, burst=1000, daily=5)
    key = token_key(TOKEN)
    repo.reserve(key, 4, small)
    with pytest.raises(QuotaExhausted) as caught:
        repo.reserve(key, 2, small)
    assert caught.value.resets_in == pytest.approx(12 * 3600)  # the fake clock is at 12:00 UTC
    assert repo.usage(key, small).used_today == 4  # the refused request took nothing
    repo.reserve(key, 1, small)
    clock.advance(timedelta(hours=12, seconds=1))  # past midnight UTC: Hardcover's new day
    assert repo.usage(key, small).used_today == 0
    repo.reserve(key, 5, small)


def test_N1_server_headers_only_lower_the_shared_view(clocked_store: Store, clock: FakeClock) -> None:
    repo = repo_on(clocked_store, clock)
    key = token_key(TOKEN)
    repo.correct(key, FREE, minute_remaining=3, daily_remaining=4000)
    usage = repo.usage(key, FREE)
    assert (usage.level, usage.used_today) == (3.0, 1000)
    repo.correct(key, FREE, minute_remaining=9, daily_remaining=4990)  # a lagging server never raises it
    usage = repo.usage(key, FREE)
    assert (usage.level, usage.used_today) == (3.0, 1000)


def test_S1_the_token_itself_is_never_stored(clocked_store: Store, clock: FakeClock) -> None:
    repo = repo_on(clocked_store, clock)
    repo.reserve(token_key(TOKEN), 1, FREE)
    with clocked_store.db.reading() as session:
        rows = session.scalars(select(HardcoverBudget)).all()
    assert [r.token_hash for r in rows] == [token_key(TOKEN)]
    assert TOKEN not in rows[0].token_hash and len(rows[0].token_hash) == 64


def test_N1_two_workers_never_spend_one_tokens_minute_twice(db_url: str) -> None:
    """Eight threads with their own connection pools (like eight processes) reserve at one frozen
    instant: exactly the burst is granted without waiting, and every later unit waits its own second."""
    frozen = utc_now()
    databases = [Database(create_engine_for(db_url)) for _ in range(8)]
    waits: list[float] = []
    guard = threading.Lock()

    def worker(database: Database) -> None:
        repo = HardcoverBudgetRepo(database, lambda: frozen)
        mine = [repo.reserve(token_key(TOKEN), 1, FREE) for _ in range(5)]
        with guard:
            waits.extend(mine)

    threads = [threading.Thread(target=worker, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for database in databases:
        database.dispose()
    assert sorted(waits) == pytest.approx([0.0] * 10 + [float(n) for n in range(1, 31)])


async def test_gate_reserves_through_the_store(clocked_store: Store, clock: FakeClock) -> None:
    gate = SharedBudgetGate(repo_on(clocked_store, clock), BudgetPolicy(per_minute=60, burst=2, daily=100))
    key = token_key(TOKEN)
    assert [await gate.reserve(key, 1) for _ in range(3)] == pytest.approx([0.0, 0.0, 1.0])
    await gate.correct(key, minute_remaining=-5, daily_remaining=None)
    assert gate.repo.usage(key, gate.policy).level == -5.0
