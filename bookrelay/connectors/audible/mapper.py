"""Audible wire shapes → domain objects (the only place that builds them from Audible data).

Facts: ref Part C.3 (library fields, explicit nulls), C.4 (positions, finished events, both timestamp
forms). Audible has no ISBN: items carry their ASIN, and ``runtime_length_min`` gives the duration the
fuzzy matcher compares (rules M3, M4); progress follows rule P1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from bookrelay.connectors.audible.session import SERVICE
from bookrelay.connectors.audible.types import FinishedEvent, LastPositionHeard, LibraryItem
from bookrelay.domain.models import MediaKind, SeriesRef, Source, SourceItem, SourceProgress
from bookrelay.errors import BadResponse


def parse_timestamp(value: Any, place: str) -> datetime | None:
    """An Audible timestamp as an aware UTC datetime: ISO ``…Z``/offset or ``"2026-09-30 12:33:04.122"``
    (UTC without a zone); None for null or empty, BadResponse naming ``place`` when unreadable."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadResponse(
            f"{place}: expected a timestamp string, got {type(value).__name__}", service=SERVICE
        )
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadResponse(f"{place}: unreadable timestamp {value!r}", service=SERVICE) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _number(value: Any, place: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadResponse(f"{place}: expected a number, got {value!r}", service=SERVICE)
    return float(value)


def _names(value: Any, place: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BadResponse(f"{place}: expected a list or null", service=SERVICE)
    names = []
    for person in value:
        name = person.get("name") if isinstance(person, dict) else None
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return tuple(names)


def _series(value: Any, place: str) -> tuple[SeriesRef, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BadResponse(f"{place}: expected a list or null", service=SERVICE)
    refs = []
    for entry in value:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("title"), str)
            or not entry["title"].strip()
        ):
            continue
        sequence = entry.get("sequence")
        position = str(sequence).strip() if isinstance(sequence, str | int | float) else ""
        refs.append(SeriesRef(name=entry["title"].strip(), position=position or None))
    return tuple(refs)


def _year(item: Mapping[str, Any]) -> int | None:
    for key in ("release_date", "issue_date"):
        value = item.get(key)
        # A date we cannot read only costs the year part of the score, not the item.
        if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():
            return int(value[:4])
    return None


def _asin(item: Mapping[str, Any], place: str) -> str:
    asin = item.get("asin") if isinstance(item, Mapping) else None
    if not isinstance(asin, str) or not asin.strip():
        raise BadResponse(f"{place}: the item has no asin", service=SERVICE)
    return asin.strip()


def _runtime_seconds(item: Mapping[str, Any], place: str) -> float | None:
    minutes = _number(item.get("runtime_length_min"), f"{place}.runtime_length_min")
    return minutes * 60 if minutes else None


def to_source_item(item: LibraryItem, place: str = "audible library item") -> SourceItem:
    """A library item as a :class:`SourceItem` keyed by its ASIN; BadResponse names the item when
    the asin or the title (``product_desc`` group) is missing."""
    asin = _asin(item, place)
    place = f"{place} {asin}"
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        raise BadResponse(
            f"{place}: no title (was the product_desc response group asked for?)", service=SERVICE
        )
    subtitle = item.get("subtitle")
    return SourceItem(
        source=Source.AUDIBLE,
        item_id=asin,
        title=title.strip(),
        subtitle=subtitle.strip() if isinstance(subtitle, str) and subtitle.strip() else None,
        authors=_names(item.get("authors"), f"{place}.authors"),
        narrators=_names(item.get("narrators"), f"{place}.narrators"),
        series=_series(item.get("series"), f"{place}.series"),
        published_year=_year(item),
        duration_seconds=_runtime_seconds(item, place),
        asin=asin,
        media_kind=MediaKind.AUDIO,
    )


def latest_finishes(events: Iterable[FinishedEvent]) -> dict[str, datetime]:
    """The latest ``is_marked_as_finished`` event time per ASIN (un-marking events are skipped)."""
    latest: dict[str, datetime] = {}
    for i, event in enumerate(events):
        if event.get("is_marked_as_finished") is not True:
            continue
        at = parse_timestamp(event.get("event_timestamp"), f"audible finished event {i}.event_timestamp")
        asin = event.get("asin")
        if at is None or not isinstance(asin, str):
            continue
        if asin not in latest or at > latest[asin]:
            latest[asin] = at
    return latest


def to_source_progress(
    item: LibraryItem,
    position: LastPositionHeard | None = None,
    finished_at: datetime | None = None,
    place: str = "audible library item",
) -> SourceProgress:
    """The progress of one library item (rule P1): ``percent_complete``, ``is_finished``, the exact last
    position when known, and the finish date when finished (``finished_at`` from the finished events
    wins over ``listening_status.finished_at_timestamp``)."""
    asin = _asin(item, place)
    place = f"{place} {asin}"
    status = item.get("listening_status")
    if status is not None and not isinstance(status, dict):
        raise BadResponse(f"{place}.listening_status: expected an object or null", service=SERVICE)
    status = status or {}
    percent = _number(item.get("percent_complete"), f"{place}.percent_complete")
    if percent is None:
        percent = _number(status.get("percent_complete"), f"{place}.listening_status.percent_complete")
    fraction = min(1.0, max(0.0, (percent or 0.0) / 100))
    duration = _runtime_seconds(item, place) or 0.0
    is_finished = item.get("is_finished") is True or status.get("is_finished") is True
    last_update = None
    if position is not None:
        current = float(position["position_ms"]) / 1000
        last_update = parse_timestamp(position.get("last_updated"), f"{place} last position.last_updated")
    else:
        current = fraction * duration
    finished = None
    if is_finished:
        # A finish date on an unfinished item belongs to an earlier listen (ref C.3 example): not used.
        finished = finished_at or parse_timestamp(
            status.get("finished_at_timestamp"), f"{place}.listening_status.finished_at_timestamp"
        )
    return SourceProgress(
        source=Source.AUDIBLE,
        item_id=asin,
        progress=fraction,
        current_time=current,
        duration=duration,
        is_finished=is_finished,
        finished_at=finished,
        last_update=last_update,
    )


def map_library(
    items: Iterable[LibraryItem],
    positions: Mapping[str, LastPositionHeard],
    events: Iterable[FinishedEvent],
) -> list[tuple[SourceItem, SourceProgress]]:
    """Each library item with its progress, joined with the positions and finish dates by ASIN."""
    finishes = latest_finishes(events)
    result = []
    for i, item in enumerate(items):
        place = f"audible library item #{i}"
        source_item = to_source_item(item, place)
        asin = source_item.item_id
        progress = to_source_progress(item, positions.get(asin), finishes.get(asin), place)
        result.append((source_item, progress))
    return result
