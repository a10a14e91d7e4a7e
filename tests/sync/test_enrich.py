"""The enrich job end to end against the in-process sandbox and the real store (SQLite and PostgreSQL):
a dry run writes nothing, ``--apply`` writes exactly the strong proposals and records the old values,
``undo`` restores them exactly; tags come from real small audio files made here."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bookrelay.app import run_enrich, undo_enrich
from bookrelay.app.jobs import make_job_runner
from bookrelay.config import Config
from bookrelay.domain.enrichment import missing_fields, propose_values
from bookrelay.domain.models import Edition, MediaKind, ReadingFormat
from bookrelay.sandbox.demo_data import make_asin, make_isbn13, spoil_checksum
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.service.clock import ManualClock
from bookrelay.service.scheduler import build_scheduler
from bookrelay.store.facade import Store
from bookrelay.store.models import RunStatus
from bookrelay.sync.audio_tags import read_item_tags
from bookrelay.sync.enrich import EnrichReport
from tests.sync.audio_files import flac_file, mp3_file, mp4_file

HC_TOKEN = "hc_pat_enrich_alice"
ABS_KEY = "abs-enrich-key"
LIMITS = {"per_minute": 600_000, "burst": 10_000, "daily": 1_000_000}

PHM_ASIN, PHM_ISBN = make_asin(1), make_isbn13(1)
MARTIAN_ASIN, MARTIAN_ISBN = make_asin(2), make_isbn13(2)
PIRANESI_ASIN, PIRANESI_ISBN = make_asin(3), make_isbn13(3)
ANATHEM_ASIN, ANATHEM_ISBN = make_asin(4), make_isbn13(4)
KEPT_ASIN, KEPT_ISBN = make_asin(5), make_isbn13(5)
BAD_ISBN = spoil_checksum(make_isbn13(99))


def _fixture() -> dict[str, Any]:
    authors = ["Andy Weir", "Susanna Clarke", "Neal Stephenson", "Ann Leckie"]
    books = [
        (100, "Project Hail Mary", 0, [(1001, 2, PHM_ASIN, None, 58_000), (1002, 1, None, PHM_ISBN, None)]),
        (200, "The Martian", 0, [(2001, 2, MARTIAN_ASIN, MARTIAN_ISBN, 39_600)]),
        (300, "Piranesi", 1, [(3001, 2, PIRANESI_ASIN, PIRANESI_ISBN, 30_000)]),
        (400, "Anathem", 2, [(4001, 2, ANATHEM_ASIN, ANATHEM_ISBN, 118_000)]),
        (500, "Ancillary Justice", 3, [(5001, 2, KEPT_ASIN, KEPT_ISBN, 55_000)]),
    ]
    editions = [
        {
            "id": eid, "book_id": bid, "title": title, "reading_format_id": fmt, "asin": asin,
            "isbn_13": isbn, "audio_seconds": secs, "pages": None if secs else 400, "users_count": 5,
        }
        for bid, title, _, eds in books
        for eid, fmt, asin, isbn, secs in eds
    ]  # fmt: skip
    return {
        "hardcover": {
            "limits": LIMITS,
            "users": [{"id": 1, "username": "alice", "token": HC_TOKEN, "scopes": ["all"]}],
            "authors": [{"id": 10 + i, "name": n} for i, n in enumerate(authors)],
            "books": [{"id": b, "title": t, "author_ids": [10 + a]} for b, t, a, _ in books],
            "editions": editions,
        },
        "audiobookshelf": {
            "users": [{"username": "alice", "password": "pw", "type": "admin"}],
            "api_keys": [{"name": "sync", "key": ABS_KEY, "username": "alice", "isActive": True}],
            "libraries": [
                {
                    "id": "lib-books",
                    "name": "Audiobooks",
                    "mediaType": "book",
                    "items": [
                        # a valid ASIN, no ISBN: found by the ASIN it has, only the ISBN is proposed
                        {
                            "id": "phm",
                            "title": "Project Hail Mary",
                            "authors": ["Andy Weir"],
                            "duration": 58_010,
                            "asin": PHM_ASIN,
                        },
                        # nothing: the fuzzy pipeline with a duration that fits
                        {
                            "id": "martian",
                            "title": "The Martian",
                            "authors": ["Andy Weir"],
                            "duration": 39_600,
                        },
                        # a bad checksum: not an identifier; fuzzy, with a duration 6 % off (within
                        # M4's ~8 %: further off, the length would hold it to a conflict)
                        {
                            "id": "piranesi",
                            "title": "Piranesi",
                            "authors": ["Susanna Clarke"],
                            "duration": 32_000,
                            "isbn": BAD_ISBN,
                        },
                        # a wrong author and no identifier: only the tags of its files tell
                        {
                            "id": "anathem",
                            "title": "Anathem",
                            "authors": ["Unknown Author"],
                            "duration": 118_000,
                        },
                        # both valid: not a candidate at all
                        {
                            "id": "kept",
                            "title": "Ancillary Justice",
                            "authors": ["Ann Leckie"],
                            "duration": 55_000,
                            "isbn": KEPT_ISBN,
                            "asin": KEPT_ASIN,
                        },
                    ],
                },
                {"name": "Podcasts", "mediaType": "podcast", "items": [{"title": "Show", "author": "Host"}]},
            ],
        },
    }


def _config(tmp_path: Path, **global_: Any) -> Config:
    return Config.model_validate(
        {
            "global": {
                "hardcover": {"url": "http://sandbox/hardcover/v1/graphql", **LIMITS},
                "secret_key_file": str(tmp_path / "secret.key"),
                **global_,
            },
            "users": [
                {
                    "id": "alice",
                    "hardcover": {"token": HC_TOKEN},
                    "audiobookshelf": {"url": "http://sandbox/abs", "api_key": ABS_KEY},
                }
            ],
        }
    )


@pytest.fixture
def sandbox() -> Sandbox:
    return build_sandbox(_fixture())


def _items(sandbox: Sandbox) -> dict[str, Any]:
    return copy.deepcopy(sandbox.audiobookshelf.snapshot()["items"])


async def _enrich(sandbox: Sandbox, store: Store, tmp_path: Path, **options: Any) -> EnrichReport:
    transport = httpx.ASGITransport(app=sandbox.app)
    return await run_enrich(_config(tmp_path), "alice", transport=transport, store=store, **options)


async def test_enrich_switched_on_runs_on_its_schedule_like_the_other_jobs(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    # global.jobs.enrich on: the scheduler runs it (it logged "not available" and skipped it before).
    config = _config(tmp_path, jobs={"enrich": True, "progress": False}, schedule={"enrich": "0 4 * * *"})
    runner = make_job_runner(config, store, transport=httpx.ASGITransport(app=sandbox.app))
    scheduler = build_scheduler(config, runner, clock=ManualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC)))
    assert [(e.user_id, e.job, e.spec) for e in scheduler.entries] == [("alice", "enrich", "0 4 * * *")]
    assert scheduler.next_run("alice", "enrich") == datetime(2026, 6, 2, 4, 0, tzinfo=UTC)
    (run_id,) = await scheduler.run_all_once()
    run, _ = store.runs.get_with_events(run_id)
    assert (run.job, run.status, run.dry_run) == ("enrich", RunStatus.OK, False)
    assert run.summary is not None and run.summary["written"] > 0  # a scheduled run applies
    assert run.hardcover_units > 0 and runner.results[-1].items["proposed"] == 3


def _tagged_folder(scan_dir: Path) -> Path:
    """The folder the fake ABS reports for the "Anathem" item (its relPath is "Author/Title")."""
    folder = scan_dir / "Unknown Author" / "Anathem"
    folder.mkdir(parents=True)
    mp4_file(folder / "part1.m4b", 59_000, {"ISBN": ANATHEM_ISBN})
    mp4_file(folder / "part2.m4b", 59_000, {})
    return folder


async def test_dry_run_proposes_with_score_parts_and_writes_nothing(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    before = _items(sandbox)
    report = await _enrich(sandbox, store, tmp_path)
    assert report.dry_run and report.error is None
    assert (report.items_seen, report.candidates) == (5, 4)  # podcasts unseen; "kept" needs nothing
    by_item = {p.item_id: p for p in report.proposals}
    assert set(by_item) == {"phm", "martian", "piranesi"}
    assert [(v.field, v.value) for v in by_item["phm"].values] == [("isbn", PHM_ISBN)]  # ASIN kept
    assert by_item["phm"].method == "asin" and by_item["phm"].score == 1.0
    assert {(v.field, v.value) for v in by_item["martian"].values} == {
        ("isbn", MARTIAN_ISBN),
        ("asin", MARTIAN_ASIN),
    }
    assert by_item["martian"].method == "fuzzy" and "title" in by_item["martian"].parts
    assert "duration" in by_item["piranesi"].parts and by_item["piranesi"].old["isbn"] == BAD_ISBN
    assert [s[0] for s in report.skipped] == ["anathem"]  # no --scan-dir: nothing to go on
    assert sandbox.audiobookshelf.stats()["writes"] == 0  # the write counter of the fake
    assert _items(sandbox) == before
    assert report.run_id is not None and store.runs.get_with_events(report.run_id)[0].dry_run


async def test_apply_writes_exactly_the_strong_proposals_and_undo_restores_them(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    before = _items(sandbox)
    threshold = 0.98  # between the piranesi score (its duration is 6 % off) and the others
    report = await _enrich(sandbox, store, tmp_path, apply=True, min_score=threshold)
    strong = {p.item_id for p in report.proposals if p.strong}
    weak = {p.item_id for p in report.proposals if not p.strong}
    assert weak == {"piranesi"} and strong == {"phm", "martian"}
    after = _items(sandbox)
    changed = {item for item in before if before[item] != after[item]}
    assert changed == strong
    assert after["phm"]["isbn"] == PHM_ISBN and after["phm"]["asin"] == PHM_ASIN  # valid ASIN untouched
    assert (after["martian"]["isbn"], after["martian"]["asin"]) == (MARTIAN_ISBN, MARTIAN_ASIN)
    assert sandbox.audiobookshelf.stats()["writes"] == len(strong)  # one PATCH per item
    assert report.run_id is not None
    recorded = {
        (c.item_id, c.field, c.old_value, c.new_value, c.state)
        for c in store.enrich_changes.of_run(report.run_id)
    }
    assert recorded == {
        ("phm", "isbn", None, PHM_ISBN, "applied"),
        ("martian", "isbn", None, MARTIAN_ISBN, "applied"),
        ("martian", "asin", None, MARTIAN_ASIN, "applied"),
    }

    undone = await undo_enrich(
        _config(tmp_path), report.run_id, transport=httpx.ASGITransport(app=sandbox.app), store=store
    )
    assert {(i, f) for i, f, _, _ in undone.restored} == {
        ("phm", "isbn"),
        ("martian", "isbn"),
        ("martian", "asin"),
    }
    assert _items(sandbox) == before  # exactly what was there
    again = await undo_enrich(
        _config(tmp_path), report.run_id, transport=httpx.ASGITransport(app=sandbox.app), store=store
    )
    assert again.restored == [] and _items(sandbox) == before  # undo twice changes nothing more


async def test_undo_puts_back_an_invalid_value_and_leaves_later_edits_alone(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    before = _items(sandbox)
    report = await _enrich(sandbox, store, tmp_path, apply=True, min_score=0.5)
    assert _items(sandbox)["piranesi"]["isbn"] == PIRANESI_ISBN  # the bad checksum was replaced
    # Someone edits the Martian's ASIN after the run: undo must not clobber it.
    edited = make_asin(77)
    sandbox.audiobookshelf.items["martian"].metadata["asin"] = edited
    assert report.run_id is not None
    undone = await undo_enrich(
        _config(tmp_path), report.run_id, transport=httpx.ASGITransport(app=sandbox.app), store=store
    )
    now = _items(sandbox)
    assert now["piranesi"]["isbn"] == BAD_ISBN  # the invalid original, exactly
    assert now["martian"]["asin"] == edited and now["martian"]["isbn"] == before["martian"]["isbn"]
    assert [(i, f) for i, f, _ in undone.kept] == [("martian", "asin")]


async def test_scan_dir_reads_identifiers_from_the_files_tags(
    sandbox: Sandbox, store: Store, tmp_path: Path
) -> None:
    scan_dir = tmp_path / "audiobooks"
    _tagged_folder(scan_dir)
    report = await _enrich(sandbox, store, tmp_path, apply=True, scan_dir=scan_dir)
    by_item = {p.item_id: p for p in report.proposals}
    assert by_item["anathem"].method == "tags" and by_item["anathem"].book_id == 400
    after = _items(sandbox)["anathem"]
    assert (after["isbn"], after["asin"]) == (ANATHEM_ISBN, ANATHEM_ASIN)


def test_tags_and_durations_from_m4b_m4a_mp3_and_flac(tmp_path: Path) -> None:
    folder = tmp_path / "Author" / "Book"
    folder.mkdir(parents=True)
    mp4_file(folder / "01.m4b", 600, {"ISBN": ANATHEM_ISBN})
    mp4_file(folder / "02.m4a", 300, {"ASIN": ANATHEM_ASIN}, brand=b"M4A ")
    mp3_file(folder / "03.mp3", 120, {"AUDIBLE_ASIN": PHM_ASIN})
    flac_file(folder / "04.flac", 60, {"ISBN": PHM_ISBN})
    (folder / "cover.jpg").write_bytes(b"\xff\xd8 not audio")
    (folder / "05.mp3").write_bytes(b"not an mp3 at all")
    tags = read_item_tags(tmp_path, "Author/Book")
    assert tags.isbns == (ANATHEM_ISBN, PHM_ISBN)
    assert tags.asins == (ANATHEM_ASIN, PHM_ASIN)
    assert tags.duration_seconds == pytest.approx(1080, abs=1)
    assert tags.files == ("01.m4b", "02.m4a", "03.mp3", "04.flac") and tags.unreadable == ("05.mp3",)
    assert read_item_tags(tmp_path, "../outside").files == ()  # a relPath cannot leave the scan folder


def test_a_valid_identifier_is_never_proposed_for_overwriting() -> None:
    assert missing_fields(KEPT_ISBN, KEPT_ASIN) == ()
    assert missing_fields(BAD_ISBN, "") == ("isbn", "asin")
    assert missing_fields(None, KEPT_ISBN) == ("isbn",)  # an ISBN-13 in the ASIN field is still valid
    kindle = Edition(1, 1, asin=make_asin(9, "K"), reading_format=ReadingFormat.EBOOK, pages=10)
    audio = Edition(2, 1, isbn_13=PHM_ISBN, reading_format=ReadingFormat.AUDIO, audio_seconds=100)
    values = propose_values(("isbn", "asin"), MediaKind.AUDIO, audio, [kindle, audio])
    assert [(v.field, v.value) for v in values] == [("isbn", PHM_ISBN)]  # no Kindle ASIN on an audiobook
