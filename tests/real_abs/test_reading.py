"""bookrelay's Audiobookshelf client reading a real 2.36 server: ``/api/me`` progress, libraries, paged
items (minified), expanded items, ``items/batch/get``, and podcasts left out of what the progress job sees."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.mapper import map_item
from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.sync.sources import collect_audiobookshelf
from tests.real_abs.server import LIBRARY, AbsUser, RealAbs


@pytest.fixture
async def api(real_abs: RealAbs, abs_user: AbsUser) -> AsyncIterator[AbsApi]:
    async with AbsSession(real_abs.url, api_key=abs_user.api_key) as session:
        yield AbsApi(session)


async def test_libraries_and_paged_items_come_back_whole(real_abs: RealAbs, api: AbsApi) -> None:
    libraries = await api.libraries()
    assert {(lib["name"], lib["mediaType"]) for lib in libraries} == {
        ("Audiobooks", "book"),
        ("Podcasts", "podcast"),
    }
    assert [lib["id"] for lib in await api.book_libraries()] == [real_abs.library_id]
    # Pages of 2 over 7 items: 4 requests, every item once, minified (no authors array, authorName string).
    paged = await api.library_items(real_abs.library_id, page_size=2)
    assert sorted(i["id"] for i in paged) == sorted(b.item_id for b in real_abs.books.values())
    assert len(paged) == len(LIBRARY)
    for raw in paged:
        metadata = raw["media"]["metadata"]
        assert "authors" not in metadata and isinstance(metadata["authorName"], str)
        assert isinstance(raw["media"]["duration"], float)
    whole = await api.library_items(real_abs.library_id, page_size=500)
    assert sorted(i["id"] for i in whole) == sorted(i["id"] for i in paged)


async def test_expanded_item_and_batch_map_to_the_library_metadata(real_abs: RealAbs, api: AbsApi) -> None:
    phm, asr = real_abs.books["phm"], real_abs.books["asr"]
    expanded = await api.item(phm.item_id)
    assert expanded["media"]["metadata"]["authors"][0]["name"] == "Andy Weir"
    item = map_item(expanded)
    assert item is not None
    assert (item.title, item.authors, item.isbn, item.asin) == (
        "Project Hail Mary",
        ("Andy Weir",),
        phm.title.isbn,
        phm.title.asin,
    )
    assert item.published_year == 2021 and item.narrators == ("Ray Porter",)
    assert item.duration_seconds == pytest.approx(phm.title.seconds, abs=1.0)
    batch = await api.items_batch([asr.item_id, "00000000-0000-4000-8000-000000000000", phm.item_id])
    assert sorted(i["id"] for i in batch) == sorted([asr.item_id, phm.item_id])  # unknown ids left out
    series = map_item(next(i for i in batch if i["id"] == asr.item_id))
    assert series is not None and [(s.name, s.position) for s in series.series] == [
        ("Murderbot Diaries", "1")
    ]


async def test_me_progress_read_and_podcast_episodes_skipped(
    real_abs: RealAbs, abs_user: AbsUser, api: AbsApi
) -> None:
    leviathan = real_abs.books["leviathan"]
    body = {"currentTime": 85.0, "duration": leviathan.duration, "progress": 0.5}
    real_abs.patch_progress("leviathan", body, abs_user.api_key)
    with real_abs.client(abs_user.api_key) as http:  # an episode of the podcast, listened halfway
        answer = http.patch(
            f"/api/me/progress/{real_abs.podcast_item_id}/{real_abs.episode_id}",
            json={"currentTime": 15.0, "duration": 30.0, "progress": 0.5},
        )
        assert answer.status_code == 200
    entries = await api.media_progress()
    assert any(e.get("episodeId") == real_abs.episode_id for e in entries)  # the server reports it …
    collected = await collect_audiobookshelf(api)
    by_id = {entry.item.item_id: entry for entry in collected}
    assert real_abs.podcast_item_id not in by_id  # … the progress job never sees it
    entry = by_id[leviathan.item_id]
    assert entry.item.title == "Leviathan Wakes"
    assert entry.progress.progress == 0.5 and entry.progress.current_time == 85.0
    assert entry.progress.started_at is not None and not entry.progress.is_finished
    assert [e.item.item_id for e in collected] == [leviathan.item_id]  # only this user's progress
    assert await api.progress(real_abs.books["hobbit"].item_id) is None  # 404 → None
