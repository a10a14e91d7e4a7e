"""Commands of the progress job: sync, conflicts, link and unlink."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bookrelay.app.common import chosen_users, load_settings
from bookrelay.app.progress import (
    clock,
    get_conflict,
    ignore_conflict,
    item_labels,
    list_conflicts,
    pin_link,
    resolve_conflict,
    run_progress,
    split_rule,
    unpin_link,
    with_rule,
)
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.meter import progress_meter
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
    # Without --user every user the progress job runs for is synced (as --all-users says explicitly);
    # a user without a source (a Want-to-Read-only user) is not a failed run.
    user_ids = chosen_users(settings, user, default="every", job="progress", all_users=all_users)
    if not user_ids:
        raise ConfigError(
            "no user has a source for the progress job (an audiobookshelf or audible section)", place="users"
        )

    with progress_meter(console) as on_tick:
        reports = asyncio.run(
            run_progress(
                settings,
                user_ids,
                dry_run=dry_run,
                limit=limit,
                force=force,
                on_progress=on_tick,
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
    settings = load_settings(config)
    rows = list_conflicts(settings, user, include_closed=all_states)
    if not rows:
        console.print("no conflicts")
        return
    labels = item_labels(settings, [(c.user_id, c.source, c.source_item_id) for c in rows])
    table = Table("id", "user", "book", "why", "best candidates", "status")
    for c in rows:
        label = labels.get((c.user_id, c.source, c.source_item_id))
        best = ", ".join(
            str(cand.get("title")) for cand in (c.candidates or [])[:2] if isinstance(cand, dict)
        )
        table.add_row(
            str(c.id), c.user_id, label.byline if label else c.title, _why(c.reason), best, c.status.value
        )
    console.print(table)


def _why(reason: str) -> str:
    words, rule = split_rule(reason)
    return with_rule(words, rule)


@conflicts_app.command("show")
@handle_errors
def conflicts_show(conflict_id: int, config: ConfigOption = None) -> None:
    """One conflict with its candidates and their score parts.

    Example: bookrelay conflicts show 3
    """
    settings = load_settings(config)
    c = get_conflict(settings, conflict_id)
    label = item_labels(settings, [(c.user_id, c.source, c.source_item_id)]).get(
        (c.user_id, c.source, c.source_item_id)
    )
    console.print(f"[bold]#{c.id}[/] {label.byline if label else c.title} — {c.status.value}", soft_wrap=True)
    console.print(f"why: {_why(c.reason)}", soft_wrap=True, markup=False)
    table = Table(
        "", "your item", *(f"{cand.get('title')} (#{cand.get('book_id')})" for cand in c.candidates or [])
    )
    candidates = [cand for cand in c.candidates or [] if isinstance(cand, dict)]
    mine = (
        (
            label.title,
            ", ".join(label.authors),
            ", ".join(label.narrators),
            clock(label.duration_seconds),
            ", ".join(f"{k.upper()} {v}" for k, v in label.identifiers.items()),
        )
        if label
        else (c.title, "", "", "", "")
    )
    rows = [
        ("title", mine[0], [str(cand.get("title")) for cand in candidates]),
        ("author", mine[1], [", ".join(cand.get("authors") or []) for cand in candidates]),
        ("narrator", mine[2], ["" for _ in candidates]),
        ("length", mine[3], ["" for _ in candidates]),
        ("identifiers", mine[4], ["" for _ in candidates]),
        ("score", "", [f"{cand.get('score', 0):.2f}" for cand in candidates]),
        ("why", "", [str(cand.get("explanation", "")) for cand in candidates]),
    ]
    for name, yours, theirs in rows:
        table.add_row(name, yours, *theirs)
    console.print(table)
    console.print(f"choose one: bookrelay conflicts resolve {c.id} --book BOOK_ID", markup=False)


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
    c = resolve_conflict(load_settings(config), conflict_id, book, edition)
    chosen = next(
        (str(x.get("title")) for x in c.candidates or [] if isinstance(x, dict) and x.get("book_id") == book),
        None,
    )
    target = f"“{chosen}” (book {book})" if chosen else f"book {book}"
    console.print(
        f"conflict #{c.id} resolved: “{c.title}” → {target}"
        + (f", edition {edition}" if edition else "")
        + "; the next sync writes it",
        markup=False,
    )


@conflicts_app.command("ignore")
@handle_errors
def conflicts_ignore(conflict_id: int, config: ConfigOption = None) -> None:
    """Ignore a conflict: the item is not synced until you link it.

    Example: bookrelay conflicts ignore 3
    """
    c = ignore_conflict(load_settings(config), conflict_id)
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
    settings = load_settings(config)
    pinned = pin_link(settings, user, source, item, book, edition)
    key = (pinned.user_id, pinned.source, pinned.source_item_id)
    label = item_labels(settings, [key]).get(key)
    named = label.byline if label else f"{pinned.source}:{pinned.source_item_id}"
    console.print(f"pinned {named} → book {pinned.hardcover_book_id}; the next sync writes it", markup=False)


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
    released = unpin_link(load_settings(config), user, source, item)
    console.print(f"released {released.source}:{released.source_item_id}")
