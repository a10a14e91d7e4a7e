"""The links table keeps matching's own enums (``matching/outcome.py``) with the values the migrations
created: the same stored text, each read back as its member, and a one-run outcome never stored."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import StatementError

from bookrelay.matching.outcome import CacheKind, LinkMethod, MatchOutcome
from bookrelay.store import Store
from bookrelay.store.models import STORED_OUTCOMES


def test_the_stored_values_are_those_of_the_first_migration() -> None:
    assert [o.value for o in STORED_OUTCOMES] == ["linked", "conflict", "unmatched", "ignored"]
    assert [m.value for m in LinkMethod] == ["pin", "asin", "isbn", "fuzzy", "shelf", "manual"]
    assert [k.value for k in CacheKind] == ["asin", "isbn13", "isbn10", "search"]


@pytest.mark.parametrize("outcome", STORED_OUTCOMES)
def test_every_stored_outcome_reads_back_as_its_member(store: Store, outcome: MatchOutcome) -> None:
    store.links.upsert("alice", "abs", "li_1", status=outcome, method=LinkMethod.SHELF)
    link = store.links.get("alice", "abs", "li_1")
    assert link is not None
    assert link.status is outcome
    assert link.method is LinkMethod.SHELF
    assert [x.source_item_id for x in store.links.list_for_user("alice", status=outcome)] == ["li_1"]


def test_a_failed_match_lasts_one_run_and_is_never_stored(store: Store) -> None:
    with pytest.raises(StatementError, match="'failed' is not among the defined enum values"):
        store.links.upsert("alice", "abs", "li_1", status=MatchOutcome.FAILED)
    assert store.links.get("alice", "abs", "li_1") is None
