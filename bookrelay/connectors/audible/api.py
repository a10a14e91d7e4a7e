"""One method per Audible call bookrelay makes (ref Part C.3, C.4), over :class:`AudibleSession`.

Upstream: https://audible.readthedocs.io/en/latest/misc/external_api.html
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from bookrelay.connectors.audible.session import SERVICE, AudibleSession
from bookrelay.connectors.audible.types import FinishedEvent, LastPositionHeard, LibraryItem
from bookrelay.errors import BadResponse, ConfigError

MAX_PAGE_SIZE = 1000  # num_results limit of 1.0/library
POSITIONS_PER_CALL = 25  # 1.0/annotations/lastpositions takes at most 25 ASINs
DEFAULT_START_DATE = "2000-01-01T00:00:00Z"
# The groups that carry what the mapper reads: title, contributors, runtime and release date,
# series, and the three progress fields.
LIBRARY_RESPONSE_GROUPS = (
    "product_desc",
    "contributors",
    "product_attrs",
    "series",
    "percent_complete",
    "is_finished",
    "listening_status",
)


class AudibleApi:
    """The Audible calls of the progress job: library, last positions, finished events."""

    def __init__(self, session: AudibleSession) -> None:
        self.session = session

    async def library(
        self, page_size: int = MAX_PAGE_SIZE, response_groups: Sequence[str] = LIBRARY_RESPONSE_GROUPS
    ) -> list[LibraryItem]:
        """Every library item, page by page, until a short page or the ``total-count`` is reached."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ConfigError(
                f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}", place="audible library"
            )
        items: list[LibraryItem] = []
        total: int | None = None
        page = 1
        while True:
            label = f"library page {page}"
            answer = await self.session.get(
                "1.0/library",
                {"num_results": page_size, "page": page, "response_groups": ",".join(response_groups)},
                label=label,
            )
            batch = _list_field(answer.data, "items", label)
            if total is None:
                total = _total_count(answer.headers.get("total-count"), label)
            items.extend(cast(list[LibraryItem], batch))
            if len(batch) < page_size or (total is not None and len(items) >= total):
                return items
            page += 1

    async def last_positions(self, asins: Iterable[str]) -> dict[str, LastPositionHeard]:
        """The last heard position per ASIN, asked 25 at a time; ASINs without one are left out."""
        unique = list(dict.fromkeys(a for a in asins if a))
        positions: dict[str, LastPositionHeard] = {}
        for start in range(0, len(unique), POSITIONS_PER_CALL):
            chunk = unique[start : start + POSITIONS_PER_CALL]
            label = f"last positions {start + 1}-{start + len(chunk)}"
            answer = await self.session.get(
                "1.0/annotations/lastpositions", {"asins": ",".join(chunk)}, label=label
            )
            for i, entry in enumerate(_list_field(answer.data, "asin_last_position_heard_annots", label)):
                place = f"{label}: asin_last_position_heard_annots[{i}]"
                if not isinstance(entry, dict) or not isinstance(entry.get("asin"), str):
                    raise BadResponse(f"{place}: expected an object with an asin", service=SERVICE)
                heard = entry.get("last_position_heard")
                if not isinstance(heard, dict):
                    raise BadResponse(f"{place}.last_position_heard: expected an object", service=SERVICE)
                if heard.get("status") != "Exists":
                    continue
                if isinstance(heard.get("position_ms"), bool) or not isinstance(
                    heard.get("position_ms"), int
                ):
                    raise BadResponse(
                        f"{place}.last_position_heard.position_ms: not an integer", service=SERVICE
                    )
                positions[entry["asin"]] = cast(LastPositionHeard, heard)
        return positions

    async def finished_events(self, start_date: str = DEFAULT_START_DATE) -> list[FinishedEvent]:
        """Every mark-as-finished event since ``start_date``, following continuation tokens."""
        events: list[FinishedEvent] = []
        token: str | None = None
        seen: set[str] = set()
        page = 1
        while True:
            label = f"finished events page {page}"
            params: dict[str, str | int] = {"start_date": start_date}
            if token:
                params["continuation_token"] = token
            answer = await self.session.get("1.0/stats/status/finished", params, label=label)
            for i, event in enumerate(_list_field(answer.data, "mark_as_finished_status_list", label)):
                if not isinstance(event, dict) or not isinstance(event.get("asin"), str):
                    raise BadResponse(
                        f"{label}: mark_as_finished_status_list[{i}]: expected an object with an asin",
                        service=SERVICE,
                    )
                events.append(cast(FinishedEvent, event))
            token = answer.data.get("continuation_token") or None
            if token is None:
                return events
            if not isinstance(token, str) or token in seen:
                # A repeated token would page forever.
                raise BadResponse(f"{label}: continuation_token repeats or is not a string", service=SERVICE)
            seen.add(token)
            page += 1


def _list_field(data: dict[str, Any], key: str, label: str) -> list[Any]:
    value = data.get(key)
    if value is None and key != "items":
        return []
    if not isinstance(value, list):
        raise BadResponse(f"{label}: {key} is missing or not a list", service=SERVICE)
    return value


def _total_count(value: str | None, label: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise BadResponse(f"{label}: total-count header {value!r} is not a number", service=SERVICE) from None
