"""Commands of the wanted job: Hardcover Want to Read → Bookshelf."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bookrelay.app.common import chosen_users, load_settings
from bookrelay.app.wanted import WantedReport, retry_wanted, run_wanted_job, wanted_ledger
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption, EveryUserOption, UserOption

console = Console(highlight=False)
wanted_app = typer.Typer(
    help="Send Hardcover's Want to Read shelf to Bookshelf, monitored, once per book.\n\n"
    "Example: bookrelay wanted --dry-run --limit 10",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    """Add the wanted commands to the main app."""
    app.add_typer(wanted_app, name="wanted")


def render_wanted(console: Console, user_id: str, report: WantedReport) -> None:
    """The books of one run and what happened to each, then the summary line."""
    table = Table("book", "title", "outcome", "ISBN", "ASIN", "cover", "reason", title=f"wanted · {user_id}")
    for row in report.rows:
        table.add_row(
            str(row.hardcover_book_id),
            row.title or "",
            row.outcome,
            row.isbn13 or "",
            row.asin or "",
            row.cover_url or "",
            row.reason or "",
        )
    console.print(table)
    console.print(report.summary(), soft_wrap=True)


@wanted_app.callback()
@handle_errors
def wanted(
    ctx: typer.Context,
    config: ConfigOption = None,
    user: EveryUserOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be added; write nothing.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Look at N books at most.")] = None,
) -> None:
    """Run the wanted job (without a subcommand).

    Example: bookrelay wanted --dry-run --limit 10
    """
    if ctx.invoked_subcommand is not None:
        return

    settings = load_settings(config)
    user_ids = chosen_users(settings, user, default="every")
    failed = False
    for user_id, report, error in asyncio.run(
        run_wanted_job(settings, user_ids, dry_run=dry_run, limit=limit)
    ):
        if report is not None:
            render_wanted(console, user_id, report)
        if error:
            console.print(f"[bold red]{user_id}: stopped:[/] {error}", soft_wrap=True)
            failed = True
    if failed:
        raise typer.Exit(1)


@wanted_app.command("list")
@handle_errors
def wanted_list(
    config: ConfigOption = None,
    user: EveryUserOption = None,
) -> None:
    """The ledger: every book sent (or tried), its state, and when a failure is retried.

    Example: bookrelay wanted list --user alice
    """
    rows = wanted_ledger(load_settings(config), user)
    if not rows:
        console.print("the ledger is empty")
        return
    table = Table("user", "book", "title", "state", "attempts", "next retry", "reason")
    for row in rows:
        table.add_row(
            row.user_id,
            str(row.hardcover_book_id),
            row.title or "",
            row.state.value,
            str(row.attempts),
            f"{row.next_retry_at:%Y-%m-%d %H:%M}" if row.next_retry_at else "",
            row.reason or "",
        )
    console.print(table)


@wanted_app.command("retry")
@handle_errors
def wanted_retry(
    hardcover_book_id: Annotated[int, typer.Argument(min=1, help="Hardcover book id.")],
    config: ConfigOption = None,
    user: UserOption = None,
) -> None:
    """Retry a failed book on the next run instead of waiting for its backoff.

    Example: bookrelay wanted retry 141397
    """
    row = retry_wanted(load_settings(config), user, hardcover_book_id)
    console.print(f"book {row.hardcover_book_id} will be retried on the next run")
