"""Collecting what the sources report: items with their progress, ready for matching."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.mapper import is_episode_progress, map_item, map_progress
from bookrelay.connectors.audiobookshelf.types import AbsMediaProgress
from bookrelay.domain.identifiers import metadata_hash
from bookrelay.domain.models import SourceItem, SourceProgress


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One book a source reports progress on."""

    item: SourceItem
    progress: SourceProgress

    @property
    def fingerprint(self) -> str:
        """A digest of everything that could change what is written: progress and metadata.

        An item whose fingerprint equals the one recorded after its last settled run needs no
        Hardcover request at all (zero units when nothing changed).
        """
        p = self.progress
        payload = [
            round(p.progress, 4),
            round(p.current_time, 1),
            round(p.duration, 1),
            round(p.ebook_progress, 4),
            p.is_finished,
            p.started_at.isoformat() if p.started_at else None,
            p.finished_at.isoformat() if p.finished_at else None,
            metadata_hash(self.item),
            self.item.isbn,
            self.item.asin,
        ]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:32]


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
