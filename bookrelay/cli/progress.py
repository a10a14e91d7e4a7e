"""Commands of the progress job: sync, conflicts, link and unlink."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from bookrelay.app.common import load_settings
from bookrelay.app.progress import (
    get_conflict,
    ignore_conflict,
    list_conflicts,
    pin_link,
    resolve_conflict,
    run_progress,
    unpin_link,
)
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption, EveryUserOption, UserOption
from bookrelay.cli.render import render_plan, render_summary
from bookrelay.errors import ConfigError

console = Console(highlight=False)
conflicts_app = typer.Typer(help="Doubtful matches waiting for your decision.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the progress commands to the main app."""
    app.command("sync")(sync)
    app.command("link")(link)
    app.command("unlink")(unlink)
    app.add_typer(conflicts_app, name="conflicts")


@handle_errors
def sync(
    config: ConfigOption = None,
    user: EveryUserOption = None,
    all_users: Annotated[
        bool, typer.Option("--all-users", help="Sync every configured user (the default without --user).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; write nothing anywhere.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Look at the first N items only.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Re-check every item; allow backwards progress.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print the plan of a real run too.")] = False,
) -> None:
    """Sync listening progress to Hardcover (exit 0 when every user's run succeeded).

    Every configured user is synced unless --user names one.

    Example: bookrelay sync --dry-run
    """
    settings = load_settings(config)
    if not settings.users:
        raise ConfigError("no users configured", place="users")
    if all_users and user:
        raise ConfigError("give --user or --all-users, not both", place="arguments")
    # Without --user every configured user is synced, as --all-users says explicitly.
    user_ids = [settings.user(user).id] if user else [u.id for u in settings.users]

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def on_progress(user_id: str, phase: str, done: int, total: int) -> None:
            if user_id not in tasks:
                tasks[user_id] = bar.add_task(f"{user_id}: {phase}", total=total)
            bar.update(tasks[user_id], description=f"{user_id}: {phase}", completed=done, total=total)

        reports = asyncio.run(
            run_progress(
                settings,
                user_ids,
                dry_run=dry_run,
                limit=limit,
                force=force,
                on_progress=on_progress,
                keep_plan=verbose,
            )
        )
    failed = False
    for report in reports:
        if dry_run or verbose:
            render_plan(console, report)
        render_summary(console, report)
        failed = failed or report.error is not None
    if failed:
        raise typer.Exit(1)


@conflicts_app.command("list")
@handle_errors
def conflicts_list(
    config: ConfigOption = None,
    user: EveryUserOption = None,
    all_states: Annotated[bool, typer.Option("--all", help="Include resolved and ignored ones.")] = False,
) -> None:
    """The conflicts waiting for you (or all of them).

    Example: bookrelay conflicts list --user alice --all
    """
    rows = list_conflicts(config, user, include_closed=all_states)
    if not rows:
        console.print("no conflicts")
        return
    table = Table("id", "user", "item", "title", "reason", "candidates", "status")
    for c in rows:
        table.add_row(
            str(c.id),
            c.user_id,
            c.source_item_id,
            c.title,
            c.reason,
            str(len(c.candidates or [])),
            c.status.value,
        )
    console.print(table)


@conflicts_app.command("show")
@handle_errors
def conflicts_show(conflict_id: int, config: ConfigOption = None) -> None:
    """One conflict with its candidates and their score parts.

    Example: bookrelay conflicts show 3
    """
    c = get_conflict(config, conflict_id)
    console.print(
        f"[bold]#{c.id}[/] {c.title} ({c.source}:{c.source_item_id}) — {c.status.value}", soft_wrap=True
    )
    console.print(f"reason: {c.reason}", soft_wrap=True)
    table = Table("book", "title", "score", "why")
    for cand in c.candidates or []:
        table.add_row(
            str(cand.get("book_id")),
            str(cand.get("title")),
            f"{cand.get('score', 0):.2f}",
            str(cand.get("explanation", "")),
        )
    console.print(table)


@conflicts_app.command("resolve")
@handle_errors
def conflicts_resolve(
    conflict_id: int,
    book: Annotated[int, typer.Option("--book", min=1, help="Hardcover book id.")],
    edition: Annotated[int | None, typer.Option("--edition", min=1, help="Hardcover edition id.")] = None,
    config: ConfigOption = None,
) -> None:
    """Settle a conflict: link the item to this book (a pinned link, M1), once Hardcover confirmed the
    book and edition (one unit); the next sync writes it.

    Example: bookrelay conflicts resolve 3 --book 123 --edition 456
    """
    c = resolve_conflict(config, conflict_id, book, edition)
    console.print(
        f"conflict #{c.id} resolved: “{c.title}” ({c.source_item_id}) → book {book}"
        + (f", edition {edition}" if edition else "")
        + "; the next sync writes it"
    )


@conflicts_app.command("ignore")
@handle_errors
def conflicts_ignore(conflict_id: int, config: ConfigOption = None) -> None:
    """Ignore a conflict: the item is not synced until you link it.

    Example: bookrelay conflicts ignore 3
    """
    c = ignore_conflict(config, conflict_id)
    console.print(f"conflict #{c.id} ignored")


@handle_errors
def link(
    item: Annotated[str, typer.Argument(help="Source item id (Audiobookshelf library item id).")],
    book: Annotated[int, typer.Option("--book", min=1, help="Hardcover book id.")],
    edition: Annotated[int | None, typer.Option("--edition", min=1, help="Hardcover edition id.")] = None,
    user: UserOption = None,
    source: Annotated[str, typer.Option(help="abs or audible.")] = "abs",
    config: ConfigOption = None,
) -> None:
    """Pin an item to a Hardcover book (and edition): never re-matched (M1), once Hardcover confirmed the
    book and edition (one unit); the next sync writes it.

    Example: bookrelay link li_8c2f0a --book 123 --edition 456 --user alice
    """
    pinned = pin_link(config, user, source, item, book, edition)
    console.print(
        f"pinned {pinned.source}:{pinned.source_item_id} → book {pinned.hardcover_book_id}; "
        "the next sync writes it"
    )


@handle_errors
def unlink(
    item: Annotated[str, typer.Argument(help="Source item id.")],
    user: UserOption = None,
    source: Annotated[str, typer.Option(help="abs or audible.")] = "abs",
    config: ConfigOption = None,
) -> None:
    """Release a pin: the next sync matches the item again.

    Example: bookrelay unlink li_8c2f0a --user alice
    """
    released = unpin_link(config, user, source, item)
    console.print(f"released {released.source}:{released.source_item_id}")
