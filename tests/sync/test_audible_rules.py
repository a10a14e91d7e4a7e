"""Audible as a second source of the progress job, end to end: the real ``audible`` client through our
session against the fake Audible, the fake Hardcover, and the store on SQLite and PostgreSQL.
Rules A1-A4 (docs/rules.md), on a library of 120 titles and on small worlds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bookrelay.app import audible_calls, audible_limits
from bookrelay.config import Config
from bookrelay.matching.outcome import LinkMethod
from bookrelay.sandbox.audible import new_device_auth
from bookrelay.sandbox.server import build_sandbox
from bookrelay.store.facade import Store
from bookrelay.sync import audible_auth
from tests.sync.harness import ABS_KEY, FAST_LIMITS, HC_TOKEN, Runner, World

AUDIO = {"reading_format_id": 2, "edition_format": "Audiobook"}
READING, READ = 2, 3


def audio(asin: str | None, seconds: int, **extra: Any) -> dict[str, Any]:
    return {**AUDIO, "asin": asin, "audio_seconds": seconds, **extra}


@dataclass
class AudibleWorld:
    """A harness World plus Alice's Audible account: library items, positions and finish events."""

    world: World = field(default_factory=World)
    library: list[dict[str, Any]] = field(default_factory=list)
    positions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    device: dict[str, Any] = field(default_factory=lambda: new_device_auth("us", expires=time.time() + 3600))

    def title(
        self,
        asin: str,
        title: str,
        author: str,
        *,
        minutes: int = 600,
        percent: float = 0.0,
        finished: bool = False,
        position_ms: int | None = None,
        heard: str = "2026-11-20 21:00:00.000",
        finished_at: str | None = None,
    ) -> str:
        """An Audible library title with its progress; returns the ASIN."""
        self.library.append(
            {
                "asin": asin,
                "title": title,
                "authors": [{"asin": None, "name": author}],
                "narrators": [{"asin": None, "name": "A Narrator"}],
                "runtime_length_min": minutes,
                "release_date": "2020-01-01",
                "percent_complete": 100.0 if finished else percent,
                "is_finished": finished,
            }
        )
        if position_ms is not None:
            self.positions[asin] = {"position_ms": position_ms, "last_updated": heard}
        if finished_at is not None:
            self.events.append({"asin": asin, "event_timestamp": finished_at, "is_marked_as_finished": True})
        return asin

    def fixture(self) -> dict[str, Any]:
        fixture = self.world.fixture()
        fixture["audible"] = {
            "rate_limit_per_minute": 600,
            "accounts": [
                {
                    "name": "alice",
                    "auth": self.device,
                    "library": self.library,
                    "positions": self.positions,
                    "finished_events": self.events,
                }
            ],
        }
        return fixture

    def config(self, *, abs_too: bool = True, **audible: Any) -> Config:
        user: dict[str, Any] = {
            "id": "alice",
            "hardcover": {"token": HC_TOKEN},
            "audible": {"locale": "us", "enabled": True},
        }
        if abs_too:
            user["audiobookshelf"] = {"url": "http://sandbox/abs", "api_key": ABS_KEY}
        return Config.model_validate(
            {
                "global": {
                    "timezone": self.world.timezone,
                    "hardcover": {
                        "url": "http://sandbox/hardcover/v1/graphql",
                        **{k: v for k, v in FAST_LIMITS.items() if k != "max_top_level"},
                    },
                    "audible": {"url": "http://sandbox/audible", **audible},
                },
                "users": [user],
            }
        )

    def runner(self, store: Store, *, abs_too: bool = True, **audible: Any) -> Runner:
        """A runner whose store holds Alice's Audible login (as `bookrelay audible login` leaves it)."""
        audible_auth.save_auth(store, "alice", self.device)
        return Runner(
            self.world, store, build_sandbox(self.fixture()), self.config(abs_too=abs_too, **audible)
        )


@dataclass
class Library120:
    """120 Audible titles: 30 finished, 40 in progress, 45 unstarted, and one title each also in
    Audiobookshelf with older progress (A4), with sync disabled (A1), pinned to another book (A2),
    matched only by title, author and runtime (M4), and absent from Hardcover."""

    finished: dict[str, int] = field(default_factory=dict)  # asin → Hardcover book
    in_progress: dict[str, tuple[int, float, int]] = field(default_factory=dict)  # asin → book, pct, secs
    unstarted: dict[str, int] = field(default_factory=dict)
    shared: tuple[str, str, int] = ("", "", 0)  # asin, ABS item, book
    disabled: tuple[str, int] = ("", 0)
    pinned: tuple[str, int, int] = ("", 0, 0)  # asin, book its ASIN names, book it is pinned to
    fuzzy: tuple[str, int] = ("", 0)
    absent: str = ""


def build_library(aw: AudibleWorld) -> Library120:
    lib = Library120()
    w = aw.world

    def book(i: int, asin: str | None, minutes: int) -> int:
        return w.book(f"Audible Title {i:03d}", f"Writer {i % 17}", editions=[audio(asin, minutes * 60)])

    for i in range(30):
        asin, minutes = f"B0FIN{i:05d}", 300 + i
        lib.finished[asin] = book(i, asin, minutes)
        aw.title(
            asin,
            f"Audible Title {i:03d}",
            f"Writer {i % 17}",
            minutes=minutes,
            finished=True,
            finished_at=f"2026-10-{1 + i % 28:02d}T23:30:00Z",  # already the next day in Berlin: P10
        )
    for i in range(30, 70):
        asin, minutes, pct = f"B0RUN{i:05d}", 400 + i, 10.0 + i
        lib.in_progress[asin] = (book(i, asin, minutes), pct, minutes * 60)
        aw.title(
            asin,
            f"Audible Title {i:03d}",
            f"Writer {i % 17}",
            minutes=minutes,
            percent=pct,
            position_ms=int(pct / 100 * minutes * 60_000),
        )
    for i in range(70, 115):
        asin = f"B0NEW{i:05d}"
        lib.unstarted[asin] = book(i, asin, 500)
        aw.title(asin, f"Audible Title {i:03d}", f"Writer {i % 17}", minutes=500)
    # A4: Audiobookshelf has the same book at 20 % from 1 Nov; Audible at 60 % from 20 Nov.
    shared_book = book(115, "B0SHARED15", 600)
    aw.title("B0SHARED15", "Audible Title 115", "Writer 13", percent=60.0, position_ms=21_600_000)
    abs_item = w.item("Audible Title 115", "Writer 13", duration=36_000.0, asin="B0SHARED15")
    w.listen(abs_item, current=7_200.0, duration=36_000.0, updated="2026-11-01T10:00:00")
    lib.shared = ("B0SHARED15", abs_item, shared_book)
    # A1: a title of the shared account that is not Alice's.
    lib.disabled = ("B0KIDS0116", book(116, "B0KIDS0116", 600))
    aw.title("B0KIDS0116", "Audible Title 116", "Writer 14", percent=50.0, position_ms=18_000_000)
    # A2: the ASIN names one book, Alice pinned the title to another (a dramatised edition).
    named = book(117, "B0PINNED17", 600)
    chosen = w.book("A Dramatised Production", "Other Writer", editions=[audio(None, 40_000)])
    aw.title("B0PINNED17", "Audible Title 117", "Writer 15", percent=25.0, position_ms=9_000_000)
    lib.pinned = ("B0PINNED17", named, chosen)
    # M4: Hardcover has no edition with this ASIN; title, author and runtime find it.
    fuzzy_book = w.book("The Quiet Lighthouse", "Maren Holt", editions=[audio(None, 43_200)])
    aw.title(
        "B0FUZZY118", "The Quiet Lighthouse", "Maren Holt", minutes=720, percent=40.0, position_ms=17_280_000
    )
    lib.fuzzy = ("B0FUZZY118", fuzzy_book)
    aw.title("B0NOWHERE9", "A Title Nobody Catalogued", "Unknown Writer", percent=30.0, position_ms=5_000_000)
    lib.absent = "B0NOWHERE9"
    assert len(aw.library) == 120
    return lib


def with_chunk_size(config: Config, size: int) -> Config:
    """The same configuration with another ``global.sync.chunk_size``."""
    sync = config.global_.sync.model_copy(update={"chunk_size": size})
    return config.model_copy(update={"global_": config.global_.model_copy(update={"sync": sync})})


@pytest.mark.parametrize("chunk_size", [500, 7], ids=["one-chunk", "chunks-of-7"])
async def test_A1_to_A4_library_of_120_titles_ends_in_the_expected_hardcover_state(
    store: Store, chunk_size: int
) -> None:
    """In one chunk, and in chunks of 7 (global.sync.chunk_size): A4 still sees both sources' copies."""
    aw = AudibleWorld()
    lib = build_library(aw)
    store.links.upsert("alice", "audible", lib.disabled[0], sync_enabled=False)  # A1, before any sync
    store.links.pin("alice", "audible", lib.pinned[0], lib.pinned[2])  # A2
    runner = aw.runner(store)
    runner.config = with_chunk_size(runner.config, chunk_size)
    report = await runner.sync(keep_plan=True)

    assert report.error is None and report.notes == []
    for asin, book_id in lib.finished.items():  # P6 with the finish date from the finished events
        entry = runner.user_book(book_id)
        assert entry is not None and entry["status_id"] == READ, asin
        (read,) = entry["reads"]
        day = int(asin[-2:]) % 28 + 1
        assert read["finished_at"] == f"2026-10-{day + 1:02d}"  # 23:30 UTC is the next day in Berlin
    for asin, (book_id, pct, seconds) in lib.in_progress.items():  # P7 + P2 in seconds
        entry = runner.user_book(book_id)
        assert entry is not None and entry["status_id"] == READING, asin
        (read,) = entry["reads"]
        assert read["progress_seconds"] == round(pct / 100 * seconds) and read["finished_at"] is None
    assert all(runner.user_book(b) is None for b in lib.unstarted.values())
    # A4: Audible's newer 60 % wins over Audiobookshelf's older 20 %.
    asin, abs_item, shared_book = lib.shared
    shared = runner.user_book(shared_book)
    assert shared is not None and [r["progress_seconds"] for r in shared["reads"]] == [21_600]
    assert any(
        "superseded by audible" in line
        for item in report.plan
        if item.item_id == abs_item
        for line in item.describe()
    )
    # A1: nothing written for the disabled title; A2: the pin wins over the ASIN.
    assert runner.user_book(lib.disabled[1]) is None
    assert runner.user_book(lib.pinned[1]) is None
    pinned = runner.user_book(lib.pinned[2])
    assert pinned is not None and pinned["reads"][0]["progress_seconds"] == 10_000  # 25 % of 40,000 s
    fuzzy = runner.user_book(lib.fuzzy[1])
    assert fuzzy is not None and fuzzy["reads"][0]["progress_seconds"] == 17_280
    assert [u[0] for u in report.unmatched] == [lib.absent]

    # 30 finished + 40 in progress + shared + pinned + fuzzy written; the ABS copy held by A4.
    assert report.written == 73
    assert report.disabled == 1 and report.held["A4"] == 1
    assert report.linked == {"asin": 72, "pin": 1, "fuzzy": 1}  # 70 + the shared title from both sources
    link = store.links.get("alice", "audible", lib.fuzzy[0])
    assert link is not None and link.method is LinkMethod.FUZZY
    # Audible traffic: one library page, 2 position calls (45 unfinished, 25 a call), one finished page.
    stats = runner.sandbox.fakes["audible"].stats()
    assert (stats["library"], stats["lastpositions"], stats["finished"]) == (1, 2, 1)
    assert audible_calls(store).usage("alice").calls == 4
    # Nothing changed (Audible waits for its interval): every item seen is settled from its stored link,
    # window by window, at no Hardcover cost.
    again = await runner.sync()
    assert (again.units_spent, again.written) == (0, 0) and again.items_seen >= 1
    assert again.unchanged + again.disabled + len(again.unmatched) == again.items_seen


async def test_A3_history_keeps_every_reading_from_every_source(store: Store) -> None:
    aw = AudibleWorld()
    lib = build_library(aw)
    runner = aw.runner(store)
    await runner.sync()
    asin, abs_item, _ = lib.shared
    (from_abs,) = store.history.list_for_item("alice", "abs", abs_item)
    (from_audible,) = store.history.list_for_item("alice", "audible", asin)
    assert (from_abs.progress, from_abs.written) == (pytest.approx(0.2), False)
    assert (from_audible.progress, from_audible.written) == (pytest.approx(0.6), True)
    assert from_abs.observed_at < from_audible.observed_at
    assert from_abs.hardcover_book_id == from_audible.hardcover_book_id
    # Every linked Audible title left one reading; unstarted titles were never collected.
    for linked in [*lib.finished, *lib.in_progress, lib.pinned[0], lib.fuzzy[0]]:
        assert len(store.history.list_for_item("alice", "audible", linked)) == 1, linked
    assert not any(store.history.list_for_item("alice", "audible", a) for a in lib.unstarted)


def _shared_world(
    abs_updated: str, audible_heard: str, *, abs_seconds: float, audible_ms: int
) -> AudibleWorld:
    aw = AudibleWorld()
    aw.world.book("Shared Book", "Ann Author", editions=[audio("B0SHARE001", 36_000)])
    aw.title(
        "B0SHARE001",
        "Shared Book",
        "Ann Author",
        percent=audible_ms / 36_000 / 10,
        position_ms=audible_ms,
        heard=audible_heard,
    )
    item = aw.world.item("Shared Book", "Ann Author", duration=36_000.0, asin="B0SHARE001")
    aw.world.listen(item, current=abs_seconds, duration=36_000.0, updated=abs_updated)
    return aw


async def test_A4_newer_audiobookshelf_update_wins_over_older_audible(store: Store) -> None:
    aw = _shared_world(
        "2026-11-25T08:00:00", "2026-11-02 09:00:00.000", abs_seconds=27_000.0, audible_ms=9_000_000
    )
    runner = aw.runner(store)
    report = await runner.sync(keep_plan=True)
    (entry,) = runner.sandbox.hardcover.snapshot()["user_books"]
    assert [r["progress_seconds"] for r in entry["reads"]] == [27_000]
    assert report.held == {"A4": 1}
    (audible_plan,) = [p for p in report.plan if p.item_id == "B0SHARE001"]
    assert audible_plan.describe() == [
        f"Hold [A4] superseded by abs (item {aw.world.items[0]['id']}, a newer update)"
    ]


async def test_A4_newest_source_still_obeys_P5_regression_guard(store: Store) -> None:
    aw = _shared_world(
        "2026-11-01T08:00:00", "2026-11-20 09:00:00.000", abs_seconds=30_000.0, audible_ms=9_000_000
    )
    book_id = aw.world.hardcover["books"][0]["id"]
    edition_id = aw.world.edition_ids(book_id)[0]
    aw.world.shelve(book_id, READING, edition_id, [{"started_at": "2026-10-01", "progress_seconds": 30_000}])
    runner = aw.runner(store)
    report = await runner.sync()
    # Audible (newer, 25 %) wins the merge but is behind Hardcover's 83 %: held by P5, nothing written.
    assert report.held == {"A4": 1, "P5": 1}
    assert report.written == 0 and runner.hc_writes == 0
    entry = runner.user_book(book_id)
    assert entry is not None and entry["reads"][0]["progress_seconds"] == 30_000


async def test_A1_disabling_a_title_after_it_synced_stops_its_writes(store: Store) -> None:
    aw = AudibleWorld()
    book_id = aw.world.book("Kids Book", "Kid Writer", editions=[audio("B0KIDS0001", 36_000)])
    aw.title("B0KIDS0001", "Kids Book", "Kid Writer", percent=10.0, position_ms=3_600_000)
    runner = aw.runner(store, abs_too=False, min_interval_minutes=0)
    await runner.sync()
    assert runner.user_book(book_id) is not None
    store.links.set_sync_enabled("alice", "audible", "B0KIDS0001", False)
    account = runner.sandbox.fakes["audible"].accounts["alice"]  # type: ignore[attr-defined]
    account.positions["B0KIDS0001"]["position_ms"] = 18_000_000
    account.library[0]["percent_complete"] = 50.0
    writes = runner.hc_writes
    report = await runner.sync()
    assert report.disabled == 1 and runner.hc_writes == writes
    entry = runner.user_book(book_id)
    assert entry is not None and entry["reads"][0]["progress_seconds"] == 3_600


async def test_audible_interval_refuses_a_second_sync_and_says_when_abs_still_syncs(store: Store) -> None:
    aw = AudibleWorld()
    aw.world.book("One Book", "Ann Author", editions=[audio("B0ONEBOOK1", 36_000)])
    aw.title("B0ONEBOOK1", "One Book", "Ann Author", percent=10.0, position_ms=3_600_000)
    aw.world.book("Abs Only", "Bea Writer", editions=[audio("B0ABSONLY1", 36_000)])
    item = aw.world.item("Abs Only", "Bea Writer", duration=36_000.0, asin="B0ABSONLY1")
    aw.world.listen(item, current=3_600.0, duration=36_000.0)
    runner = aw.runner(store)  # default: one Audible sync per 15 minutes
    first = await runner.sync()
    assert first.notes == [] and first.written == 2
    started = audible_calls(store).usage("alice").last_sync_at
    assert started is not None
    await runner.play(item, current=18_000.0, duration=36_000.0)
    requests = runner.sandbox.fakes["audible"].stats()["requests"]
    second = await runner.sync()
    assert runner.sandbox.fakes["audible"].stats()["requests"] == requests  # nothing sent to Audible
    (note,) = second.notes
    allowed = started + timedelta(minutes=15)
    assert f"next sync allowed at {allowed:%Y-%m-%d %H:%M:%S} UTC" in note
    assert second.error is None and second.summary()["notes"] == [note]
    assert second.written == 1  # Audiobookshelf synced all the same


def test_audible_limits_come_from_the_configuration() -> None:
    config = AudibleWorld().config(min_interval_minutes=5, daily_cap=42)
    limits = audible_limits(config)
    assert (limits.min_interval, limits.daily_cap) == (timedelta(minutes=5), 42)
    assert audible_limits(AudibleWorld().config()).min_interval == timedelta(minutes=15)
    assert audible_limits(AudibleWorld().config()).daily_cap == 600


async def test_audible_daily_cap_stops_the_audible_source_midway_with_a_note(store: Store) -> None:
    aw = AudibleWorld()
    for i in range(30):
        aw.world.book(f"Capped {i}", "Cap Writer", editions=[audio(f"B0CAP{i:05d}", 36_000)])
        aw.title(f"B0CAP{i:05d}", f"Capped {i}", "Cap Writer", percent=20.0, position_ms=7_200_000)
    runner = aw.runner(store, abs_too=False, daily_cap=2)  # library + 1 of 2 position calls
    report = await runner.sync()
    (note,) = report.notes
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert (
        f"the 2 Audible requests allowed today; next sync allowed at {tomorrow.isoformat()} 00:00:00" in note
    )
    assert runner.sandbox.fakes["audible"].stats()["lastpositions"] == 1
    assert runner.hc_writes == 0 and audible_calls(store).usage("alice").calls == 2
