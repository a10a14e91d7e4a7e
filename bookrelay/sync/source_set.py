"""The sources of one user's progress job, collected together (Audiobookshelf and/or Audible).

A source refused by its own limits (Audible's interval or daily cap) gives nothing this run and
leaves a note saying when it is allowed again; the other sources still sync. Any other error
(AuthError: N4) stops the run as before.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bookrelay.domain.entries import SourceEntry
from bookrelay.errors import QuotaExhausted, RateLimited

log = logging.getLogger(__name__)

SourceCollector = Callable[[], Awaitable[list[SourceEntry]]]


@dataclass
class SourceSet:
    """Named collectors run one after the other; ``notes`` tells what was skipped in the last run."""

    collectors: dict[str, SourceCollector] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, collect: SourceCollector) -> None:
        """Add a source under ``name`` ("abs", "audible")."""
        self.collectors[name] = collect

    def __bool__(self) -> bool:
        return bool(self.collectors)

    async def collect(self) -> list[SourceEntry]:
        """Every source's entries; a source refused by a limit is left out with a note."""
        self.notes = []
        entries: list[SourceEntry] = []
        for name, collect in self.collectors.items():
            try:
                entries.extend(await collect())
            except (RateLimited, QuotaExhausted) as exc:
                # Only the limits bookrelay keeps for the source itself skip it; a 429 the service
                # answered after retries is the same thing from the user's point of view.
                log.info("source %s skipped: %s", name, exc)
                self.notes.append(f"{name} skipped: {exc}")
        return entries

    def last_notes(self) -> list[str]:
        """The notes of the last :meth:`collect`."""
        return list(self.notes)
