"""Conflicts: one open per item, decided by resolving (a manual pin) or ignoring."""

from __future__ import annotations

import pytest

from bookrelay.errors import NotFound
from bookrelay.matching.outcome import LinkMethod, MatchOutcome
from bookrelay.store import ConflictStatus, Store

CANDIDATES = [
    {"book_id": 1, "title": "Dune", "score": 0.7, "parts": {"title": 0.5, "author": 0.2}},
    {"book_id": 2, "title": "Dune Messiah", "score": 0.65, "parts": {"title": 0.4, "author": 0.25}},
]


def test_M4_opening_a_conflict_twice_keeps_one_open_row(store: Store) -> None:
    first = store.conflicts.open("alice", "abs", "li_1", "Dune", "ambiguous", CANDIDATES)
    again = store.conflicts.open("alice", "abs", "li_1", "Dune", "still ambiguous", CANDIDATES[:1])
    assert again.id == first.id
    assert (again.reason, again.candidates) == ("still ambiguous", CANDIDATES[:1])
    assert [c.id for c in store.conflicts.list()] == [first.id]
    assert store.conflicts.get(first.id).candidates[0]["parts"] == {"title": 0.5, "author": 0.2}


def test_M1_resolving_pins_the_link_manually(store: Store) -> None:
    conflict = store.conflicts.open("alice", "abs", "li_1", "Dune", "ambiguous", CANDIDATES)
    resolved = store.conflicts.resolve(conflict.id, 2, 22)
    assert resolved.status == ConflictStatus.RESOLVED
    assert resolved.resolution == {"hardcover_book_id": 2, "hardcover_edition_id": 22}
    link = store.links.get("alice", "abs", "li_1")
    assert link is not None
    assert (link.pinned, link.method, link.hardcover_book_id, link.status) == (
        True,
        LinkMethod.MANUAL,
        2,
        MatchOutcome.LINKED,
    )
    assert store.conflicts.list() == []
    assert [c.id for c in store.conflicts.list(ConflictStatus.RESOLVED)] == [conflict.id]


def test_a_new_conflict_may_open_after_the_old_one_is_decided(store: Store) -> None:
    old = store.conflicts.open("alice", "abs", "li_1", "Dune", "ambiguous", CANDIDATES)
    store.conflicts.resolve(old.id, 1)
    new = store.conflicts.open("alice", "abs", "li_1", "Dune", "edition vanished", CANDIDATES)
    assert new.id != old.id
    assert len(store.conflicts.list(None)) == 2


def test_ignoring_a_conflict_ignores_the_item(store: Store) -> None:
    conflict = store.conflicts.open("alice", "abs", "li_1", "Dune", "ambiguous", CANDIDATES)
    assert store.conflicts.ignore(conflict.id).status == ConflictStatus.IGNORED
    link = store.links.get("alice", "abs", "li_1")
    assert link is not None and link.status == MatchOutcome.IGNORED


def test_deciding_twice_or_a_missing_conflict_is_not_found(store: Store) -> None:
    conflict = store.conflicts.open("alice", "abs", "li_1", "Dune", "ambiguous", CANDIDATES)
    store.conflicts.ignore(conflict.id)
    with pytest.raises(NotFound, match="already ignored"):
        store.conflicts.resolve(conflict.id, 1)
    with pytest.raises(NotFound):
        store.conflicts.get(conflict.id + 1000)


def test_list_filters_by_user(store: Store) -> None:
    store.conflicts.open("alice", "abs", "li_1", "Dune", "ambiguous", CANDIDATES)
    bobs = store.conflicts.open("bob", "abs", "li_1", "Dune", "ambiguous", CANDIDATES)
    assert [c.id for c in store.conflicts.list(user_id="bob")] == [bobs.id]
