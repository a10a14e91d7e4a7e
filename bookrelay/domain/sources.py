"""Several sources, one Hardcover book (rule A4): which source's report is written.

When Audiobookshelf and Audible (or two items of one source) report progress on the same Hardcover
book in one run, only the newest report is planned; the others are recorded as superseded and not
written. The regression guard P5 still applies to the one that wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class BookReport:
    """One source item's progress on a Hardcover book, as far as the merge needs it."""

    item_id: str
    source: str
    book_id: int
    updated_at: datetime | None  # when the source last saw progress; None counts as oldest
    fraction: float


def _newness(report: BookReport) -> tuple[bool, float, float, str, str]:
    stamp = report.updated_at.timestamp() if report.updated_at is not None else 0.0
    # Equal times are broken by the further progress, then by names, so the outcome never depends on
    # the order the sources were collected in.
    return (report.updated_at is not None, stamp, report.fraction, report.source, report.item_id)


def merge_by_book(reports: Iterable[BookReport]) -> dict[str, BookReport]:
    """For every report that another, newer report on the same book supersedes: its item id → the
    report that wins (A4). Items missing from the answer are the ones to plan."""
    by_book: dict[int, list[BookReport]] = defaultdict(list)
    for report in reports:
        by_book[report.book_id].append(report)
    superseded: dict[str, BookReport] = {}
    for group in by_book.values():
        if len(group) < 2:
            continue
        winner = max(group, key=_newness)
        for report in group:
            if report is not winner:
                superseded[report.item_id] = winner
    return superseded
