"""The wanted job against the fakes in-process (W1-W4), on SQLite and PostgreSQL, and its pure plan."""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bookrelay.connectors.bookshelf.api import BookshelfApi
from bookrelay.connectors.bookshelf.session import BookshelfSession
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.hardcover.session import HardcoverSession
from bookrelay.connectors.rreading_glasses.api import RrgApi
from bookrelay.connectors.rreading_glasses.session import RrgSession
from bookrelay.domain.wanted import (
    AddToBookshelf,
    Deferred,
    LedgerRow,
    LibraryBook,
    Profile,
    RecordPresent,
    RootFolder,
    ShelfBook,
    UnmonitorRemoved,
    WaitForRetry,
    choose_target,
    plan_wanted,
)
from bookrelay.errors import ConfigError
from bookrelay.sandbox.bookshelf import BookshelfState, build_bookshelf_app
from bookrelay.sandbox.bookshelf.demo import DEMO_API_KEY, DEMO_TOKEN, WantedScenario, wanted_sections
from bookrelay.sandbox.hardcover import HardcoverState, build_hardcover_app
from bookrelay.sandbox.rreading_glasses import RrgState, build_rrg_app
from bookrelay.store import Store
from bookrelay.store.models import WantedState
from bookrelay.sync.wanted import WantedReport, WantedSettings, run_wanted
from tests.sync.harness import BOOK_PARTS_UNITS, DEPTH_LIMITED

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
USER = "reader"


class Sleeper:
    """Records waits instead of sleeping; ``on_sleep`` lets a test move the world meanwhile."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.on_sleep: Any = None

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(len(self.calls))


@dataclass
class World:
    scenario: WantedScenario
    hc: HardcoverState
    rrg: RrgState
    bs: BookshelfState
    hardcover: HardcoverApi
    bookshelf: BookshelfApi
    metadata: RrgApi
    sleeper: Sleeper
    rrg_hooks: list[Any]

    async def run(
        self,
        store: Store,
        *,
        now: datetime = NOW,
        dry_run: bool = False,
        limit: int | None = None,
        **settings: Any,
    ) -> WantedReport:
        return await run_wanted(
            hardcover=self.hardcover,
            bookshelf=self.bookshelf,
            metadata=self.metadata,
            store=store,
            user_id=USER,
            settings=WantedSettings(**settings),
            dry_run=dry_run,
            limit=limit,
            now=now,
        )


async def _world(scenario: WantedScenario) -> AsyncIterator[World]:
    hc = HardcoverState.from_fixture(scenario.hardcover)
    if DEPTH_LIMITED:
        # The Sleeper records waits without moving the fake's clock, so the free plan's burst of 10 never
        # refills; the depth-3 shelf (a page plus its books' parts: 5 units) would exhaust it by the second
        # run of a test, which real time would have refilled. Rate limits are not what these tests test.
        hc.limits.burst = 1_000
    rrg = RrgState.from_fixture(scenario.rreading_glasses)
    bs = BookshelfState.from_fixture(scenario.bookshelf, metadata=rrg)
    sleeper = Sleeper()
    hooks: list[Any] = []

    async def rrg_hook(request: httpx.Request) -> None:
        for hook in hooks:
            hook(request)

    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=build_hardcover_app(hc))) as hc_http,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_rrg_app(rrg)), event_hooks={"request": [rrg_hook]}
        ) as rrg_http,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=build_bookshelf_app(bs))) as bs_http,
    ):
        hc_session = HardcoverSession(
            hc_http, DEMO_TOKEN, url="http://hc/v1/graphql", sleep=sleeper, rng=random.Random(1)
        )
        yield World(
            scenario,
            hc,
            rrg,
            bs,
            HardcoverApi(hc_session),
            BookshelfApi(
                BookshelfSession(bs_http, DEMO_API_KEY, url="http://bs", sleep=sleeper, rng=random.Random(2))
            ),
            RrgApi(RrgSession(rrg_http, url="http://rrg", sleep=sleeper, rng=random.Random(3))),
            sleeper,
            hooks,
        )


@pytest.fixture
async def big() -> AsyncIterator[World]:
    async for world in _world(wanted_sections(250)):
        yield world


@pytest.fixture
async def small() -> AsyncIterator[World]:
    async for world in _world(wanted_sections(12, unknown_every=6, library_every=4, duplicate_every=5)):
        yield world


def _monitored_editions(bs: BookshelfState, foreign_id: str) -> list[str]:
    book = bs.book_by_foreign_id(foreign_id)
    assert book is not None, f"book {foreign_id} is not in Bookshelf"
    return [e.foreign_edition_id for e in book.editions if e.monitored]


async def test_W1_W2_W3_W4_shelf_of_250_with_an_outage(big: World, store: Store) -> None:
    scenario = big.scenario
    seen = {"rrg": 0}

    def outage(request: httpx.Request) -> None:
        seen["rrg"] += 1
        if seen["rrg"] == 60:  # the metadata server goes down in the middle of the run
            big.rrg.set_down(True)

    big.rrg_hooks.append(outage)
    big.sleeper.on_sleep = lambda n: big.rrg.set_down(False) if n >= 3 else None

    report = await big.run(store)

    assert big.sleeper.calls, "the outage was never seen"
    known = [b for b in scenario.shelf if b not in scenario.unknown]
    canonical = {b: scenario.duplicates.get(b, b) for b in known}
    for book_id in known:
        book = big.bs.book_by_foreign_id(str(canonical[book_id]))
        assert book is not None and book.monitored, book_id
        assert len(_monitored_editions(big.bs, str(canonical[book_id]))) == 1
    expected_adds = len(
        set(canonical.values()) - {scenario.duplicates.get(b, b) for b in scenario.in_library}
    )
    # Each book was posted once at most; an author's later shelf books were already there (unmonitored,
    # from the author refresh) and were monitored instead of posted again.
    added_rows, monitored_rows = report.with_outcome("added"), report.with_outcome("monitored")
    assert big.bs.stats()["books_added"] == len(added_rows) and big.bs.stats()["books_updated"] == 0
    assert len(added_rows) + len(monitored_rows) == expected_adds
    # W3: the rest of each author's books came in unmonitored.
    for extra in scenario.off_shelf:
        other = big.bs.book_by_foreign_id(str(extra))
        assert other is None or not other.monitored
    # W2: books already there were recorded, not posted.
    assert {r.hardcover_book_id for r in report.with_outcome("present")} == scenario.in_library
    # W4: the unknown ones are failed, visible, with a reason and a retry time.
    failed = {r.hardcover_book_id: r for r in report.with_outcome("failed")}
    assert set(failed) == scenario.unknown
    assert all("unknown to rreading-glasses" in (r.reason or "") and r.next_retry_at for r in failed.values())
    ledger = {row.hardcover_book_id: row for row in store.wanted.list_for_user(USER)}
    assert {b for b, r in ledger.items() if r.state == WantedState.FAILED} == scenario.unknown
    assert {b for b, r in ledger.items() if r.state == WantedState.ADDED} == {
        r.hardcover_book_id for r in added_rows
    }
    assert {b for b, r in ledger.items() if r.state != WantedState.FAILED} == set(known)
    assert all(r.isbn13 and r.cover_url for r in added_rows)
    assert (
        report.units_spent > 0
        and report.requests["bookshelf"] > 0
        and report.requests["rreading-glasses"] > 0
    )
    assert "Hardcover units" in report.summary()

    writes_before = big.bs.stats()["writes"]
    second = await big.run(store)
    assert big.bs.stats()["writes"] == writes_before
    # me + one unit a shelf page (and each page's books' parts, under the depth limit)
    page_units = 1 + (BOOK_PARTS_UNITS if DEPTH_LIMITED else 0)
    assert second.with_outcome("added") == [] and second.units_spent <= math.ceil(250 / 100) * page_units + 1
    assert {r.hardcover_book_id for r in second.with_outcome("waiting")} == scenario.unknown


async def test_dry_run_writes_nothing(big: World, store: Store) -> None:
    report = await big.run(store, dry_run=True)
    assert big.bs.stats()["writes"] == 0 and big.bs.stats()["books_added"] == 0
    assert store.wanted.list_for_user(USER) == []
    would = report.with_outcome("would_add")
    assert len(would) == len(
        {big.scenario.duplicates.get(b, b) for b in big.scenario.shelf}
        - big.scenario.unknown
        - {big.scenario.duplicates.get(b, b) for b in big.scenario.in_library}
    )
    assert report.dry_run and report.summary().startswith("dry run")


async def test_W4_failures_retry_with_backoff(small: World, clocked_store: Store, clock: Any) -> None:
    small.rrg.set_down(True)
    first = await small.run(clocked_store, now=clock())
    failed = first.with_outcome("failed")
    assert failed and all("unavailable" in (r.reason or "") for r in failed)
    assert len(failed) == 3  # then the run stops trying: the rest wait for the next run
    assert first.with_outcome("deferred")
    row = clocked_store.wanted.get(USER, failed[0].hardcover_book_id)
    assert row is not None and row.attempts == 1
    assert row.next_retry_at is not None
    assert row.next_retry_at.replace(tzinfo=UTC) - clock() == timedelta(hours=1)

    clock.advance(timedelta(minutes=30))
    waiting = await small.run(clocked_store, now=clock())
    assert {r.hardcover_book_id for r in waiting.with_outcome("waiting")} >= {
        r.hardcover_book_id for r in failed
    }

    clock.advance(timedelta(minutes=31))
    small.rrg.set_down(False)
    again = await small.run(clocked_store, now=clock())
    retried = {r.hardcover_book_id: r for r in again.retried}
    assert set(retried) >= {r.hardcover_book_id for r in failed}
    unknown = small.scenario.unknown
    assert all(r.outcome in {"added", "present"} for b, r in retried.items() if b not in unknown)
    for book_id in unknown & set(retried):
        row = clocked_store.wanted.get(USER, book_id)
        assert row is not None and row.attempts == 2
        assert row.next_retry_at is not None
        assert row.next_retry_at.replace(tzinfo=UTC) - clock() == timedelta(hours=2)


async def test_W4_one_odd_book_fails_alone_and_every_book_is_logged_by_title(
    small: World, store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    odd = next(b for b in small.scenario.shelf if b not in small.scenario.unknown | small.scenario.in_library)
    real_work = small.metadata.work

    async def work(book_id: int) -> Any:
        if book_id == odd:
            raise KeyError("editions")  # a bug or an answer nobody foresaw, for this book only
        return await real_work(book_id)

    monkeypatch.setattr(small.metadata, "work", work)
    with caplog.at_level("INFO", logger="bookrelay.wanted"):
        report = await small.run(store)
    (failed,) = [r for r in report.with_outcome("failed") if r.hardcover_book_id == odd]
    assert "KeyError" in (failed.reason or "")
    assert report.with_outcome("added")  # the other books went on
    lines = [r.getMessage() for r in caplog.records if r.name == "bookrelay.wanted"]
    assert any(line.startswith("hardcover: fetching the Want-to-Read list") for line in lines)
    assert any(f'failed to add "Book {odd}"' in line and "KeyError" in line for line in lines)
    for row in report.rows:  # every book has its line, by title and author
        assert any(f'"{row.title}" by Author' in line for line in lines), row.title
    assert sum("bookshelf: added book" in line for line in lines) == len(report.with_outcome("added"))


async def test_W3_author_refresh_leftovers_on_the_shelf_get_monitored(small: World, store: Store) -> None:
    report = await small.run(store)
    # Books of the same author: the first add brought the others in unmonitored; the job monitors them.
    monitored = report.with_outcome("monitored")
    assert monitored
    for row in monitored:
        assert small.bs.books[row.bookshelf_book_id].monitored  # type: ignore[index]
    assert small.bs.stats()["searches"] >= len(report.with_outcome("added")) + len(monitored)


async def test_limit_defers_the_rest(small: World, store: Store) -> None:
    report = await small.run(store, limit=2)
    assert len(report.with_outcome("added", "failed", "monitored")) <= 2
    assert report.with_outcome("deferred")
    deferred = report.with_outcome("deferred")[0].hardcover_book_id
    assert store.wanted.get(USER, deferred) is None


async def test_unmonitor_removed_is_off_by_default_then_unmonitors(small: World, store: Store) -> None:
    await small.run(store)
    added = [r for r in store.wanted.list_for_user(USER) if r.state == WantedState.ADDED]
    gone = added[0]
    for key, row in list(small.hc.rows("user_books").items()):
        if row["book_id"] == gone.hardcover_book_id:
            small.hc.delete("user_books", key)
    await small.run(store)
    assert small.bs.books[gone.bookshelf_book_id].monitored  # type: ignore[index]
    report = await small.run(store, unmonitor_removed=True)
    assert [r.hardcover_book_id for r in report.with_outcome("unmonitored")] == [gone.hardcover_book_id]
    assert not small.bs.books[gone.bookshelf_book_id].monitored  # type: ignore[index]
    again = await small.run(store, unmonitor_removed=True)
    assert again.with_outcome("unmonitored") == []


async def test_bad_profile_name_is_a_config_error(small: World, store: Store) -> None:
    with pytest.raises(ConfigError, match=r"bookshelf\.quality_profile"):
        await small.run(store, quality_profile="Nope")
    report = await small.run(store, quality_profile="Spoken", root_folder="/books")
    # Authors new to Bookshelf take the chosen profile; existing ones keep theirs (ref A.5).
    authors = [small.bs.books[r.bookshelf_book_id].author for r in report.with_outcome("added")]  # type: ignore[index]
    assert {a.quality_profile_id for a in authors} == {1, 2}
    assert all(a.quality_profile_id == 1 for a in authors if a.id == 1)


# -- the pure plan ------------------------------------------------------------------------------------


def test_W2_present_by_foreign_id_never_by_title() -> None:
    shelf = [ShelfBook(1, "Dune"), ShelfBook(2, "Emma")]
    library = {"77": LibraryBook(5, "77", "Dune", True), "2": LibraryBook(6, "2", "Other title", False)}
    plan = plan_wanted(shelf, {}, library, now=NOW)
    assert isinstance(plan.actions[0], AddToBookshelf)
    present = plan.actions[1]
    assert isinstance(present, RecordPresent) and present.library_book.id == 6 and present.monitor


def test_W1_ledger_rows_are_not_sent_again_and_W4_waits() -> None:
    shelf = [ShelfBook(1), ShelfBook(2), ShelfBook(3), ShelfBook(3)]
    ledger = {
        1: LedgerRow(1, "added", bookshelf_book_id=9),
        2: LedgerRow(2, "failed", attempts=2, next_retry_at=NOW + timedelta(minutes=1), reason="down"),
        3: LedgerRow(3, "failed", attempts=1, next_retry_at=NOW - timedelta(minutes=1)),
    }
    plan = plan_wanted(shelf, ledger, {}, now=NOW)
    kinds = [type(a).__name__ for a in plan.actions]
    assert kinds == ["AlreadyDone", "WaitForRetry", "AddToBookshelf"]
    wait = plan.actions[1]
    assert isinstance(wait, WaitForRetry) and wait.reason == "down"
    add = plan.actions[2]
    assert isinstance(add, AddToBookshelf) and add.retry and add.attempts == 1


def test_plan_limit_and_removed_books() -> None:
    shelf = [ShelfBook(i) for i in range(1, 5)]
    ledger = {
        9: LedgerRow(9, "added", bookshelf_book_id=90),
        8: LedgerRow(8, "present", bookshelf_book_id=80),
    }
    plan = plan_wanted(shelf, ledger, {}, now=NOW, limit=2, unmonitor_removed=True)
    assert len(plan.of(AddToBookshelf)) == 2 and len(plan.of(Deferred)) == 2
    removed = plan.of(UnmonitorRemoved)
    assert [(r.book_id, r.bookshelf_book_id) for r in removed] == [(9, 90)]  # type: ignore[union-attr]
    assert plan_wanted(shelf, ledger, {}, now=NOW).of(UnmonitorRemoved) == []


def test_choose_target_defaults_and_names() -> None:
    folders = [RootFolder(1, "Books", "/books", 2, 1), RootFolder(2, "Audio", "/audio", 1, 1)]
    quality = [Profile(1, "eBook"), Profile(2, "Spoken")]
    meta = [Profile(1, "Standard")]
    assert choose_target(folders, quality, meta).quality_profile_id == 2
    chosen = choose_target(folders, quality, meta, root_folder="audio", quality_profile="2")
    assert (chosen.root_folder_path, chosen.quality_profile_id) == ("/audio", 2)
    with pytest.raises(ConfigError, match=r"bookshelf\.root_folder"):
        choose_target(folders, quality, meta, root_folder="/nowhere")
    with pytest.raises(ConfigError, match=r"bookshelf\.root_folder"):
        choose_target([], quality, meta)
