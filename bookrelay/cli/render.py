"""Rich renderings of progress reports, shared by the sync, demo and menu commands."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bookrelay.app.progress import ProgressReport


def render_plan(console: Console, report: ProgressReport) -> None:
    """The plan, one row per action: what a real run applies (and a dry run only prints)."""
    table = Table("book", "what", title=f"plan for {report.user_id}", show_lines=False)
    for planned in report.plan:
        book = f"{planned.title} — {', '.join(planned.authors)}" if planned.authors else planned.title
        for i, line in enumerate(planned.explain()):
            table.add_row(book if i == 0 else "", line)
    console.print(table)


def render_changes(console: Console, report: ProgressReport, *, limit: int = 50) -> None:
    """What the run changed, book by book: written (before → after), held, failed, not placed."""
    if not report.changes:
        return
    shown = report.changes[:limit]
    table = Table("", "book", "what", title="what changed" + (" (would change)" if report.dry_run else ""))
    for change in shown:
        table.add_row(change.kind, change.book, change.words)
    console.print(table)
    if len(report.changes) > limit:
        console.print(
            f"… and {len(report.changes) - limit} more: see the run page or `bookrelay status --run "
            f"{report.run_id}`",
            markup=False,
        )


def render_summary(console: Console, report: ProgressReport) -> None:
    """What changed, then the per-user summary: items, links by method, writes, holds, conflicts, budget."""
    render_changes(console, report)
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
        noted = Table("book", "note", title="written with a note")
        for _item, title, note in report.item_notes:
            noted.add_row(title, note)
        console.print(noted)
    # Items settled in an earlier run that still wait for the user (this run's are in "what changed").
    changed = {c.item_id for c in report.changes}
    attention = [("conflict", *c) for c in report.conflicts] + [("unmatched", *u) for u in report.unmatched]
    attention = [a for a in attention if a[1] not in changed]
    if attention:
        needs = Table("state", "book", "why", title="still waiting for you")
        for state, _item, title, why in attention:
            needs.add_row(state, title, why)
        console.print(needs)
