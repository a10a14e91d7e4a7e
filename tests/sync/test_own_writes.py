"""P11: which dates on Hardcover an unfinished write of ours answers for, and which are the user's."""

from __future__ import annotations

from datetime import date

from bookrelay.domain.models import Read, Status, UserBook
from bookrelay.sync.own_writes import Claim, claim_payload, claims_by_item, own_reads

WRITE_DAY = date(2026, 12, 2)


def entry(*reads: Read) -> UserBook:
    return UserBook(id=50, book_id=7, status=Status.READING, reads=reads)


def claims(before: UserBook | None) -> dict[str, list[Claim]]:
    payload = {"item": "item-1", "actions": ["AddToShelf"], **claim_payload(7, before, WRITE_DAY)}
    return claims_by_item([(1, payload)])


def test_P11_a_read_created_after_our_write_and_dated_that_day_is_ours() -> None:
    (claim,) = claims(None)["item-1"]
    created, finished = own_reads([claim], entry(Read(id=9, started_at=WRITE_DAY)))
    assert created == {9} and finished == frozenset()


def test_P11_a_date_the_user_set_by_hand_is_respected() -> None:
    """A read that appeared after our write but carries an earlier date was dated by the user, not by us."""
    (claim,) = claims(None)["item-1"]
    created, _ = own_reads([claim], entry(Read(id=9, started_at=date(2026, 10, 3))))
    assert created == frozenset()


def test_P11_an_open_read_hardcover_finished_after_our_status_write_has_our_finish_date() -> None:
    before = entry(Read(id=4, started_at=date(2026, 8, 5)))
    (claim,) = claims(before)["item-1"]
    now = entry(Read(id=4, started_at=date(2026, 8, 5), finished_at=WRITE_DAY))
    created, finished = own_reads([claim], now)
    assert created == frozenset() and finished == {4}


def test_P11_a_read_that_was_there_before_our_write_is_never_ours() -> None:
    before = entry(Read(id=4, started_at=WRITE_DAY))
    (claim,) = claims(before)["item-1"]
    assert own_reads([claim], before) == (frozenset(), frozenset())


def test_P11_an_outbox_entry_of_another_book_or_without_reads_claims_nothing() -> None:
    other = claims_by_item([(1, {"item": "item-1", "book_id": 8, "reads_before": {}, "day": "2026-12-02"})])
    old = claims_by_item([(2, {"item": "item-1", "actions": ["StartRead"]})])
    broken = claims_by_item([(3, {"item": "item-1", "reads_before": {"x": 1}, "day": "not a day"})])
    now = entry(Read(id=9, started_at=WRITE_DAY))
    for found in (other, old, broken):
        assert own_reads(found["item-1"], now) == (frozenset(), frozenset())
