"""Rich renderings of run reports and conflicts, shared by the sync, demo and conflicts commands."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bookrelay.sync.report import ProgressReport


def render_plan(console: Console, report: ProgressReport) -> None:
    """The plan, one row per action: what a real run applies (and a dry run only prints)."""
    table = Table("title", "item", "action", title=f"plan for {report.user_id}", show_lines=False)
    for planned in report.plan:
        for i, line in enumerate(planned.describe()):
            # Ids are long UUIDs; their start is enough to find the item in `bookrelay conflicts`.
            table.add_row(planned.title if i == 0 else "", planned.item_id[:8] if i == 0 else "", line)
    console.print(table)


def render_summary(console: Console, report: ProgressReport) -> None:
    """The per-user summary: items, links by method, writes, holds, conflicts, budget."""
    table = Table(
        show_header=False, title=f"progress · {report.user_id}" + (" (dry run)" if report.dry_run else "")
    )
    table.add_column("what", style="bold")
    table.add_column("count")
    linked = ", ".join(f"{k} {v}" for k, v in sorted(report.linked.items())) or "none"
    held = ", ".join(f"{k} {v}" for k, v in sorted(report.held.items())) or "none"
    rows = [
        ("items seen", str(report.items_seen)),
        ("unchanged since last run", str(report.unchanged)),
        ("sync disabled", str(report.disabled)),
        ("linked (by method)", linked),
        ("written" + (" (would be)" if report.dry_run else ""), str(report.written)),
        ("held by a rule", held),
        ("skipped", str(report.skipped)),
        ("conflicts opened", str(report.conflicts_opened)),
        ("in conflict", str(len(report.conflicts))),
        ("unmatched", str(len(report.unmatched))),
        ("failed", str(len(report.failed))),
        ("Hardcover units spent", str(report.units_spent)),
        (
            "Hardcover units left today",
            "unknown" if report.units_left_today is None else str(report.units_left_today),
        ),
    ]
    if report.recovered_writes:
        rows.append(("interrupted writes re-checked", str(report.recovered_writes)))
    for what, count in rows:
        table.add_row(what, count)
    console.print(table)
    if report.error:
        console.print(f"[bold red]stopped:[/] {report.error}", soft_wrap=True)
    for note in report.notes:  # a source skipped this run (Audible's limits), with when it is allowed again
        console.print(f"note: {note}", soft_wrap=True, markup=False)
    if report.item_notes:
        noted = Table("item", "title", "note", title="written with a note")
        for item, title, note in report.item_notes:
            noted.add_row(item, title, note)
        console.print(noted)
    attention = [("conflict", *c) for c in report.conflicts] + [("unmatched", *u) for u in report.unmatched]
    attention += [("failed", *f) for f in report.failed]
    if attention:
        needs = Table("state", "item", "title", "why", title="needs your attention")
        for state, item, title, why in attention:
            needs.add_row(state, item, title, why)
        console.print(needs)
