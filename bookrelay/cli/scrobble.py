"""Scrobble commands: mark-read, rate, set-status, shelf export/import, the scrobble run, and
``hardcover connect``/``disconnect`` (OAuth). Thin: parse, call one function in bookrelay.app, render."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bookrelay.app.common import chosen_users, load_settings
from bookrelay.app.scrobble import export_shelf, import_shelf, parse_status, run_scrobble, scrobble_session
from bookrelay.app.scrobble import hardcover_connect as connect
from bookrelay.app.scrobble import hardcover_disconnect as disconnect
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption, UserOption
from bookrelay.errors import ConfigError

console = Console(highlight=False)
shelf_app = typer.Typer(
    help="Your Hardcover shelf as a file, and a file into Hardcover.", no_args_is_help=True
)
hardcover_app = typer.Typer(help="Connect bookrelay to Hardcover with OAuth.", no_args_is_help=True)

DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")]
Target = Annotated[
    str, typer.Argument(help="A Hardcover book id (123, hc:123) or an Audiobookshelf item id.")
]


def register(app: typer.Typer) -> None:
    """Add the scrobble commands to the main app."""
    app.command("mark-read")(mark_read)
    app.command("rate")(rate)
    app.command("set-status")(set_status)
    app.command("scrobble")(scrobble)
    app.add_typer(shelf_app, name="shelf")
    app.add_typer(hardcover_app, name="hardcover")


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{value!r} is not a date (YYYY-MM-DD)", place="--date") from None


def _operation(
    config_path: Path | None, user: str | None, call: str, *args: object, **kwargs: object
) -> None:

    config = load_settings(config_path)

    async def go() -> object:
        async with scrobble_session(config, user) as (parts, _):
            return await getattr(parts.operations, call)(*args, **kwargs)

    result = asyncio.run(go())
    target = result.target  # type: ignore[attr-defined]
    lead = "would change" if result.dry_run else "changed"  # type: ignore[attr-defined]
    console.print(f"{target.title} (Hardcover book {target.book_id}): {lead}", soft_wrap=True)
    for change in result.changes:  # type: ignore[attr-defined]
        console.print(f"  · {change}", soft_wrap=True, markup=False)


@handle_errors
def mark_read(
    item_or_book: Target,
    rating: Annotated[float | None, typer.Option(help="0.5..5 in half steps.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Finished on (YYYY-MM-DD; default today).")] = None,
    config: ConfigOption = None,
    user: UserOption = None,
    dry_run: DryRun = False,
) -> None:
    """Mark a book as Read on Hardcover, finished on a date, optionally rated.

    Example: bookrelay mark-read li_8c2f0a --rating 4.5 --date 2025-03-01 --dry-run
    """
    _operation(config, user, "mark_read", item_or_book, rating=rating, on=_parse_date(on), dry_run=dry_run)


@handle_errors
def rate(
    item_or_book: Target,
    rating: Annotated[float, typer.Argument(help="0.5..5 in half steps; 0 clears.")],
    config: ConfigOption = None,
    user: UserOption = None,
    dry_run: DryRun = False,
) -> None:
    """Rate a book on your Hardcover shelf.

    Example: bookrelay rate 123 4 --user alice
    """
    _operation(config, user, "rate", item_or_book, rating or None, dry_run=dry_run)


@handle_errors
def set_status(
    item_or_book: Target,
    status: Annotated[str, typer.Argument(help="want-to-read, reading, read, paused, dnf or ignored.")],
    config: ConfigOption = None,
    user: UserOption = None,
    dry_run: DryRun = False,
) -> None:
    """Set a book's Hardcover status (adds it to your shelf if needed).

    Example: bookrelay set-status 123 paused --user alice
    """

    _operation(config, user, "set_status", item_or_book, parse_status(status), dry_run=dry_run)


@handle_errors
def scrobble(
    config: ConfigOption = None,
    user: UserOption = None,
    all_users: Annotated[bool, typer.Option("--all-users", help="Every configured user.")] = False,
    dry_run: DryRun = False,
) -> None:
    """Run the scrobble job: Hardcover → Audiobookshelf progress, lists ↔ collections, owned.

    Example: bookrelay scrobble --user alice --dry-run
    """
    settings = load_settings(config)
    ids = chosen_users(settings, user, default="only", all_users=all_users)
    failed = False
    for report in asyncio.run(run_scrobble(settings, ids, dry_run=dry_run)):
        table = Table(
            show_header=False, title=f"scrobble · {report.user_id}" + (" (dry run)" if dry_run else "")
        )
        for key, value in report.summary().items():
            table.add_row(key, str(value))
        console.print(table)
        failed |= report.status != "ok"
    raise typer.Exit(1 if failed else 0)


@shelf_app.command("export")
@handle_errors
def shelf_export(
    fmt: Annotated[str, typer.Option("--format", help="csv (Goodreads-compatible) or json.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    config: ConfigOption = None,
    user: UserOption = None,
) -> None:
    """Write your Hardcover shelf as Goodreads-compatible CSV (StoryGraph and Hardcover read it) or JSON.

    Example: bookrelay shelf export --format csv --output shelf.csv
    """
    text = asyncio.run(export_shelf(load_settings(config), user, fmt))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


@shelf_app.command("import")
@handle_errors
def shelf_import(
    file: Annotated[Path, typer.Argument(help="A Goodreads or StoryGraph CSV export.")],
    apply: Annotated[bool, typer.Option("--apply", help="Write to Hardcover (default: a dry run).")] = False,
    config: ConfigOption = None,
    user: UserOption = None,
) -> None:
    """Import statuses, ratings, dates and reads into Hardcover; a dry run unless --apply.

    Example: bookrelay shelf import goodreads_export.csv (then again with --apply)
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot be read ({type(exc).__name__})", place=str(file)) from None
    report = asyncio.run(import_shelf(load_settings(config), user, text, source_name=str(file), apply=apply))
    table = Table(
        "line", "book", "outcome", "plan / why", title="shelf import" + ("" if apply else " (dry run)")
    )
    for item in report.items:
        plan = item.plan
        what = item.reason
        if plan is not None:
            parts = [
                f"add {plan.insert}" if plan.insert else "",
                f"update {plan.update}" if plan.update else "",
            ]
            what = "; ".join(p for p in [*parts, *plan.notes] if p) or "nothing to change"
        if item.error:
            what += f" — failed: {item.error}"
        table.add_row(str(item.row.line), item.row.label, item.outcome, what)
    console.print(table)
    console.print(
        f"{report.count('linked')} matched, {report.count('conflict')} in conflict, "
        f"{report.count('unmatched')} unmatched" + ("" if apply else " — run with --apply to write")
    )


@hardcover_app.command("connect")
@handle_errors
def hardcover_connect(config: ConfigOption = None, user: UserOption = None) -> None:
    """Connect with OAuth (device flow): open the link, enter the code, and bookrelay keeps the tokens.

    Example: bookrelay hardcover connect --user alice
    """

    def show(device: object) -> None:
        console.print(
            f"Open {device.verification_uri} and enter the code [bold]{device.user_code}[/]",  # type: ignore[attr-defined]
            soft_wrap=True,
        )

    username = asyncio.run(connect(load_settings(config), user, show))
    console.print(f"[green]connected[/] as {username}")


@hardcover_app.command("disconnect")
@handle_errors
def hardcover_disconnect(config: ConfigOption = None, user: UserOption = None) -> None:
    """Revoke bookrelay's OAuth tokens at Hardcover and forget them.

    Example: bookrelay hardcover disconnect --user alice
    """
    done = asyncio.run(disconnect(load_settings(config), user))
    console.print("disconnected" if done else "was not connected")
