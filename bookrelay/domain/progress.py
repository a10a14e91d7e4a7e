"""Progress arithmetic (rules P1, P2, P10): the source's fraction, Hardcover's units, calendar dates."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bookrelay.domain.models import Edition, MediaKind, Read, ReadingFormat, SourceProgress
from bookrelay.errors import BadResponse


def _checked(value: float, name: str, progress: SourceProgress) -> float:
    if not math.isfinite(value) or value < 0:
        raise BadResponse(
            f"progress of item {progress.item_id}: {name} is {value!r}, not a non-negative number",
            service=str(progress.source),
        )
    return value


def source_fraction(progress: SourceProgress, item_duration: float | None) -> float:
    """The 0..1 fraction a source reports (P1): finished → 1, else progress, time/duration, ebook."""
    if progress.is_finished:
        return 1.0
    stored = _checked(progress.progress, "progress", progress)
    if stored > 0:
        return min(1.0, stored)
    current = _checked(progress.current_time, "currentTime", progress)
    duration = _checked(progress.duration, "duration", progress)
    # ABS stores duration 0 when the client did not send it: fall back to the item's length.
    if duration <= 0 and item_duration:
        duration = item_duration
    if current > 0 and duration > 0:
        return min(1.0, current / duration)
    ebook = _checked(progress.ebook_progress, "ebookProgress", progress)
    return min(1.0, ebook)


@dataclass(frozen=True, slots=True)
class ProgressValue:
    """Progress in Hardcover's units: ``seconds`` on audio editions, ``pages`` on text ones (P2)."""

    seconds: int | None = None
    pages: int | None = None

    @property
    def is_empty(self) -> bool:
        """True when the edition has no length, so no progress can be written on it."""
        return self.seconds is None and self.pages is None


def _writes_seconds(edition: Edition, prefer: MediaKind | None) -> bool:
    if edition.reading_format is ReadingFormat.AUDIO:
        return bool(edition.audio_seconds)
    if edition.reading_format in (ReadingFormat.PHYSICAL, ReadingFormat.EBOOK):
        return False
    # Format BOTH or unknown: the unit the edition has, the item's own when it has both.
    if edition.audio_seconds and edition.pages:
        return prefer is not MediaKind.EBOOK
    return bool(edition.audio_seconds)


def to_hardcover_units(fraction: float, edition: Edition, prefer: MediaKind | None = None) -> ProgressValue:
    """``fraction`` of the edition's length, in seconds or pages (P2); empty when it has neither."""
    share = min(1.0, max(0.0, fraction))
    if _writes_seconds(edition, prefer) and edition.audio_seconds:
        return ProgressValue(seconds=round(share * edition.audio_seconds))
    if edition.pages:
        return ProgressValue(pages=round(share * edition.pages))
    return ProgressValue()


def read_fraction(read: Read, edition: Edition | None) -> float | None:
    """The 0..1 progress of a Hardcover read: its computed percent, else its units over the edition length."""
    if read.progress is not None:
        return max(0.0, min(1.0, read.progress / 100.0))
    if edition is not None:
        if read.progress_seconds is not None and edition.audio_seconds:
            return min(1.0, read.progress_seconds / edition.audio_seconds)
        if read.progress_pages is not None and edition.pages:
            return min(1.0, read.progress_pages / edition.pages)
    return None


def local_date(ts: datetime, tz: ZoneInfo) -> date:
    """The calendar date of an aware timestamp in the user's zone (P10); naive timestamps are refused."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"timestamp {ts.isoformat()} has no time zone; P10 needs aware timestamps")
    return ts.astimezone(tz).date()
