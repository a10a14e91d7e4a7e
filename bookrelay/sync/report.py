"""What a progress run did, for the summary, the store and the front ends.

Two kinds of words: :func:`describe_action` names an action as the code knows it (tests compare plans
by it), :func:`explain_action` says it as a person reads it, human words first and the rule code as
small print at the end ("held: … [P5]"). Each item a run changed, held, failed or could not place is an
:class:`ItemChange`: the run page, ``bookrelay status`` and ``-v`` show those.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from bookrelay.domain.actions import (
    WRITES,
    Action,
    AddToShelf,
    Hold,
    MarkFinished,
    OpenConflict,
    SetProgress,
    SetStatus,
    Skip,
    StartRead,
)
from bookrelay.domain.identifiers import metadata_hash
from bookrelay.domain.models import SourceItem, Status, UserBook
from bookrelay.store.repositories import ItemFacts
from bookrelay.sync.runs import JobReport

log = logging.getLogger(__name__)

STATUS_WORDS = {
    Status.WANT_TO_READ: "Want to Read",
    Status.READING: "Currently Reading",
    Status.READ: "Read",
    Status.PAUSED: "Paused",
    Status.DID_NOT_FINISH: "Did Not Finish",
    Status.IGNORED: "Ignored",
}
_RULE_PREFIX = re.compile(r"^(?P<rule>[A-Z]\d+):\s*(?P<rest>.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """One item's plan: the actions a real run applies (and a dry run prints)."""

    item_id: str
    title: str
    actions: tuple[Action, ...]
    note: str | None = None  # how the edition was chosen, when people should know (M5's page fallback)
    authors: tuple[str, ...] = ()

    def describe(self) -> list[str]:
        """One line per action, as the code names it (a stable form that tests compare), then the item's
        note."""
        return [describe_action(a) for a in self.actions] + ([self.note] if self.note else [])

    def explain(self) -> list[str]:
        """One line per action in words a person reads, the rule code last."""
        return [explain_action(a) for a in self.actions]


def describe_action(action: Action) -> str:
    """A short technical sentence for an action: its class and fields."""
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


def split_rule(reason: str, rule: str | None = None) -> tuple[str, str | None]:
    """A reason without its leading rule code ("M4: two close …" → "two close …", "M4")."""
    found = _RULE_PREFIX.match(reason)
    if found:
        return found["rest"], rule or found["rule"]
    return reason, rule


def with_rule(words: str, rule: str | None) -> str:
    """Human words first, the rule code as small print after them."""
    return f"{words} [{rule}]" if rule else words


def clock(seconds: float | int | None) -> str:
    """A listening position or length as a person says it: "5 h 04 min", "12 min"."""
    if seconds is None:
        return "?"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def percent(fraction: float | None) -> str:
    """A fraction as a whole percentage ("62 %"); "?" when unknown."""
    return "?" if fraction is None else f"{fraction * 100:.0f} %"


def _position(seconds: int | None, pages: int | None) -> str:
    if seconds is not None:
        return clock(seconds)
    if pages is not None:
        return f"page {pages}"
    return "the start"


def _on(day: date | None, what: str) -> str:
    return f", {what} {day.isoformat()}" if day else ""


def explain_action(action: Action) -> str:
    """An action as a person reads it: "held: Hardcover is ahead … [P5]", "mark as Read, finished …"."""
    if isinstance(action, Hold):
        words, rule = split_rule(action.reason, action.rule)
        return with_rule(f"held: {_status_names(words)}", rule)
    if isinstance(action, Skip):
        words, rule = split_rule(action.reason)
        return with_rule(f"nothing to write: {words}", rule)
    if isinstance(action, OpenConflict):
        words, rule = split_rule(action.reason)
        count = len(action.candidates)
        choices = f" ({count} candidate{'s' if count != 1 else ''})" if count else ""
        return with_rule(f"needs your choice: {words}{choices}", rule)
    if isinstance(action, AddToShelf):
        return f"add to your Hardcover shelf as {STATUS_WORDS[action.status]}"
    if isinstance(action, SetStatus):
        return f"set the Hardcover status to {STATUS_WORDS[action.status]}"
    if isinstance(action, StartRead):
        where = _position(action.progress_seconds, action.progress_pages)
        return f"start a read at {where}{_on(action.started_at, 'started')}"
    if isinstance(action, SetProgress):
        return f"set progress to {_position(action.progress_seconds, action.progress_pages)}"
    if isinstance(action, MarkFinished):
        return f"mark as Read{_on(action.finished_at, 'finished')}"
    return describe_action(action)


def _status_names(text: str) -> str:
    # The rules name statuses as the code does (DID_NOT_FINISH); people read Hardcover's words.
    for status, words in STATUS_WORDS.items():
        text = text.replace(status.name, words)
    return text


def shelf_words(entry: UserBook | None) -> str:
    """Where a book stands on the user's Hardcover shelf, in words ("Currently Reading at 40 %")."""
    if entry is None:
        return "not on your shelf"
    words = STATUS_WORDS.get(entry.status, entry.status.name.title())
    open_read = next((r for r in entry.reads if r.finished_at is None), None)
    if entry.status is Status.READING and open_read is not None and open_read.progress is not None:
        return f"{words} at {open_read.progress:.0f} %"
    return words


def target_words(actions: Sequence[Action], fraction: float | None) -> str:
    """Where the writes leave the book, in words ("Read, finished 2026-11-20", "Currently Reading …")."""
    for action in actions:
        if isinstance(action, MarkFinished):
            return f"Read{_on(action.finished_at, 'finished')}"
    for action in actions:
        if isinstance(action, SetProgress | StartRead):
            where = _position(action.progress_seconds, action.progress_pages)
            return f"Currently Reading at {percent(fraction)} ({where})"
    for action in actions:
        if isinstance(action, AddToShelf | SetStatus):
            return STATUS_WORDS[action.status]
    return "unchanged"


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One book a run wrote (or would write), held, failed, or could not place, in words."""

    kind: str  # written, would write, held, failed, conflict, unmatched
    source: str
    item_id: str
    title: str
    authors: tuple[str, ...]
    words: str  # human words first, the rule code last
    before: str | None = None
    after: str | None = None
    rule: str | None = None

    @property
    def book(self) -> str:
        """ "Title — Author" as a person names the book."""
        return f"{self.title} — {', '.join(self.authors)}" if self.authors else self.title

    def line(self) -> str:
        """The one line a log or a terminal shows for this change."""
        return f"{self.kind}: {self.book}: {self.words}"

    def event(self) -> dict[str, Any]:
        """The run event that records this change (``store.runs.add_events``)."""
        level = {"failed": "error", "held": "warning", "conflict": "warning", "unmatched": "warning"}
        return {
            "kind": self.kind,
            "item": self.title[:255],
            "message": self.words,
            "level": level.get(self.kind, "info"),
            "data": {
                "source": self.source,
                "item_id": self.item_id,
                "title": self.title,
                "authors": list(self.authors),
                "before": self.before,
                "after": self.after,
                "rule": self.rule,
            },
        }


@dataclass
class ProgressReport(JobReport):
    """The summary of one user's progress run."""

    user_id: str
    dry_run: bool = False
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
    units_left_today: int | None = None
    requests: int = 0
    plan: list[PlannedItem] = field(default_factory=list)  # a dry run's, or a real run's when asked
    finished: list[str] = field(default_factory=list)  # titles this run marked finished on Hardcover
    changes: list[ItemChange] = field(default_factory=list)  # what changed, item by item, in words
    notes: list[str] = field(default_factory=list)  # a source skipped this run, and why
    # (item, title, note) of items written in a way people should know of: M5's page progress.
    item_notes: list[tuple[str, str, str]] = field(default_factory=list)

    def note(self, change: ItemChange) -> None:
        """Keep a change for the run page and the terminal; ``-v`` logs it as the run goes."""
        self.changes.append(change)
        log.debug("%s", change.line())

    def failed_items(self) -> int:
        """Items whose write or match failed while the run went on."""
        return len(self.failed)

    def counts(self) -> dict[str, int]:
        """How many items ended in each outcome (only outcomes that happened)."""
        counts = {
            "written": self.written,
            "unchanged": self.unchanged,
            "held": sum(self.held.values()),
            "skipped": self.skipped,
            "conflict": self.conflicts_opened,
            "unmatched": len(self.unmatched),
            "failed": len(self.failed),
            "disabled": self.disabled,
        }
        return {k: v for k, v in counts.items() if v}

    def opened_conflicts(self) -> int:
        """Conflicts this run opened."""
        return self.conflicts_opened

    def finished_titles(self) -> tuple[str, ...]:
        """Books this run marked finished, none for a dry run or a run that stopped."""
        return () if self.dry_run or self.error else tuple(self.finished)

    def item_lines(self) -> list[str]:
        """What changed, item by item, in words."""
        return [change.line() for change in self.changes]

    def run_summary(self) -> dict[str, Any]:
        """The summary stored with the run: :meth:`summary`."""
        return self.summary()

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


def changes_of(
    item: SourceItem,
    actions: Sequence[Action],
    *,
    before: UserBook | None,
    fraction: float | None,
    unmatched: str | None,
    written: bool | None,
    error: str | None,
    dry_run: bool,
) -> list[ItemChange]:
    """What one item's plan and its outcome changed, in words: ``written`` is None when nothing was
    sent for it this run (a dry run, or no write in the plan)."""

    def change(kind: str, words: str, rule: str | None = None, **more: str | None) -> ItemChange:
        return ItemChange(
            kind, item.source.value, item.item_id, item.title, item.authors, words, rule=rule, **more
        )

    found: list[ItemChange] = []
    for action in actions:
        if isinstance(action, Hold):
            found.append(change("held", explain_action(action), split_rule(action.reason, action.rule)[1]))
        elif isinstance(action, OpenConflict):
            found.append(change("conflict", explain_action(action), split_rule(action.reason)[1]))
        elif isinstance(action, Skip) and unmatched is not None:
            words, rule = split_rule(unmatched)
            found.append(change("unmatched", with_rule(f"not found on Hardcover: {words}", rule), rule))
    writes = [a for a in actions if isinstance(a, WRITES)]
    if not writes:
        return found
    was, now = shelf_words(before), target_words(writes, fraction)
    if written is False:
        found.append(change("failed", f"failed: {error or 'no reason given'}", before=was, after=now))
    elif written or dry_run:
        kind = "written" if written else "would write"
        found.append(change(kind, f"{was} → {now}", before=was, after=now))
    return found


def item_facts(item: SourceItem) -> ItemFacts:
    """A source item as its label stores it: what a person knows the book by."""
    ids = {k: v for k, v in (("asin", item.asin), ("isbn", item.isbn)) if v}
    return ItemFacts(
        item.source.value,
        item.item_id,
        item.title,
        item.authors,
        item.narrators,
        item.duration_seconds,
        ids,
        metadata_hash(item),
    )
