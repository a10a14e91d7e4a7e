"""The demo fixture: it loads, it is deterministic, every matching trap is in it, and a first run through
the real pipeline does with each item what its case says."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bookrelay.app import run_progress
from bookrelay.config import Config
from bookrelay.domain.identifiers import normalize_asin, normalize_isbn
from bookrelay.sandbox.demo_data import (
    AUDIO,
    DEMO_ABS_KEY,
    DEMO_ABS_USER,
    DEMO_CASES,
    DEMO_EXPECTED,
    DEMO_HARDCOVER_TOKEN,
    demo_fixture,
)
from bookrelay.sandbox.server import build_sandbox, load_fixture
from bookrelay.store.facade import Store
from bookrelay.sync.report import ProgressReport

HC_URL = "http://sandbox/hardcover/v1/graphql"
ABS_URL = "http://sandbox/abs"

# Every trap the demo must show as words its case label contains.
REQUIRED_TRAPS = [
    "ASIN only",
    "ISBN-10 in the ISBN-13 field",
    "lower-case",
    "hyphenated",
    "failing its checksum",
    "no identifiers",
    "series name",
    "edition suffix",
    "two audio editions",
    "print ISBN on an audio item",
    "another edition",
    "finished (",
    "re-read",
    "Paused",
    "regression",
    "below 5 %",
    "middling",
    "look-alike",
    "absent from Hardcover",
    "without a length",
    "ebook-only",
    "Want to Read",
    "podcast",
]


def _items(fixture: dict[str, Any]) -> dict[str, dict[str, Any]]:
    libraries = fixture["audiobookshelf"]["libraries"]
    return {item["title"]: item for lib in libraries for item in lib["items"]}


def _progress(fixture: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in fixture["audiobookshelf"]["progress"] if p.get("title") == title)


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


def _config(tmp_path: Path) -> Config:
    return Config.model_validate(
        {
            "global": {
                "database": f"sqlite:///{tmp_path / 'demo.db'}",
                "secret_key_file": str(tmp_path / "secret.key"),
                "hardcover": {"url": HC_URL, "per_minute": 6000, "burst": 1000},
            },
            "users": [
                {
                    "id": "demo",
                    "hardcover": {"token": DEMO_HARDCOVER_TOKEN},
                    "audiobookshelf": {"url": ABS_URL, "api_key": DEMO_ABS_KEY},
                }
            ],
        }
    )


async def _first_run(tmp_path: Path, *, dry_run: bool) -> tuple[ProgressReport, Any]:
    fixture = demo_fixture()
    fixture["hardcover"]["limits"].update(per_minute=6000, burst=1000)  # no waiting in a unit test
    sandbox = build_sandbox(fixture)
    config = _config(tmp_path)
    store = Store.open(config.database_url, secret_key=None)
    try:
        [report] = await run_progress(
            config, ["demo"], dry_run=dry_run, transport=httpx.ASGITransport(app=sandbox.app), store=store
        )
    finally:
        store.close()
    return report, sandbox


def test_demo_fixture_loads_into_the_sandbox() -> None:
    sandbox = build_sandbox(demo_fixture())
    snapshot = sandbox.snapshot()
    assert len(snapshot["hardcover"]["books"]) >= 35
    assert [u["username"] for u in snapshot["hardcover"]["users"]] == ["demo"]
    assert sandbox.hardcover.limits.per_minute == 60
    assert sandbox.hardcover.limits.daily == 5000
    assert len(_items(demo_fixture())) >= 39  # and one podcast


async def test_demo_credentials_are_accepted_by_both_fakes() -> None:
    sandbox = build_sandbox(demo_fixture())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://sandbox"
    ) as http:
        me = await http.get("/abs/api/me", headers={"Authorization": f"Bearer {DEMO_ABS_KEY}"})
        hc = await http.post(
            "/hardcover/v1/graphql",
            json={"query": "query { me { id username } }"},
            headers={"Authorization": f"Bearer {DEMO_HARDCOVER_TOKEN}"},
        )
    assert me.status_code == 200
    assert me.json()["username"] == DEMO_ABS_USER
    assert hc.status_code == 200
    assert hc.json()["data"]["me"][0]["username"] == "demo"


def test_demo_fixture_is_deterministic_and_a_fresh_copy() -> None:
    first, second = demo_fixture(), demo_fixture()
    assert first == second
    first["hardcover"]["books"].clear()
    assert demo_fixture()["hardcover"]["books"]


def test_sandbox_serve_loads_the_demo_with_data_for_every_job_by_default() -> None:
    served = load_fixture(None)
    demo = demo_fixture()
    # The demo library as it is, for the progress job …
    assert served["audiobookshelf"] == demo["audiobookshelf"]
    assert {b["id"] for b in demo["hardcover"]["books"]} <= {b["id"] for b in served["hardcover"]["books"]}
    # … a second reader with a Want to Read shelf, Bookshelf with a root folder, rreading-glasses …
    reader = next(u for u in served["hardcover"]["users"] if u["username"] == "reader")
    shelf = [ub for ub in served["hardcover"]["user_books"] if ub["user_id"] == reader["id"]]
    assert len(shelf) >= 10 and all(ub["status_id"] == 1 for ub in shelf)
    assert served["bookshelf"]["root_folders"] and served["bookshelf"]["api_key"]
    assert served["rreading_glasses"]["works"]
    # … and an Audible library.
    assert served["audible"]["accounts"]


@pytest.mark.parametrize("trap", REQUIRED_TRAPS)
def test_every_trap_has_a_case(trap: str) -> None:
    assert any(trap in rule for rule in DEMO_CASES.values()), trap


def test_every_case_names_an_item_with_progress() -> None:
    fixture = demo_fixture()
    titles = set(_items(fixture))
    with_progress = {p.get("title") for p in fixture["audiobookshelf"]["progress"]}
    assert set(DEMO_CASES) <= titles | {"The Reading Room"}
    assert set(DEMO_CASES) <= with_progress


def test_M3_identifier_traps_are_really_malformed() -> None:
    items = _items(demo_fixture())
    assert normalize_isbn(items["Piranesi"]["isbn"]) is None  # fails its checksum
    assert len(items["The Martian"]["isbn"]) == 10
    assert items["Red Rising"]["asin"].islower()
    assert normalize_asin(items["Red Rising"]["asin"]) is not None
    assert "-" in items["Golden Son"]["isbn"]
    assert normalize_isbn(items["Station Eleven"]["asin"]) is not None  # an ISBN in the ASIN field
    assert "isbn" not in items["Project Hail Mary"] and items["Project Hail Mary"]["asin"]
    assert not {"isbn", "asin"} & set(items["The Fifth Season"])


def test_M5_edition_traps_are_in_the_catalogue() -> None:
    hc = demo_fixture()["hardcover"]
    editions_of: dict[int, list[dict[str, Any]]] = {}
    for edition in hc["editions"]:
        editions_of.setdefault(edition["book_id"], []).append(edition)
    way = DEMO_EXPECTED["The Way of Kings"].book_id
    lengths = {e["audio_seconds"] for e in editions_of[way or 0] if e["reading_format_id"] == AUDIO}
    assert len(lengths) == 2
    tress = DEMO_EXPECTED["Tress of the Emerald Sea"].book_id
    audio = [e for e in editions_of[tress or 0] if e["reading_format_id"] == AUDIO]
    assert audio and all(not e.get("audio_seconds") for e in audio)
    kept = DEMO_EXPECTED["Children of Time"]
    entry = next(ub for ub in hc["user_books"] if ub["book_id"] == kept.book_id)
    assert entry["edition_id"] == kept.edition_id
    assert next(e for e in hc["editions"] if e["id"] == kept.edition_id)["reading_format_id"] != AUDIO


def test_P_dates_are_consistent_with_hardcover() -> None:
    fixture = demo_fixture()
    shelf = {ub["book_id"]: ub for ub in fixture["hardcover"]["user_books"]}
    reread = shelf[DEMO_EXPECTED["The Long Way to a Small, Angry Planet"].book_id or 0]
    started = _day(_progress(fixture, "The Long Way to a Small, Angry Planet")["startedAt"])
    assert started > reread["reads"][0]["finished_at"]  # P9: started after the finished read
    regression = shelf[DEMO_EXPECTED["Recursion"].book_id or 0]
    assert _day(_progress(fixture, "Recursion")["startedAt"]) == regression["reads"][0]["started_at"]
    finished = _progress(fixture, "Klara and the Sun")
    assert finished["isFinished"] and _day(finished["finishedAt"]) == "2026-09-14"
    ebook = _progress(fixture, "A Memory Called Empire")
    assert ebook["ebookProgress"] > 0 and "duration" not in ebook
    podcast = _progress(fixture, "The Reading Room")
    assert podcast["episodeId"]


def _first_action(describe: list[str]) -> str:
    first = describe[0]
    name = first.split(" ", 1)[0]
    if name == "Hold":
        return "Hold:" + first.split("[", 1)[1].split("]", 1)[0]
    if name == "Skip" and first.startswith("Skip P3"):
        return "Skip:P3"
    return name


async def test_first_dry_run_does_what_every_case_shows(tmp_path: Path) -> None:
    report, _ = await _first_run(tmp_path, dry_run=True)
    assert report.error is None
    planned = {p.title: p for p in report.plan}
    wrong = {}
    for title, case in DEMO_EXPECTED.items():
        if case.outcome == "skipped":
            assert title not in planned  # podcasts are never collected
            continue
        got = _first_action(planned[title].describe())
        if got != case.action:
            wrong[title] = (case.action, planned[title].describe())
    assert not wrong
    unmatched = {title for _, title, _ in report.unmatched}
    conflicts = {title for _, title, _ in report.conflicts}
    assert unmatched == {t for t, c in DEMO_EXPECTED.items() if c.outcome == "unmatched"}
    assert conflicts == {t for t, c in DEMO_EXPECTED.items() if c.action == "OpenConflict"}


async def test_first_run_links_the_expected_books_and_editions(tmp_path: Path) -> None:
    report, sandbox = await _first_run(tmp_path, dry_run=False)
    assert report.error is None and not report.failed
    shelf = {ub["book_id"]: ub for ub in sandbox.hardcover.snapshot()["user_books"]}
    for title, case in DEMO_EXPECTED.items():
        if case.outcome != "linked" or case.action in ("Skip", "Skip:P3", "OpenConflict"):
            continue
        if case.action.startswith("Hold"):
            continue
        entry = shelf.get(case.book_id or 0)
        assert entry is not None, title
        edition_ids = {r["edition_id"] for r in entry["reads"]} | {entry["edition_id"]}
        assert case.edition_id in edition_ids, title
    klara = shelf[DEMO_EXPECTED["Klara and the Sun"].book_id or 0]
    assert klara["status_id"] == 3
    assert any(r["finished_at"] == "2026-09-14" for r in klara["reads"])  # P6: the source's date
