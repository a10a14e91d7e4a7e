"""Commands of the store: ``db upgrade`` and ``status`` (the last runs)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bookrelay.app.activity import BookChange, RunView, recent_runs, run_changes
from bookrelay.app.common import load_settings, upgrade_database
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption

console = Console(highlight=False)
db_app = typer.Typer(help="The store (SQLite or PostgreSQL).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``db`` and ``status`` to the main app."""
    app.add_typer(db_app, name="db")
    app.command("status")(status)


@db_app.command("upgrade")
@handle_errors
def db_upgrade(config: ConfigOption = None) -> None:
    """Run the store's migrations up to the newest.

    Example: bookrelay db upgrade -c bookrelay.yaml
    """

    url, revision = upgrade_database(load_settings(config))
    console.print(f"store at [bold]{url}[/] is at revision {revision}", soft_wrap=True)


@handle_errors
def status(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many runs to show.")] = 20,
    run_id: Annotated[
        int | None, typer.Option("--run", min=1, help="Show what this run changed, book by book.")
    ] = None,
) -> None:
    """Show the last runs, then what the newest run changed: each book written, held, failed.

    Example: bookrelay status --run 12
    """
    settings = load_settings(config)
    if run_id is None:
        runs = recent_runs(settings, limit)
        if not runs:
            console.print("no runs yet")
            return
        _print_runs(runs)
    run, changes = run_changes(settings, run_id)
    if run is not None:
        render_run_changes(console, run, changes, limit=None if run_id else 20)


def _print_runs(runs: list[RunView]) -> None:
    table = Table(
        "run", "user", "job", "started", "finished", "status", "units", "dry-run", title="last runs"
    )
    for run in runs:
        table.add_row(
            str(run.id),
            run.user_id,
            run.job,
            f"{run.started_at:%Y-%m-%d %H:%M:%S}",
            f"{run.finished_at:%H:%M:%S}" if run.finished_at else "",
            run.status,
            str(run.hardcover_units),
            "yes" if run.dry_run else "",
        )
    console.print(table)


def render_run_changes(
    console: Console, run: RunView, changes: list[BookChange], *, limit: int | None
) -> None:
    """What a stored run changed, book by book (``bookrelay status``)."""
    title = f"what run {run.id} ({run.job} for {run.user_id}, {run.started_at:%Y-%m-%d %H:%M}) changed"
    if not changes:
        console.print(f"{title}: no book was written, held or left for you", markup=False, soft_wrap=True)
        return
    table = Table("", "book", "what", title=title)
    for change in changes[:limit]:
        authors = ", ".join(change.authors)
        table.add_row(change.kind, f"{change.title} — {authors}" if authors else change.title, change.words)
    console.print(table)
    if limit is not None and len(changes) > limit:
        console.print(f"… and {len(changes) - limit} more: bookrelay status --run {run.id}", markup=False)
