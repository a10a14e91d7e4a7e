"""Counting a progress run's items into its report: written, held, skipped, unmatched, in conflict or
failed, with each item's change in words."""

from __future__ import annotations

from bookrelay.domain.actions import WRITES, Action, Hold, MarkFinished, OpenConflict, Skip
from bookrelay.domain.progress import source_fraction
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.resolution import Resolution, Shelf
from bookrelay.sync.apply import ItemWrites
from bookrelay.sync.report import ProgressReport, changes_of


def count_outcomes(
    report: ProgressReport,
    resolutions: list[Resolution],
    plans: list[list[Action]],
    written: dict[str, ItemWrites] | None,
    shelf: Shelf,
) -> None:
    """Count each item's outcome; ``written`` is None for a dry run, which counts what it would write."""
    for resolution, actions in zip(resolutions, plans, strict=True):
        item = resolution.entry.item
        if resolution.outcome is MatchOutcome.FAILED:  # this item only; the run goes on (S3)
            report.failed.append((item.item_id, item.title, resolution.reason))
            continue
        outcome_of = written.get(item.item_id) if written is not None else None
        for change in changes_of(
            item,
            actions,
            before=shelf.by_book.get(resolution.book_id) if resolution.book_id else None,
            fraction=source_fraction(resolution.entry.progress, item.duration_seconds),
            unmatched=resolution.reason if resolution.outcome is MatchOutcome.UNMATCHED else None,
            written=None if outcome_of is None else outcome_of.ok,
            error=outcome_of.error if outcome_of is not None else None,
            dry_run=report.dry_run,
        ):
            report.note(change)
        if resolution.outcome is MatchOutcome.LINKED and resolution.method is not None:
            report.linked[resolution.method.value] += 1
        for action in actions:
            if isinstance(action, Hold):
                report.held[action.rule] += 1
            elif isinstance(action, OpenConflict):
                report.conflicts_opened += 1
                report.conflicts.append((item.item_id, item.title, action.reason))
            elif isinstance(action, Skip) and resolution.outcome is MatchOutcome.UNMATCHED:
                report.unmatched.append((item.item_id, item.title, resolution.reason))
            elif isinstance(action, Skip):
                report.skipped += 1
        if written is None:
            if any(isinstance(action, WRITES) for action in actions):
                report.written += 1  # "written (would be)": the same items a real run would write
                if resolution.note:
                    report.item_notes.append((item.item_id, item.title, resolution.note))
            continue
        outcome = written.get(item.item_id)
        if outcome is not None and outcome.ok and resolution.note:
            report.item_notes.append((item.item_id, item.title, resolution.note))
        if outcome is not None:
            if outcome.ok:
                report.written += 1
                if any(isinstance(action, MarkFinished) for action in actions):
                    report.finished.append(item.title)
            else:
                report.failed.append((item.item_id, item.title, outcome.error or "failed"))
