"""What a progress run did, for the summary, the store and the front ends."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from bookrelay.domain.actions import Action, Hold, OpenConflict, Skip


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """One item's plan: the actions a real run applies (and a dry run prints)."""

    item_id: str
    title: str
    actions: tuple[Action, ...]
    note: str | None = None  # how the edition was chosen, when people should know (M5's page fallback)

    def describe(self) -> list[str]:
        """One line per action, in words, then the item's note."""
        return [describe_action(a) for a in self.actions] + ([self.note] if self.note else [])


def describe_action(action: Action) -> str:
    """A short human sentence for an action."""
    name = type(action).__name__
    if isinstance(action, Hold):
        return f"Hold [{action.rule}] {action.reason}"
    if isinstance(action, Skip):
        return f"Skip {action.reason}"
    if isinstance(action, OpenConflict):
        return f"OpenConflict {action.reason} ({len(action.candidates)} candidates)"
    fields = {k: v for k, v in asdict(action).items() if k != "item_id" and v is not None}
    shown = ", ".join(f"{k}={v.name if hasattr(v, 'name') else v}" for k, v in fields.items())
    return f"{name} {shown}"


@dataclass
class ProgressReport:
    """The summary of one user's progress run."""

    user_id: str
    dry_run: bool = False
    run_id: int | None = None
    items_seen: int = 0
    unchanged: int = 0
    disabled: int = 0
    linked: Counter[str] = field(default_factory=Counter)
    written: int = 0
    held: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    conflicts_opened: int = 0
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # (item, title, reason)
    unmatched: list[tuple[str, str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    recovered_writes: int = 0
    units_spent: int = 0
    units_left_today: int | None = None
    requests: int = 0
    plan: list[PlannedItem] = field(default_factory=list)  # a dry run's, or a real run's when asked
    finished: list[str] = field(default_factory=list)  # titles this run marked finished on Hardcover
    notes: list[str] = field(default_factory=list)  # a source skipped this run, and why
    # (item, title, note) of items written in a way people should know of: M5's page progress.
    item_notes: list[tuple[str, str, str]] = field(default_factory=list)
    error: str | None = None
    # The error class that stopped the run (AuthError, QuotaExhausted, …): the queue's retry rule reads it.
    error_kind: str | None = None

    @property
    def status(self) -> str:
        """ok, partial (some items failed) or failed (the run stopped)."""
        if self.error:
            return "failed"
        return "partial" if self.failed else "ok"

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary stored with the run and shown by the front ends."""
        return {
            "user": self.user_id,
            "dry_run": self.dry_run,
            "items_seen": self.items_seen,
            "unchanged": self.unchanged,
            "disabled": self.disabled,
            "linked": dict(self.linked),
            "written": self.written,
            "held": dict(self.held),
            "skipped": self.skipped,
            "conflicts_opened": self.conflicts_opened,
            "conflicts": [list(c) for c in self.conflicts],
            "unmatched": [list(u) for u in self.unmatched],
            "failed": [list(f) for f in self.failed],
            "recovered_writes": self.recovered_writes,
            "hardcover_units": self.units_spent,
            "hardcover_units_left_today": self.units_left_today,
            "hardcover_requests": self.requests,
            "notes": list(self.notes),
            "item_notes": [list(n) for n in self.item_notes],
            "error": self.error,
        }
