"""What an enrich run reports: its proposals, writes, batch position; and what an undo put back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bookrelay.domain.enrichment import FieldValue
from bookrelay.sync.runs import JobReport


@dataclass(frozen=True, slots=True)
class Proposal:
    """Identifiers to write to one item, where they come from and how sure the match is."""

    item_id: str
    title: str
    method: str  # asin | isbn | fuzzy | tags
    book_id: int
    values: tuple[FieldValue, ...]
    old: dict[str, str | None]
    score: float
    parts: str
    strong: bool

    def describe(self) -> str:
        """``isbn: <old> → 978…; asin: … → B0…`` for the table."""
        return "; ".join(f"{v.field}: {self.old.get(v.field) or '∅'} → {v.value}" for v in self.values)


@dataclass
class EnrichReport(JobReport):
    """What one enrich run saw, proposed and (with ``--apply``) wrote."""

    user_id: str
    dry_run: bool
    min_score: float
    items_seen: int = 0
    candidates: int = 0
    proposals: list[Proposal] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # item, title, why
    written: list[tuple[str, str, str | None, str]] = field(default_factory=list)  # item, field, old, new
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    units_left_today: int | None = None
    batch: Batch | None = None

    def failed_items(self) -> int:
        """Items whose write failed."""
        return len(self.failed)

    def counts(self) -> dict[str, int]:
        """How many items were proposed, written, skipped and failed."""
        counts = {
            "proposed": len(self.proposals),
            "written": len({item for item, *_ in self.written}),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
        }
        return {k: v for k, v in counts.items() if v}

    def item_lines(self) -> list[str]:
        """One line per proposal: the item and the values it gets."""
        return [f"{p.title}: {p.describe()}" for p in self.proposals]

    def run_summary(self) -> dict[str, Any]:
        """The summary stored with the run; ``last_item`` says where the next batch of its kind starts
        (a failed batch is not a step forward, so it has none)."""
        summary: dict[str, Any] = {
            "candidates": self.candidates,
            "proposals": len(self.proposals),
            "strong": sum(p.strong for p in self.proposals),
            "written": len(self.written),
        }
        if not self.error:
            summary["last_item"] = self.batch.last_item if self.batch else None
        return summary


@dataclass(frozen=True, slots=True)
class Batch:
    """Where a ``--limit`` batch sat among all candidate items, and where the next one starts."""

    first: int  # 1-based position of its first candidate among all candidates, in the library's order
    last: int
    total: int  # candidates in the whole library
    after_title: str | None  # the item the previous batch stopped at (None: the start, or --offset)
    last_item: str | None  # the id the next batch continues after (None: the next starts from the top)
    started_over: bool = False  # the previous batch had reached the end: this one starts from the top

    @property
    def remaining(self) -> int:
        """Candidates after this batch."""
        return self.total - self.last


@dataclass
class UndoReport:
    """What ``enrich undo`` put back, and what it left alone because the value changed since."""

    run_id: int
    restored: list[tuple[str, str, str | None, str | None]] = field(
        default_factory=list
    )  # item, field, from, to
    kept: list[tuple[str, str, str]] = field(default_factory=list)  # item, field, why
    failed: list[tuple[str, str, str]] = field(default_factory=list)
