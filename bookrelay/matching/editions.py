"""Which Hardcover edition progress goes on (rule M5).

The user's existing edition wins and is never replaced. Otherwise an identifier identifies the *book*
and the edition follows the item's format: audio progress only on an audio edition with a length,
text progress only on an edition with pages. An audiobook whose book has no audio edition with a
length goes on a paged edition instead, as page = round(fraction x pages) (seed 001 asks for it), unless
the ``sync.no_audio_edition`` setting asks for a conflict. Never an edition on which Hardcover would
show 0 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bookrelay.domain.models import Edition, MediaKind, ReadingFormat, SourceItem

NO_AUDIO_EDITION = "no audio edition with a length"
NO_TEXT_EDITION = "no text edition with pages"
NO_EDITION_AT_ALL = "no audio edition with a length and no edition with pages"

NoAudioEdition = Literal["pages", "conflict"]
"""What an audiobook without an audio edition with a length gets: page progress, or a conflict."""

_FORMAT_WORDS = {
    ReadingFormat.PHYSICAL: "print",
    ReadingFormat.EBOOK: "ebook",
    ReadingFormat.BOTH: "print and audio",
    ReadingFormat.AUDIO: "audio",
}


@dataclass(frozen=True, slots=True)
class EditionChoice:
    """The edition to write on (``edition_id`` set), or a conflict reason when there is none."""

    edition_id: int | None
    edition: Edition | None = None  # None for a kept edition that the caller did not fetch
    reason: str = ""
    conflict: str | None = None
    # Shown on the item's report line when the choice is not the obvious one (M5's page fallback).
    note: str | None = None

    @property
    def ok(self) -> bool:
        """True when an edition was chosen."""
        return self.edition_id is not None and self.conflict is None


def is_audio_capable(edition: Edition) -> bool:
    """An edition that can show audio progress: an audio (or both) format with ``audio_seconds``."""
    fmt = edition.reading_format
    return bool(edition.audio_seconds) and fmt in (ReadingFormat.AUDIO, ReadingFormat.BOTH, None)


def is_text_capable(edition: Edition) -> bool:
    """An edition that can show page progress: not an audio format, and with ``pages``."""
    return bool(edition.pages) and edition.reading_format is not ReadingFormat.AUDIO


def _with_hit(editions: Sequence[Edition], hit: Edition | None) -> list[Edition]:
    merged = {e.id: e for e in editions}
    if hit is not None:
        merged.setdefault(hit.id, hit)
    return list(merged.values())


def describe_edition(edition: Edition) -> str:
    """An edition as people read it: its title and format ("Dune, print, 480 pages")."""
    words = [edition.title or f"edition {edition.id}"]
    fmt = edition.edition_format or (
        _FORMAT_WORDS.get(edition.reading_format) if edition.reading_format else None
    )
    if fmt:
        words.append(fmt)
    if edition.pages:
        words.append(f"{edition.pages} pages")
    return ", ".join(words)


def _pages_instead(editions: list[Edition], hit: Edition | None) -> EditionChoice:
    """M5's fallback for an audiobook: the identifier's edition if it has pages, else the most read."""
    if hit is not None and is_text_capable(hit):
        best = hit
    else:
        text = [e for e in editions if is_text_capable(e)]
        if not text:
            return EditionChoice(None, None, "", NO_EDITION_AT_ALL)
        best = min(text, key=lambda e: (-e.users_count, e.id))
    note = f"no audio edition: page progress on {describe_edition(best)}"
    return EditionChoice(best.id, best, note, note=note)


def _choose_audio(
    item: SourceItem, editions: list[Edition], hit: Edition | None, no_audio_edition: NoAudioEdition
) -> EditionChoice:
    if hit is not None and is_audio_capable(hit):
        return EditionChoice(hit.id, hit, "the identifier named this audio edition")
    audio = [e for e in editions if is_audio_capable(e)]
    if not audio:
        if no_audio_edition == "pages":
            return _pages_instead(editions, hit)
        return EditionChoice(None, None, "", NO_AUDIO_EDITION)
    duration = item.duration_seconds
    if duration:
        # Closest length first (same recording), then the most used, then the lowest id for stability.
        best = min(audio, key=lambda e: (abs((e.audio_seconds or 0) - duration), -e.users_count, e.id))
        return EditionChoice(best.id, best, f"audio edition closest to {duration:.0f}s")
    best = min(audio, key=lambda e: (-e.users_count, e.id))
    return EditionChoice(best.id, best, "most used audio edition (item length unknown)")


def _choose_text(item: SourceItem, editions: list[Edition], hit: Edition | None) -> EditionChoice:
    if hit is not None and is_text_capable(hit):
        return EditionChoice(hit.id, hit, "the identifier named this edition")
    text = [e for e in editions if is_text_capable(e)]
    if not text:
        return EditionChoice(None, None, "", NO_TEXT_EDITION)
    want_ebook = item.media_kind is MediaKind.EBOOK
    best = min(
        text,
        key=lambda e: (not (want_ebook and e.reading_format is ReadingFormat.EBOOK), -e.users_count, e.id),
    )
    return EditionChoice(best.id, best, "text edition with pages")


def choose_edition(
    item: SourceItem,
    book_editions: Sequence[Edition],
    *,
    hit_edition: Edition | None = None,
    existing_edition_id: int | None = None,
    no_audio_edition: NoAudioEdition = "pages",
) -> EditionChoice:
    """The edition progress for ``item`` goes on (M5): the existing one, else one fitting its format;
    an audiobook without an audio edition with a length gets a paged one unless ``no_audio_edition``
    is ``"conflict"``."""
    if existing_edition_id is not None:
        known = next((e for e in _with_hit(book_editions, hit_edition) if e.id == existing_edition_id), None)
        # Kept even when absent from the list: the user chose it, and replacing it is not ours to do.
        return EditionChoice(existing_edition_id, known, "the edition already on the user's entry")
    editions = _with_hit(book_editions, hit_edition)
    if item.media_kind is MediaKind.AUDIO:
        return _choose_audio(item, editions, hit_edition, no_audio_edition)
    return _choose_text(item, editions, hit_edition)
