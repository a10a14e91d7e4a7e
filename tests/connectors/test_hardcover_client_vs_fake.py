"""The real Hardcover client against the sandbox fake (``httpx.ASGITransport``), rule by rule N1-N5, P11.

One fake clock drives both sides, so pacing is checked without sleeping: the recording ``sleep`` moves it.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from bookrelay.connectors.hardcover import AmbiguousWrite, HardcoverApi, HardcoverSession, WriteOp
from bookrelay.domain.models import Status
from bookrelay.errors import AuthError, BadResponse, QuotaExhausted
from bookrelay.sandbox.hardcover import HardcoverState, build_hardcover_app

TODAY = "2026-11-26"
ALICE_TOKEN = "hc_pat_alice_fake_0001"


def fixture_section(daily: int = 5000) -> dict[str, Any]:
    books = [
        {"id": 100 + i, "title": f"Book {i}", "subtitle": None, "slug": f"book-{i}", "release_year": 2020,
         "alternative_titles": [], "author_ids": [10], "series": [], "users_count": 10, "image_url": None,
         "canonical_id": None}
        for i in range(6)
    ]  # fmt: skip
    editions = [
        {"id": 1000 + i, "book_id": 100 + i, "title": f"Book {i}", "subtitle": None,
         "isbn_13": f"978000000000{i}", "isbn_10": None, "asin": None, "pages": 300, "audio_seconds": None,
         "reading_format_id": 1, "edition_format": "Hardcover", "users_count": 5,
         "release_date": "2020-01-01", "language": "en"}
        for i in range(6)
    ]  # fmt: skip
    user_books = [
        {"id": 5000 + i, "user_id": 1, "book_id": 100 + i, "edition_id": 1000 + i, "status_id": 2,
         "rating": None, "owned": False, "date_added": "2026-01-01",
         "reads": [{"id": 7000 + i, "edition_id": 1000 + i, "started_at": "2026-01-01", "finished_at": None,
                    "paused_at": None, "progress_pages": 10, "progress_seconds": None}]}
        for i in range(5)
    ]  # fmt: skip
    return {
        "limits": {"per_minute": 60, "burst": 10, "daily": daily, "max_top_level": 5},
        "today": TODAY,
        "users": [
            {
                "id": 1,
                "username": "alice",
                "name": "Alice",
                "token": ALICE_TOKEN,
                "scopes": ["all"],
                "account_privacy_setting_id": 1,
                "timezone": "Europe/Berlin",
            },
            {
                "id": 2,
                "username": "bob",
                "name": "Bob",
                "token": "hc_pat_bob_catalog_only",
                "scopes": ["read:catalog"],
            },
        ],
        "authors": [{"id": 10, "name": "Ann Author"}],
        "books": books,
        "editions": editions,
        "user_books": user_books,
    }


class FakeClock:
    """Epoch-like seconds that only move when the client sleeps or a test says so."""

    def __init__(self) -> None:
        self.now = 1_795_690_000.0  # 2026-11-26, mid-day UTC

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    state: HardcoverState
    clock: FakeClock
    sleeps: list[float]
    http: httpx.AsyncClient

    def api(self, token: str = ALICE_TOKEN, **kwargs: Any) -> HardcoverApi:
        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            self.clock.now += seconds

        session = HardcoverSession(
            self.http,
            token,
            url="http://hardcover.test/v1/graphql",
            clock=self.clock,
            sleep=sleep,
            rng=random.Random(3),
            **kwargs,
        )
        return HardcoverApi(session)

    def read(self, user_book_id: int, read_id: int) -> dict[str, Any]:
        entry = next(ub for ub in self.state.snapshot()["user_books"] if ub["id"] == user_book_id)
        return next(r for r in entry["reads"] if r["id"] == read_id)


async def _rig(section: dict[str, Any]) -> AsyncIterator[Rig]:
    clock = FakeClock()
    state = HardcoverState.from_fixture(section, clock=clock)
    transport = httpx.ASGITransport(app=build_hardcover_app(state))
    async with httpx.AsyncClient(transport=transport) as http:
        yield Rig(state, clock, [], http)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async for value in _rig(fixture_section()):
        yield value


async def test_N1_pacing_keeps_a_30_request_run_free_of_429(rig: Rig) -> None:
    api = rig.api()
    for _ in range(30):
        assert (await api.me()).username == "alice"
    stats = rig.state.stats()
    assert stats["rate_limited"] == 0
    assert stats["requests"] == 30 and stats["units"] == 30
    assert sum(rig.sleeps) == pytest.approx(20.0, abs=1.0)  # 10 at once, then one a second
    assert api.session.budget.daily_remaining == 5000 - 30


async def test_N1_spent_daily_budget_stops_before_sending() -> None:
    async for rig in _rig(fixture_section(daily=3)):
        api = rig.api()
        for _ in range(3):
            await api.me()
        with pytest.raises(QuotaExhausted) as caught:
            await api.me()
        assert rig.state.stats()["requests"] == 3
        assert caught.value.resets_in is not None and caught.value.resets_in > 0


async def test_N2_fail_next_429_retry_after_is_honoured(rig: Rig) -> None:
    rig.state.fail_next(429, retry_after=3)
    api = rig.api()
    assert (await api.me()).id == 1
    assert 3.0 in rig.sleeps
    assert rig.state.stats()["requests"] == 2


async def test_N2_503_is_retried_on_reads_and_writes(rig: Rig) -> None:
    api = rig.api()
    rig.state.fail_next(503)
    assert (await api.me()).id == 1
    rig.state.fail_next(503)
    read = await api.update_user_book_read(7000, {"progress_pages": 42})
    assert read.progress_pages == 42
    assert rig.read(5000, 7000)["progress_pages"] == 42
    assert rig.state.stats()["requests"] == 4
    assert rig.state.stats()["writes"] == 1


async def test_N2_500_on_a_write_is_ambiguous_and_not_retried(rig: Rig) -> None:
    api = rig.api()
    rig.state.fail_next(500)
    with pytest.raises(AmbiguousWrite):
        await api.update_user_book_read(7000, {"progress_pages": 99})
    assert rig.state.stats()["requests"] == 1
    assert rig.read(5000, 7000)["progress_pages"] == 10  # the caller re-reads before retrying (P11)


async def test_N3_graphql_errors_are_bad_response(rig: Rig) -> None:
    api = rig.api()
    with pytest.raises(BadResponse, match="no_such_field"):
        await api.session.execute("query Broken { me { id no_such_field } }")


async def test_N3_a_mutation_error_is_a_failure(rig: Rig) -> None:
    api = rig.api()
    with pytest.raises(BadResponse, match="Record not found"):
        await api.update_user_book(999_999, status=Status.READ)


async def test_N4_unknown_token_is_auth_error_naming_the_token(rig: Rig) -> None:
    api = rig.api("Bearer hc_pat_nobody_knows_me", token_name="HC_TOKEN_ALICE")
    with pytest.raises(AuthError) as caught:
        await api.me()
    assert caught.value.token_name == "HC_TOKEN_ALICE"
    assert "hc_pat_nobody_knows_me" not in str(caught.value)


async def test_N4_missing_scope_is_auth_error_naming_the_scope(rig: Rig) -> None:
    api = rig.api("hc_pat_bob_catalog_only")
    with pytest.raises(AuthError) as caught:
        await api.shelf(2)
    assert caught.value.scope == "read:library"


async def test_N5_five_packed_writes_are_one_request_and_five_units(rig: Rig) -> None:
    api = rig.api()
    before = rig.state.stats()
    ops = [WriteOp.update_user_book_read(7000 + i, {"progress_pages": 100 + i}) for i in range(5)]
    results = await api.run_writes(ops)
    after = rig.state.stats()
    assert after["requests"] - before["requests"] == 1
    assert after["units"] - before["units"] == 5
    assert [r.read.progress_pages if r.read else None for r in results] == [100, 101, 102, 103, 104]
    assert [rig.read(5000 + i, 7000 + i)["progress_pages"] for i in range(5)] == [100, 101, 102, 103, 104]


async def test_N5_one_failing_op_does_not_hide_the_others(rig: Rig) -> None:
    api = rig.api()
    ops = [
        WriteOp.update_user_book_read(7000, {"progress_pages": 50}),
        WriteOp.update_user_book_read(999_999, {"progress_pages": 50}),
        WriteOp.update_user_book(5001, rating=4.5),
    ]
    results = await api.run_writes(ops)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error
    assert results[2].user_book is not None and results[2].user_book.rating == 4.5


async def test_P11_status_read_side_effect_is_adopted_from_the_mutation_answer(rig: Rig) -> None:
    api = rig.api()
    before = rig.state.stats()["requests"]
    entry = await api.update_user_book(5000, status=Status.READ)
    assert rig.state.stats()["requests"] - before == 1  # no re-query needed
    assert entry.status is Status.READ
    newest = entry.reads[0]
    assert newest.id == 7000  # the open read was finished, not duplicated
    assert newest.finished_at == date.fromisoformat(TODAY)
    assert len(entry.reads) == 1


async def test_catalogue_and_shelf_round_trip_through_the_fake(rig: Rig) -> None:
    api = rig.api()
    hits = await api.editions_by_identifiers(["9780000000003"], [], [])
    assert [e.id for e in hits.editions] == [1003]
    book = hits.book_for(hits.editions[0])
    assert book is not None and book.authors == ("Ann Author",)
    shelf = await api.shelf(1, page_size=2)
    assert [e.id for e in shelf] == [5000, 5001, 5002, 5003, 5004]
    assert shelf[0].reads[0].started_at == date(2026, 1, 1)
    mine = await api.user_books_for_books(1, [102, 105])
    assert [e.book_id for e in mine] == [102]
    books = await api.books_by_ids([105, 100])
    assert [b.id for b in books] == [105, 100]
