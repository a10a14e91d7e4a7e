"""Shelf export and import on the sandbox, on SQLite and PostgreSQL (S10, S16)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from bookrelay.app import export_shelf, import_shelf
from bookrelay.domain.shelves import parse_shelf_csv
from bookrelay.errors import ConfigError
from bookrelay.store.facade import Store
from tests.sync.scrobble_world import BOB_TOKEN, Scrobbler, config_for, scrobble_world

PRINT = {"pages": 300, "reading_format_id": 1, "edition_format": "Hardcover"}


def _shelved_world() -> tuple[Any, dict[str, int]]:
    """Alice's Hardcover shelf: a book per status, with ratings and dates; Bob has nothing."""
    world = scrobble_world()
    books = {
        "dune": world.book("Dune", "Frank Herbert", editions=[{**PRINT, "isbn_13": "9780441172719"}]),
        "hail": world.book(
            "Project Hail Mary", "Andy Weir", editions=[{**PRINT, "isbn_13": "9780593135204"}]
        ),
        "red": world.book(
            "All Systems Red", "Martha Wells", editions=[{**PRINT, "isbn_13": "9780765397539"}]
        ),
        "circe": world.book("Circe", "Madeline Miller", editions=[{**PRINT, "isbn_13": "9780316556347"}]),
    }
    shelf = [
        ("dune", 3, 4.5, "2025-01-03", [{"started_at": "2025-01-05", "finished_at": "2025-02-01"}]),
        ("hail", 2, None, "2025-03-01", [{"started_at": "2025-03-02", "finished_at": None}]),
        ("red", 1, None, "2025-04-01", []),
        ("circe", 5, 2.0, "2025-05-01", [{"started_at": "2025-05-02", "finished_at": None}]),
    ]
    for key, status, rating, added, reads in shelf:
        edition = world.edition_ids(books[key])[0]
        world.shelve(books[key], status, edition, reads)
        entry = world.hardcover["user_books"][-1]
        entry.update(rating=rating, date_added=added)
    return world, books


def _state_of(scrobbler: Scrobbler, user_id: int) -> dict[int, tuple[Any, ...]]:
    """(status, rating, date added, newest read's start and finish) per book of a user, from the fake."""
    out = {}
    for entry in scrobbler.runner.sandbox.hardcover.snapshot()["user_books"]:
        if entry["user_id"] != user_id:
            continue
        reads = sorted(entry["reads"], key=lambda r: r["id"], reverse=True)
        newest = reads[0] if reads else {}
        out[entry["book_id"]] = (
            entry["status_id"],
            entry["rating"],
            entry["date_added"],
            newest.get("started_at"),
            newest.get("finished_at"),
        )
    return out


async def test_round_trip_export_then_import_into_an_empty_user_reproduces_statuses_ratings_dates(
    store: Store,
) -> None:
    world, _ = _shelved_world()
    scrobbler = Scrobbler.start(world, store)
    exported = await export_shelf(
        scrobbler.config, "alice", "csv", transport=scrobbler.transport, store=store
    )
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["Exclusive Shelf"] for r in rows} == {"read", "currently-reading", "to-read", "did-not-finish"}
    assert next(r for r in rows if r["Title"] == "Dune")["ISBN13"] == '="9780441172719"'
    bob = config_for(world, token=BOB_TOKEN)
    dry = await import_shelf(bob, "alice", exported, apply=False, transport=scrobbler.transport, store=store)
    assert dry.count("linked") == 4 and not _state_of(scrobbler, 2)  # a dry run writes nothing
    report = await import_shelf(
        bob, "alice", exported, apply=True, transport=scrobbler.transport, store=store
    )
    assert [i.error for i in report.items] == [None] * 4
    alice = _state_of(scrobbler, 1)
    assert alice[next(iter(alice))][1:3] == (4.5, "2025-01-03")  # real values compared, not Nones
    assert _state_of(scrobbler, 2) == alice


async def test_S16_import_never_overwrites_what_hardcover_holds_and_reports_it(store: Store) -> None:
    world, books = _shelved_world()
    scrobbler = Scrobbler.start(world, store)
    text = "Title,Author,ISBN13,My Rating,Exclusive Shelf,Date Read\n"
    text += 'Dune,Frank Herbert,="9780441172719",2,to-read,\n'
    report = await import_shelf(
        scrobbler.config, None, text, apply=True, transport=scrobbler.transport, store=store
    )
    (item,) = report.items
    assert item.plan is not None and not item.plan.update and item.plan.insert is None
    assert any("kept" in note for note in item.plan.notes)
    assert _state_of(scrobbler, 1)[books["dune"]][:2] == (3, 4.5)


async def test_S10_import_writes_only_features_that_flow_to_hardcover(store: Store) -> None:
    world, books = _shelved_world()
    scrobbler = Scrobbler.start(world, store)
    bob = config_for(world, token=BOB_TOKEN, directions={"rating": "from_hardcover", "dates": "off"})
    text = "Title,Author,ISBN13,My Rating,Exclusive Shelf,Date Read,Date Added\n"
    text += 'Dune,Frank Herbert,="9780441172719",5,read,2024/06/01,2024/05/01\n'
    report = await import_shelf(bob, None, text, apply=True, transport=scrobbler.transport, store=store)
    assert report.items[0].written
    status, rating, added, _, finished = _state_of(scrobbler, 2)[books["dune"]]
    assert (status, rating) == (3, None) and added != "2024-05-01" and finished != "2024-06-01"


async def test_S10_export_leaves_out_features_that_do_not_flow_from_hardcover(store: Store) -> None:
    world, _ = _shelved_world()
    scrobbler = Scrobbler.start(world, store)
    config = config_for(world, directions={"rating": "to_hardcover", "status": "both"})
    text = await export_shelf(config, None, "json", transport=scrobbler.transport, store=store)
    rows = json.loads(text)
    assert {r["rating"] for r in rows} == {None}
    assert {r["status"] for r in rows} == {"read", "currently-reading", "to-read", "did-not-finish"}


async def test_M4_a_doubtful_row_becomes_a_conflict_and_writes_nothing(store: Store) -> None:
    world, _ = _shelved_world()
    scrobbler = Scrobbler.start(world, store)
    bob = config_for(world, token=BOB_TOKEN)
    # The ISBN names Dune, the row's title and author disagree (M3: a conflict, not a link).
    text = "Title,Author,ISBN13,My Rating,Exclusive Shelf\n"
    text += 'A Different Book,Someone Else,="9780441172719",0,read\n'
    report = await import_shelf(bob, None, text, apply=True, transport=scrobbler.transport, store=store)
    assert [i.outcome for i in report.items] == ["conflict"]
    assert not _state_of(scrobbler, 2)
    assert [c.source for c in store.conflicts.list(None, user_id="alice")] == ["import"]


def test_S3_a_malformed_file_names_line_and_column() -> None:
    with pytest.raises(ConfigError, match=r"shelf\.csv:3: Date Read"):
        parse_shelf_csv(
            "Title,Author,Exclusive Shelf,Date Read\nA,B,read,2024/01/01\nC,D,read,yesterday\n", "shelf.csv"
        )
    with pytest.raises(ConfigError, match="not a Goodreads or StoryGraph"):
        parse_shelf_csv("Name,Writer\nA,B\n", "x.csv")
