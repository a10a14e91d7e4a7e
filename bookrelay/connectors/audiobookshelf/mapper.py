"""Audiobookshelf wire JSON → domain objects; the only place that builds them (STYLE 1).

Tolerates every shape from 2.17 to 2.36: minified items (``authorName`` / ``seriesName`` strings),
expanded ones (``authors[]`` / ``series[]``), ``li_`` ids. Podcasts and podcast-episode progress are
not books: the mappers return None for them. Identifiers are passed on raw (hyphens, ISBN-10 in the
``isbn`` field); normalising them is the domain's job (rule M3).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bookrelay.connectors.audiobookshelf.session import SERVICE
from bookrelay.connectors.audiobookshelf.types import AbsLibraryItem, AbsMediaProgress
from bookrelay.domain.models import MediaKind, SeriesRef, Source, SourceItem, SourceProgress
from bookrelay.errors import BadResponse
from bookrelay.matching.authors import split_authors

_SEQUENCE = re.compile(r"^(?P<name>.*?)\s+#(?P<seq>[^\s#]+)$")
_YEAR = re.compile(r"^\s*(\d{4})")


def _bad(place: str, message: str) -> BadResponse:
    return BadResponse(f"{place}: {message}", service=SERVICE)


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _number(value: Any, place: str, key: str) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(place, f"'{key}' is not a number: {value!r}")
    return float(value)


def ms_to_datetime(value: Any) -> datetime | None:
    """Epoch milliseconds → an aware UTC datetime; None for null, 0 or a non-number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def _names_from(values: Any, joined: Any) -> tuple[str, ...]:
    """Names from an expanded array (``[{"name": …}]`` or ``["…"]``), else from a joined "A, B" string."""
    if isinstance(values, list) and values:
        names = [v.get("name") if isinstance(v, dict) else v for v in values]
        return tuple(n.strip() for n in names if isinstance(n, str) and n.strip())
    if isinstance(joined, str):
        return tuple(part.strip() for part in joined.split(", ") if part.strip())
    return ()


def _authors(metadata: dict[str, Any]) -> tuple[str, ...]:
    """Authors from ``authors[]``, else from the minified ``authorName``: ABS joins names with ", ", so
    the string is read as people by M4's rule ("Smith, John" is one, "A B, C D" two), not cut at commas."""
    joined = metadata.get("authorName")
    if (isinstance(metadata.get("authors"), list) and metadata["authors"]) or not isinstance(joined, str):
        return _names_from(metadata.get("authors"), joined)
    return split_authors([joined]) if joined.strip() else ()


def _series(metadata: dict[str, Any]) -> tuple[SeriesRef, ...]:
    series = metadata.get("series")
    if isinstance(series, list) and series:
        refs = []
        for entry in series:
            if isinstance(entry, dict) and _text(entry.get("name")):
                refs.append(SeriesRef(name=str(entry["name"]).strip(), position=_text(entry.get("sequence"))))
        return tuple(refs)
    name = metadata.get("seriesName")
    if not isinstance(name, str):
        return ()
    refs = []
    for part in (p.strip() for p in name.split(", ")):
        if not part:
            continue
        match = _SEQUENCE.match(part)
        refs.append(SeriesRef(match["name"], match["seq"]) if match else SeriesRef(part))
    return tuple(refs)


def _year(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (match := _YEAR.match(value)):
        return int(match.group(1))
    return None


def _media_kind(media: dict[str, Any], duration: float) -> MediaKind:
    has_ebook = bool(media.get("ebookFormat") or media.get("ebookFile"))
    audio_files = media.get("audioFiles")
    num_audio = media.get("numAudioFiles", media.get("numTracks"))
    if isinstance(audio_files, list):
        has_audio = bool(audio_files)
    elif isinstance(num_audio, int):
        has_audio = num_audio > 0
    else:
        has_audio = duration > 0
    return MediaKind.EBOOK if has_ebook and (not has_audio or duration <= 0) else MediaKind.AUDIO


def _tag(media: dict[str, Any], name: str) -> str | None:
    """An identifier from the audio files' embedded tags (``tagIsbn``, ``tagASIN``), when present."""
    files = media.get("audioFiles")
    for audio in files if isinstance(files, list) else ():
        tags = audio.get("metaTags") if isinstance(audio, dict) else None
        if isinstance(tags, dict) and (value := _text(tags.get(name))):
            return value
    return None


def is_podcast_item(item: AbsLibraryItem | dict[str, Any]) -> bool:
    """True for podcast library items, which bookrelay never syncs."""
    return item.get("mediaType") == "podcast"


def map_item(item: AbsLibraryItem | dict[str, Any]) -> SourceItem | None:
    """A book item (minified or expanded) as a SourceItem; None for podcasts; BadResponse when malformed."""
    raw: dict[str, Any] = dict(item) if isinstance(item, dict) else {}
    item_id = raw.get("id")
    place = f"audiobookshelf item {item_id!r}" if isinstance(item_id, str) else "audiobookshelf item"
    if not isinstance(item_id, str) or not item_id:
        raise _bad(place, "'id' is missing")
    if is_podcast_item(raw):
        return None
    media = raw.get("media")
    if not isinstance(media, dict):
        raise _bad(place, "'media' is missing or not an object")
    metadata = media.get("metadata")
    if not isinstance(metadata, dict):
        raise _bad(place, "'media.metadata' is missing or not an object")
    title = _text(metadata.get("title"))
    if title is None:
        raise _bad(place, "'media.metadata.title' is missing")
    duration = _number(media.get("duration"), place, "media.duration")
    kind = _media_kind(media, duration)
    return SourceItem(
        source=Source.AUDIOBOOKSHELF,
        item_id=item_id,
        title=title,
        authors=_authors(metadata),
        subtitle=_text(metadata.get("subtitle")),
        narrators=_names_from(metadata.get("narrators"), metadata.get("narratorName")),
        series=_series(metadata),
        published_year=_year(metadata.get("publishedYear")),
        duration_seconds=duration if duration > 0 else None,
        isbn=_text(metadata.get("isbn")) or _tag(media, "tagIsbn"),
        asin=_text(metadata.get("asin")) or _tag(media, "tagASIN"),
        media_kind=kind,
        # One string per library, not one per item (a 10,000-item library holds 10,000 items).
        library_id=sys.intern(raw["libraryId"]) if isinstance(raw.get("libraryId"), str) else None,
        updated_at=ms_to_datetime(raw.get("updatedAt")),
    )


def map_items(items: Iterable[AbsLibraryItem | dict[str, Any]]) -> list[SourceItem]:
    """Every book item mapped, podcasts left out."""
    return [mapped for item in items if (mapped := map_item(item)) is not None]


def is_episode_progress(entry: AbsMediaProgress | dict[str, Any]) -> bool:
    """True for podcast-episode progress, which bookrelay never syncs."""
    return bool(entry.get("episodeId")) or entry.get("mediaItemType") == "podcastEpisode"


def map_progress(entry: AbsMediaProgress | dict[str, Any]) -> SourceProgress | None:
    """A MediaProgress as a SourceProgress (ms → aware UTC); None for podcast episodes."""
    raw: dict[str, Any] = dict(entry) if isinstance(entry, dict) else {}
    item_id = raw.get("libraryItemId")
    place = f"audiobookshelf progress {raw.get('id')!r}"
    if is_episode_progress(raw):
        return None
    if not isinstance(item_id, str) or not item_id:
        raise _bad(place, "'libraryItemId' is missing")
    return SourceProgress(
        source=Source.AUDIOBOOKSHELF,
        item_id=item_id,
        progress=_number(raw.get("progress"), place, "progress"),
        current_time=_number(raw.get("currentTime"), place, "currentTime"),
        duration=_number(raw.get("duration"), place, "duration"),
        ebook_progress=_number(raw.get("ebookProgress"), place, "ebookProgress"),
        is_finished=bool(raw.get("isFinished")),
        started_at=ms_to_datetime(raw.get("startedAt")),
        finished_at=ms_to_datetime(raw.get("finishedAt")),
        last_update=ms_to_datetime(raw.get("lastUpdate")),
    )


def map_progress_list(entries: Iterable[AbsMediaProgress | dict[str, Any]]) -> list[SourceProgress]:
    """Every book progress mapped, podcast episodes left out."""
    return [mapped for entry in entries if (mapped := map_progress(entry)) is not None]
