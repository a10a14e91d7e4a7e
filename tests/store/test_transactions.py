"""S3: a failing multi-row write leaves nothing behind; SQLite writers do not collide."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import IntegrityError

from bookrelay.matching.outcome import MatchOutcome
from bookrelay.store import Store
from tests.store_fixtures import history_of


class Boom(Exception):
    pass


def test_S3_an_exception_inside_a_transaction_rolls_back_every_row(store: Store) -> None:
    with pytest.raises(Boom), store.transaction():
        store.links.upsert("alice", "abs", "li_1", hardcover_book_id=1, status=MatchOutcome.LINKED)
        store.outbox.add("alice", "k1", {"op": "x"})
        store.history.record("alice", "abs", "li_1", 0.5)
        raise Boom
    assert store.links.get("alice", "abs", "li_1") is None
    assert store.outbox.get("alice", "k1") is None
    assert history_of(store, "alice", "abs", "li_1") == []
    assert store.users.list() == []


def test_S3_a_failing_write_rolls_back_the_earlier_ones(store: Store) -> None:
    with pytest.raises(IntegrityError), store.transaction():
        store.links.upsert("alice", "abs", "li_1", hardcover_book_id=1)
        store.outbox.add("alice", "k1", {"op": "x"}, run_id=424242)  # no such run: foreign key fails
    assert store.links.get("alice", "abs", "li_1") is None
    assert store.outbox.get("alice", "k1") is None


def test_S3_reads_inside_a_transaction_see_its_writes_and_commit_together(store: Store) -> None:
    with store.transaction():
        store.links.upsert("alice", "abs", "li_1", hardcover_book_id=1)
        inside = store.links.get("alice", "abs", "li_1")
        assert inside is not None and inside.hardcover_book_id == 1
        store.outbox.add("alice", "k1", {"op": "x"})
    assert store.links.get("alice", "abs", "li_1") is not None
    assert store.outbox.get("alice", "k1") is not None


def test_concurrent_writers_from_threads_all_succeed(store: Store) -> None:
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(10):
                with store.transaction():
                    store.links.upsert("alice", "abs", f"w{worker}-{i}", hardcover_book_id=i)
                    store.outbox.add("alice", f"w{worker}-{i}", {"i": i})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.links.list_for_user("alice")) == 40
    assert len(store.outbox.pending("alice")) == 40
