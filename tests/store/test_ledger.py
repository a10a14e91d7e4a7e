"""The wanted ledger (W1, W2, W4) and the lookup cache's expiry and negative entries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookrelay.matching.outcome import CacheKind
from bookrelay.store import Store, WantedState
from tests.store_fixtures import FakeClock


def test_W2_recording_a_present_book_is_one_ledger_row(store: Store) -> None:
    first = store.wanted.record("alice", 42, WantedState.ADDED, title="Dune", bookshelf_book_id=7)
    again = store.wanted.record("alice", 42, WantedState.PRESENT, bookshelf_book_id=7)
    assert again.id == first.id
    assert (again.state, again.title, again.bookshelf_book_id) == (WantedState.PRESENT, "Dune", 7)
    assert [w.hardcover_book_id for w in store.wanted.list_for_user("alice")] == [42]
    assert store.wanted.get("alice", 43) is None


def test_W4_failures_back_off_and_come_due(clocked_store: Store, clock: FakeClock) -> None:
    first = clocked_store.wanted.mark_failed("alice", 42, "metadata server down", title="Dune")
    assert (first.state, first.attempts, first.next_retry_at) == (
        WantedState.FAILED,
        1,
        clock.now + timedelta(hours=1),
    )
    second = clocked_store.wanted.mark_failed("alice", 42, "still down")
    assert (second.attempts, second.reason, second.title) == (2, "still down", "Dune")
    assert second.next_retry_at == clock.now + timedelta(hours=2)
    assert clocked_store.wanted.due_for_retry("alice") == []
    clock.advance(timedelta(hours=2))
    assert [w.hardcover_book_id for w in clocked_store.wanted.due_for_retry("alice")] == [42]
    added = clocked_store.wanted.record("alice", 42, WantedState.ADDED, bookshelf_book_id=9)
    assert (added.next_retry_at, added.attempts) == (None, 2)
    assert clocked_store.wanted.due_for_retry("alice") == []
    assert [w.state for w in clocked_store.wanted.list_for_user("alice", WantedState.FAILED)] == []


def test_W4_custom_backoff_is_used(clocked_store: Store, clock: FakeClock) -> None:
    row = clocked_store.wanted.mark_failed(
        "alice", 1, "unknown book", backoff=lambda n: timedelta(minutes=5 * n)
    )
    assert row.next_retry_at == clock.now + timedelta(minutes=5)


def test_lookup_cache_hits_until_expiry(clocked_store: Store, clock: FakeClock) -> None:
    edition = {"book_id": 1, "edition_id": 10}
    clocked_store.lookup_cache.put(CacheKind.ASIN, "B000000001", edition, timedelta(hours=1))
    hit = clocked_store.lookup_cache.get(CacheKind.ASIN, "B000000001")
    assert hit is not None and (hit.value, hit.negative) == (edition, False)
    assert clocked_store.lookup_cache.get(CacheKind.ISBN13, "B000000001") is None  # kinds are separate
    clock.advance(timedelta(hours=1))
    assert clocked_store.lookup_cache.get(CacheKind.ASIN, "B000000001") is None


def test_lookup_cache_negative_entries_and_replacement(clocked_store: Store, clock: FakeClock) -> None:
    clocked_store.lookup_cache.put_negative(CacheKind.ISBN13, "9780000000002", timedelta(days=1))
    miss = clocked_store.lookup_cache.get(CacheKind.ISBN13, "9780000000002")
    assert miss is not None and miss.negative and miss.value is None
    clocked_store.lookup_cache.put(CacheKind.ISBN13, "9780000000002", [1, 2], timedelta(days=2))
    hit = clocked_store.lookup_cache.get(CacheKind.ISBN13, "9780000000002")
    assert hit is not None and hit.value == [1, 2] and hit.expires_at == clock.now + timedelta(days=2)
    with pytest.raises(ValueError, match="put_negative"):
        clocked_store.lookup_cache.put(CacheKind.SEARCH, "dune", None, timedelta(days=1))


def test_lookup_cache_purges_only_expired_entries(clocked_store: Store, clock: FakeClock) -> None:
    clocked_store.lookup_cache.put(CacheKind.SEARCH, "short", {"x": 1}, timedelta(minutes=5))
    clocked_store.lookup_cache.put_negative(CacheKind.SEARCH, "long", timedelta(days=5))
    clock.advance(timedelta(hours=1))
    assert clocked_store.lookup_cache.purge_expired() == 1
    assert clocked_store.lookup_cache.purge_expired() == 0
    assert clocked_store.lookup_cache.get(CacheKind.SEARCH, "long") is not None
