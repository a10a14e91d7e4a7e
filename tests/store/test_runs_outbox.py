"""Runs with their events, and the outbox's idempotency keys (P11)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookrelay.errors import NotFound
from bookrelay.redact import register_secret
from bookrelay.store import OutboxState, RunStatus, Store
from tests.store_fixtures import FakeClock


def test_run_lifecycle_with_events(clocked_store: Store, clock: FakeClock) -> None:
    run = clocked_store.runs.start("alice", "progress", dry_run=True)
    assert (run.status, run.dry_run, run.finished_at) == (RunStatus.RUNNING, True, None)
    clocked_store.runs.add_events(
        run.id,
        [
            {"kind": "linked", "message": "linked Dune", "item": "li_1", "data": {"book_id": 1}},
            {"kind": "held", "message": "progress held (P5)", "level": "warning"},
        ],
    )
    clock.advance(timedelta(minutes=3))
    finished = clocked_store.runs.finish(run.id, RunStatus.PARTIAL, {"written": 1, "held": 1}, units=7)
    assert (finished.status, finished.hardcover_units, finished.summary) == (
        RunStatus.PARTIAL,
        7,
        {"written": 1, "held": 1},
    )
    assert finished.finished_at is not None and finished.finished_at - run.started_at == timedelta(minutes=3)
    loaded, events = clocked_store.runs.get_with_events(run.id)
    assert loaded.status == RunStatus.PARTIAL
    assert [(e.kind, e.level, e.item, e.data) for e in events] == [
        ("linked", "info", "li_1", {"book_id": 1}),
        ("held", "warning", None, None),
    ]


def test_recent_runs_newest_first_with_limit(clocked_store: Store, clock: FakeClock) -> None:
    ids = []
    for job in ("progress", "wanted", "progress"):
        ids.append(clocked_store.runs.start("alice", job).id)
        clock.advance(timedelta(minutes=1))
    clocked_store.runs.start("bob", "progress")
    assert [r.id for r in clocked_store.runs.recent(2, user_id="alice")] == [ids[2], ids[1]]
    assert [r.id for r in clocked_store.runs.recent(user_id="alice", job="progress")] == [ids[2], ids[0]]
    assert len(clocked_store.runs.recent(10)) == 4


def test_unknown_runs_are_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.runs.get_with_events(12345)
    with pytest.raises(NotFound):
        store.runs.add_events(12345, [{"kind": "x", "message": "y"}])
    with pytest.raises(NotFound):
        store.runs.finish(12345, RunStatus.OK)


def test_S1_run_messages_and_errors_are_redacted(store: Store) -> None:
    secret = "runs-test-secret-value-91c2"
    register_secret(secret)
    run = store.runs.start("alice", "progress")
    store.runs.add_events(run.id, [{"kind": "error", "message": f"request failed with token {secret}"}])
    store.runs.finish(run.id, RunStatus.FAILED, error=f"auth failed for {secret}")
    loaded, events = store.runs.get_with_events(run.id)
    assert secret not in events[0].message and "***" in events[0].message
    assert loaded.error is not None and secret not in loaded.error


def test_P11_outbox_same_key_twice_returns_the_existing_entry(store: Store) -> None:
    run = store.runs.start("alice", "progress")
    first = store.outbox.add(
        "alice", "progress:li_1:0.42", {"op": "set_progress", "seconds": 100}, run_id=run.id
    )
    again = store.outbox.add("alice", "progress:li_1:0.42", {"op": "set_progress", "seconds": 999})
    assert again.id == first.id
    assert (again.action, again.run_id, again.state) == (
        {"op": "set_progress", "seconds": 100},
        run.id,
        OutboxState.PENDING,
    )
    other_user = store.outbox.add("bob", "progress:li_1:0.42", {"op": "set_progress"})
    assert other_user.id != first.id  # keys are unique per user only


def test_P11_outbox_states_and_pending(store: Store) -> None:
    a = store.outbox.add("alice", "a", {"n": 1})
    b = store.outbox.add("alice", "b", {"n": 2})
    c = store.outbox.add("alice", "c", {"n": 3})
    d = store.outbox.add("alice", "d", {"n": 4})
    store.outbox.mark_sent(b.id)
    store.outbox.mark_sent(c.id)
    store.outbox.mark_done(c.id)
    failed = store.outbox.mark_failed(d.id, "Hardcover said no")
    assert (failed.state, failed.error) == (OutboxState.FAILED, "Hardcover said no")
    assert [e.id for e in store.outbox.pending("alice")] == [a.id, b.id]
    assert [e.id for e in store.outbox.pending("alice", include_sent=False)] == [a.id]
    assert store.outbox.pending("bob") == []
    found = store.outbox.get("alice", "c")
    assert found is not None and found.state == OutboxState.DONE
    with pytest.raises(NotFound):
        store.outbox.mark_done(99999)
