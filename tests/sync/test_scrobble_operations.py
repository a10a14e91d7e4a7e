"""mark-read, rate and set-status on the sandbox, on SQLite and PostgreSQL (S10, P9, P11)."""

from __future__ import annotations

from datetime import date

import pytest

from bookrelay.domain.models import Status
from bookrelay.errors import ConfigError, NotFound
from bookrelay.store.facade import Store
from tests.sync.scrobble_world import Scrobbler, audiobook, config_for, scrobble_world


def _reads(scrobbler: Scrobbler, book: int) -> list[dict[str, object]]:
    entry = scrobbler.runner.user_book(book)
    assert entry is not None
    return sorted(entry["reads"], key=lambda r: r["id"])  # type: ignore[arg-type, return-value]


async def test_mark_read_adds_the_book_with_the_date_and_rating_and_one_read(store: Store) -> None:
    world = scrobble_world()
    book, _ = audiobook(world, "Dune", "Frank Herbert", "B002V1OF70")
    scrobbler = Scrobbler.start(world, store)
    async with scrobbler.session() as (parts, _):
        dry = await parts.operations.mark_read(str(book), rating=4.5, on=date(2026, 3, 1), dry_run=True)
        assert dry.changes and scrobbler.runner.user_book(book) is None
        await parts.operations.mark_read(f"hc:{book}", rating=4.5, on=date(2026, 3, 1))
    entry = scrobbler.runner.user_book(book)
    assert entry is not None and entry["status_id"] == 3 and entry["rating"] == 4.5
    assert [r["finished_at"] for r in _reads(scrobbler, book)] == ["2026-03-01"]  # P11: adopted, not doubled


async def test_P11_mark_read_closes_the_open_read_of_a_linked_item(store: Store) -> None:
    world = scrobble_world()
    book, item = audiobook(world, "All Systems Red", "Martha Wells", "B06XKWD7CP")
    world.listen(item, current=18_000.0, duration=36_000.0)
    scrobbler = Scrobbler.start(world, store)
    await scrobbler.runner.sync()
    async with scrobbler.session() as (parts, _):
        await parts.operations.mark_read(f"abs:{item}", on=date(2026, 11, 22))
    reads = _reads(scrobbler, book)
    assert len(reads) == 1 and reads[0]["finished_at"] == "2026-11-22"
    assert reads[0]["started_at"] is not None  # kept, never cleared


async def test_P9_marking_a_finished_book_read_again_adds_a_read_and_keeps_the_old(store: Store) -> None:
    world = scrobble_world()
    book, _ = audiobook(world, "Dune", "Frank Herbert", "B002V1OF70")
    world.shelve(
        book, 3, world.edition_ids(book)[0], [{"started_at": "2020-01-01", "finished_at": "2020-02-01"}]
    )
    scrobbler = Scrobbler.start(world, store)
    async with scrobbler.session() as (parts, _):
        await parts.operations.mark_read(str(book), on=date(2026, 5, 5))
        again = await parts.operations.mark_read(str(book), on=date(2026, 5, 5))  # idempotent
    assert again.changes == ["finished on 2026-05-05"]
    assert [r["finished_at"] for r in _reads(scrobbler, book)] == ["2020-02-01", "2026-05-05"]


async def test_rate_and_set_status_change_only_what_they_name(store: Store) -> None:
    world = scrobble_world()
    book, _ = audiobook(world, "Dune", "Frank Herbert", "B002V1OF70")
    scrobbler = Scrobbler.start(world, store)
    async with scrobbler.session() as (parts, _):
        with pytest.raises(NotFound, match="not on your Hardcover shelf"):
            await parts.operations.rate(str(book), 4.0)
        await parts.operations.set_status(str(book), Status.WANT_TO_READ)
        await parts.operations.rate(str(book), 3.5)
        with pytest.raises(ConfigError, match="half steps"):
            await parts.operations.rate(str(book), 3.7)
    entry = scrobbler.runner.user_book(book)
    assert entry is not None and (entry["status_id"], entry["rating"], entry["reads"]) == (1, 3.5, [])


async def test_S10_operations_refuse_features_that_do_not_flow_to_hardcover(store: Store) -> None:
    world = scrobble_world()
    book, _ = audiobook(world, "Dune", "Frank Herbert", "B002V1OF70")
    scrobbler = Scrobbler.start(world, store)
    config = config_for(world, directions={"rating": "from_hardcover", "status": "off"})
    writes = scrobbler.runner.hc_writes
    async with scrobbler.session(config) as (parts, _):
        with pytest.raises(ConfigError, match=r"directions\.status"):
            await parts.operations.set_status(str(book), Status.READING)
        with pytest.raises(ConfigError, match=r"directions\.rating"):
            await parts.operations.rate(str(book), 4.0)
    assert scrobbler.runner.hc_writes == writes
