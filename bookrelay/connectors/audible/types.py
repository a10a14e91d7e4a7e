"""Wire shapes of the Audible API calls bookrelay makes (ref Part C.3, C.4); every field may be absent
or null, since a field only comes with its response group."""

from __future__ import annotations

from typing import TypedDict


class Contributor(TypedDict, total=False):
    """An author or narrator (``contributors`` group); narrators often have a null ``asin``."""

    asin: str | None
    name: str


class SeriesEntry(TypedDict, total=False):
    """A series the title belongs to (``series`` group); ``sequence`` is a string like "1" or "2.5"."""

    asin: str | None
    sequence: str | None
    title: str
    url: str | None


class ListeningStatus(TypedDict, total=False):
    """The ``listening_status`` group."""

    finished_at_timestamp: str | None
    is_finished: bool | None
    percent_complete: float | None
    time_remaining_seconds: int | None


class LibraryItem(TypedDict, total=False):
    """One entry of ``GET 1.0/library``."""

    asin: str
    title: str
    subtitle: str | None
    authors: list[Contributor] | None
    narrators: list[Contributor] | None
    publisher_name: str | None
    release_date: str | None
    issue_date: str | None
    runtime_length_min: int | None
    language: str | None
    format_type: str | None
    content_delivery_type: str | None
    series: list[SeriesEntry] | None
    purchase_date: str | None
    status: str | None
    percent_complete: float | None
    is_finished: bool | None
    listening_status: ListeningStatus | None


class LastPositionHeard(TypedDict, total=False):
    """``last_position_heard``: only ``status == "Exists"`` carries a position."""

    position_ms: int
    status: str
    last_updated: str


class FinishedEvent(TypedDict, total=False):
    """One entry of ``mark_as_finished_status_list``."""

    asin: str
    event_timestamp: str
    is_marked_as_finished: bool
