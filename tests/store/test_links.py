"""Links, pins (M1), unmatched items (M4), progress history, and aware timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bookrelay.errors import NotFound
from bookrelay.matching.outcome import LinkMethod, MatchOutcome
from bookrelay.store import Store
from tests.store_fixtures import FakeClock


def test_upsert_creates_then_changes_only_the_given_columns(store: Store) -> None:
    created = store.links.upsert(
        "alice",
        "abs",
        "li_1",
        hardcover_book_id=10,
        hardcover_edition_id=100,
        method=LinkMethod.ASIN,
        score=1.0,
        status=MatchOutcome.LINKED,
        identifiers_hash="h1",
    )
    assert (created.pinned, created.sync_enabled) == (False, True)
    changed = store.links.upsert("alice", "abs", "li_1", user_book_id=555, read_id=777)
    assert changed.id == created.id
    assert (changed.hardcover_book_id, changed.hardcover_edition_id, changed.method) == (
        10,
        100,
        LinkMethod.ASIN,
    )
    assert (changed.user_book_id, changed.read_id, changed.identifiers_hash) == (555, 777, "h1")
    assert store.links.get("alice", "abs", "li_1") is not None
    assert store.links.get("bob", "abs", "li_1") is None


def test_M1_pin_to_another_book_clears_that_books_state(store: Store) -> None:
    store.links.upsert(
        "alice",
        "abs",
        "li_1",
        hardcover_book_id=10,
        user_book_id=5,
        read_id=6,
        last_progress=0.4,
        status=MatchOutcome.LINKED,
        method=LinkMethod.FUZZY,
        score=0.9,
    )
    pinned = store.links.pin("alice", "abs", "li_1", 20, 200)
    assert (pinned.pinned, pinned.method, pinned.status) == (True, LinkMethod.PIN, MatchOutcome.LINKED)
    assert (pinned.hardcover_book_id, pinned.hardcover_edition_id) == (20, 200)
    assert (pinned.user_book_id, pinned.read_id, pinned.last_progress, pinned.score) == (
        None,
        None,
        None,
        None,
    )


def test_M1_pin_to_the_same_book_keeps_its_reads(store: Store) -> None:
    store.links.upsert("alice", "abs", "li_1", hardcover_book_id=10, user_book_id=5, read_id=6)
    pinned = store.links.pin("alice", "abs", "li_1", 10, 101)
    assert (pinned.user_book_id, pinned.read_id, pinned.hardcover_edition_id) == (5, 6, 101)


def test_M1_mark_unmatched_leaves_a_pinned_link_alone(store: Store) -> None:
    store.links.pin("alice", "abs", "li_1", 20)
    kept = store.links.mark_unmatched("alice", "abs", "li_1", datetime(2030, 1, 1, tzinfo=UTC))
    assert (kept.status, kept.hardcover_book_id, kept.unmatched_until) == (MatchOutcome.LINKED, 20, None)


def test_M4_mark_unmatched_records_until_when(store: Store) -> None:
    store.links.upsert("alice", "abs", "li_2", hardcover_book_id=3, status=MatchOutcome.LINKED, read_id=4)
    until = datetime(2030, 1, 1, 8, 30, tzinfo=UTC)
    link = store.links.mark_unmatched("alice", "abs", "li_2", until, metadata_hash="m1")
    assert (link.status, link.unmatched_until, link.metadata_hash) == (MatchOutcome.UNMATCHED, until, "m1")
    assert (link.hardcover_book_id, link.read_id) == (None, None)


def test_unpin_and_sync_switch(store: Store) -> None:
    store.links.pin("alice", "abs", "li_1", 20)
    unpinned = store.links.unpin("alice", "abs", "li_1")
    assert (unpinned.pinned, unpinned.identifiers_hash, unpinned.hardcover_book_id) == (False, None, 20)
    assert store.links.set_sync_enabled("alice", "abs", "li_1", False).sync_enabled is False
    with pytest.raises(NotFound):
        store.links.unpin("alice", "abs", "missing")
    with pytest.raises(NotFound):
        store.links.set_sync_enabled("alice", "abs", "missing", True)


def test_list_for_user_filters_by_status_and_user(store: Store) -> None:
    store.links.upsert("alice", "abs", "b", status=MatchOutcome.LINKED)
    store.links.upsert("alice", "abs", "a", status=MatchOutcome.UNMATCHED)
    store.links.upsert("alice", "audible", "c", status=MatchOutcome.LINKED)
    store.links.upsert("bob", "abs", "d", status=MatchOutcome.LINKED)
    assert [x.source_item_id for x in store.links.list_for_user("alice")] == ["a", "b", "c"]
    assert [x.source_item_id for x in store.links.list_for_user("alice", MatchOutcome.LINKED)] == ["b", "c"]


def test_P4_record_written_remembers_the_last_write(store: Store) -> None:
    store.links.upsert("alice", "abs", "li_1", hardcover_book_id=10)
    at = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    link = store.links.record_written("alice", "abs", "li_1", 0.42, 1234.5, at)
    assert (link.last_progress, link.last_progress_seconds, link.last_written_at) == (0.42, 1234.5, at)


def test_progress_history_lists_observations_oldest_first(clocked_store: Store, clock: FakeClock) -> None:
    later = clock.now + timedelta(hours=1)
    clocked_store.history.record("alice", "abs", "li_1", 0.5, seconds=500.0, observed_at=later, written=True)
    clocked_store.history.record("alice", "abs", "li_1", 0.2, seconds=200.0, hardcover_book_id=7)
    clocked_store.history.record("alice", "abs", "other", 0.9)
    rows = clocked_store.history.list_for_item("alice", "abs", "li_1")
    assert [(r.progress, r.observed_at, r.written) for r in rows] == [
        (0.2, clock.now, False),
        (0.5, later, True),
    ]


def test_aware_datetimes_round_trip_as_utc(store: Store) -> None:
    berlin_summer = timezone(timedelta(hours=2))
    written = datetime(2024, 7, 1, 23, 30, 15, 123456, tzinfo=berlin_summer)
    store.links.upsert("alice", "abs", "li_1", last_written_at=written)
    read_back = store.links.get("alice", "abs", "li_1")
    assert read_back is not None and read_back.last_written_at is not None
    assert read_back.last_written_at == written
    assert read_back.last_written_at.utcoffset() == timedelta(0)
    assert read_back.last_written_at.hour == 21
    assert read_back.updated_at.tzinfo is not None


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        store.links.upsert("alice", "abs", "li_1", last_written_at=datetime(2024, 1, 1))
    assert store.links.get("alice", "abs", "li_1") is None
