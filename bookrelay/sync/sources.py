"""Collecting what the sources report: items with their progress, ready for matching."""

from __future__ import annotations

from collections.abc import Sequence

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.mapper import is_episode_progress, map_item, map_progress
from bookrelay.connectors.audiobookshelf.types import AbsMediaProgress
from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.models import SourceProgress


async def _book_progress(api: AbsApi) -> dict[str, SourceProgress]:
    """The user's book progress by item id, mapped while ``/api/me`` is parsed (no wire dicts kept)."""

    def keep(raw: AbsMediaProgress) -> SourceProgress | None:
        return None if is_episode_progress(raw) else map_progress(raw)

    return {progress.item_id: progress for progress in await api.progress_entries(keep)}


async def collect_audiobookshelf(
    api: AbsApi, *, include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[SourceEntry]:
    """Every book the user has progress on in the chosen book libraries (podcasts and episodes skipped).

    One ``/api/me`` for all progress, one ``/api/libraries``, and the items fetched in batches.
    """
    progress_by_item = await _book_progress(api)
    if not progress_by_item:
        return []
    libraries = {lib["id"] for lib in await api.book_libraries(list(include) or None, list(exclude) or None)}
    entries: list[SourceEntry] = []
    # Mapped chunk by chunk: only the small domain objects outlive an answer, never all wire items at once.
    async for chunk in api.items_batch_chunks(sorted(progress_by_item)):
        for raw_item in chunk:
            item = map_item(raw_item)
            if item is None or (item.library_id is not None and item.library_id not in libraries):
                continue
            progress = progress_by_item.pop(item.item_id, None)
            if progress is not None:
                entries.append(SourceEntry(item, progress))
    entries.sort(key=lambda e: (e.item.title.casefold(), e.item.item_id))
    return entries
