"""Hardcover → Audiobookshelf progress (S12-S15): the newest Hardcover read of each linked book, written to
the Audiobookshelf item when it is newer, with the server's semantics (ref/audiobookshelf.md §8).

Reads: one ``me``, one ``user_books`` ``_in`` query per hundred books, one ``/api/me`` for all local
progress, and the items' lengths in one batch when the progress lacks them. Every evaluated item's state
is remembered (scrobble_state, feature ``progress``), so the next run knows what changed since.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.mapper import is_episode_progress, map_item, map_progress
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.domain.directions import (
    HardcoverReading,
    LocalPosition,
    ReversePlan,
    ReverseSettings,
    Seen,
    plan_reverse_progress,
)
from bookrelay.domain.models import Source, SourceProgress, UserBook
from bookrelay.domain.progress import read_fraction
from bookrelay.errors import BookrelayError
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.store.facade import Store
from bookrelay.store.repositories.scrobble import ScrobbleStateRepo

FEATURE = "progress"


@dataclass
class ReverseReport:
    """What the reverse progress step planned and did."""

    plans: list[ReversePlan] = field(default_factory=list)
    written: int = 0
    held: Counter[str] = field(default_factory=Counter)
    failed: list[tuple[str, str]] = field(default_factory=list)


def reading_of(entry: UserBook) -> HardcoverReading | None:
    """The entry's newest read as a fraction of the book; None when it has no read."""
    if not entry.reads:
        return None
    read = entry.reads[0]
    finished = read.finished_at is not None
    fraction = read_fraction(read, entry.edition)
    if fraction is None:
        fraction = 1.0 if finished else 0.0
    return HardcoverReading(read.id, fraction, finished, read.started_at, read.finished_at)


def position_of(progress: SourceProgress | None) -> LocalPosition | None:
    """Audiobookshelf's progress in the plan's terms."""
    if progress is None:
        return None
    return LocalPosition(
        current_time=progress.current_time,
        duration=progress.duration,
        is_finished=progress.is_finished,
        last_update=progress.last_update,
        finished_at=progress.finished_at,
    )


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


@dataclass
class ReverseProgress:
    """One user's Hardcover → Audiobookshelf progress step."""

    user_id: str
    hardcover: HardcoverApi
    audiobookshelf: AbsApi
    store: Store
    state: ScrobbleStateRepo
    settings: ReverseSettings
    tz: ZoneInfo
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def run(self, *, dry_run: bool = False) -> ReverseReport:
        """Plan every linked item; unless ``dry_run`` write and remember. An item's failure stays its own."""
        report = ReverseReport()
        links = [
            link
            for link in self.store.links.list_for_user(self.user_id, MatchOutcome.LINKED)
            if link.source == Source.AUDIOBOOKSHELF.value and link.hardcover_book_id and link.sync_enabled
        ]
        if not links:
            return report
        me = await self.hardcover.me()
        book_ids = sorted({link.hardcover_book_id for link in links if link.hardcover_book_id})
        entries = {e.book_id: e for e in await self.hardcover.user_books_for_books(me.id, book_ids)}
        local = await self._local_progress()
        durations = await self._durations([link.source_item_id for link in links], local)
        seen_all = self.state.all(self.user_id, FEATURE)
        for link in links:
            entry = entries.get(link.hardcover_book_id or 0)
            reading = reading_of(entry) if entry is not None else None
            if reading is None:
                continue  # nothing on Hardcover to carry over
            item_id = link.source_item_id
            seen_raw = seen_all.get(item_id)
            seen = Seen(seen_raw["hardcover"], seen_raw.get("local_last_update_ms")) if seen_raw else None
            position = position_of(local.get(item_id))
            plan = plan_reverse_progress(
                item_id, reading, position, seen, durations.get(item_id), self.settings, self.tz
            )
            report.plans.append(plan)
            if not plan.writes and plan.rule:
                report.held[plan.rule] += 1
            if dry_run:
                continue
            try:
                after = await self._write(plan) if plan.writes else local.get(item_id)
            except BookrelayError as exc:
                report.failed.append((item_id, str(exc)))
                continue
            if plan.writes:
                report.written += 1
            self._remember(item_id, reading, after)
        return report

    async def _local_progress(self) -> dict[str, SourceProgress]:
        me = await self.audiobookshelf.me()
        found: dict[str, SourceProgress] = {}
        for raw in me.get("mediaProgress", []):
            if is_episode_progress(raw):
                continue
            progress = map_progress(raw)
            if progress is not None:
                found[progress.item_id] = progress
        return found

    async def _durations(self, item_ids: list[str], local: dict[str, SourceProgress]) -> dict[str, float]:
        """Item lengths for items whose progress does not carry a duration (ABS stores 0 then, ref §8.1)."""
        missing = [i for i in item_ids if i not in local or local[i].duration <= 0]
        if not missing:
            return {}
        found: dict[str, float] = {}
        for raw in await self.audiobookshelf.items_batch(missing):
            item = map_item(raw)
            if item is not None and item.duration_seconds:
                found[item.item_id] = item.duration_seconds
        return found

    async def _write(self, plan: ReversePlan) -> SourceProgress | None:
        assert plan.payload is not None
        await self.audiobookshelf.update_progress(plan.item_id, plan.payload)  # type: ignore[arg-type]
        # The server answers text "OK": read the entry back to remember what it stored.
        raw = await self.audiobookshelf.progress(plan.item_id)
        return map_progress(raw) if raw is not None else None

    def _remember(self, item_id: str, reading: HardcoverReading, local: SourceProgress | None) -> None:
        value: dict[str, Any] = {
            "hardcover": reading.fingerprint(),
            "local_last_update_ms": _ms(local.last_update) if local else None,
        }
        self.state.put(self.user_id, FEATURE, item_id, value)
