"""``bookrelay enrich``: ISBN/ASIN for Audiobookshelf items without them (dry run unless ``--apply``),
and ``bookrelay enrich undo RUN_ID``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bookrelay.app.common import load_settings
from bookrelay.app.enrich import Batch, EnrichReport, UndoReport, run_enrich, undo_enrich
from bookrelay.cli.errors import err_console, handle_errors
from bookrelay.cli.options import ConfigOption, UserOption

console = Console(highlight=False)
enrich_app = typer.Typer(
    help="ISBN/ASIN for Audiobookshelf items that have none (a dry run unless --apply).\n\n"
    "Example: bookrelay enrich --user alice (then: bookrelay enrich --apply)",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    """Add ``enrich`` (and ``enrich undo``) to the main app."""
    app.add_typer(enrich_app, name="enrich")


@enrich_app.callback()
@handle_errors
def enrich(
    ctx: typer.Context,
    config: ConfigOption = None,
    user: UserOption = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="A batch of N candidate items; run again for the next batch (it continues where the "
            "last batch of the same kind, dry run or --apply, stopped).",
        ),
    ] = None,
    offset: Annotated[
        int | None,
        typer.Option(min=0, help="Skip the first N candidate items instead of continuing (0: from the top)."),
    ] = None,
    min_score: Annotated[
        float | None,
        typer.Option(
            min=0, max=1, help="Write proposals at or above this score (default: fuzzy_link_score)."
        ),
    ] = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            "--auto-update",
            help="Write the strong proposals to Audiobookshelf (--auto-update: same).",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Propose and write nothing: the default, accepted to be explicit."),
    ] = False,
    scan_dir: Annotated[
        Path | None,
        typer.Option("--scan-dir", help="Where the library's audio files are, to read their tags."),
    ] = None,
) -> None:
    """Propose identifiers with their score parts; with --apply write those at or above the threshold.

    Example: bookrelay enrich --user alice (then: bookrelay enrich --apply)
    """
    if ctx.invoked_subcommand is not None:
        return

    if dry_run and apply:
        err_console.print("error: --dry-run and --apply (--auto-update) contradict each other: choose one")
        raise typer.Exit(2)
    settings = load_settings(config)
    report = asyncio.run(
        run_enrich(
            settings, user, apply=apply, limit=limit, offset=offset, min_score=min_score, scan_dir=scan_dir
        )
    )
    render_report(report)
    if report.error or report.failed:
        raise typer.Exit(1)


@enrich_app.command("undo")
@handle_errors
def undo(
    run_id: Annotated[int, typer.Argument(help="The enrich run to undo (shown after --apply).")],
    config: ConfigOption = None,
) -> None:
    """Put back what an enrich run replaced, where the value is still what the run wrote.

    Example: bookrelay enrich undo 12
    """
    report = asyncio.run(undo_enrich(load_settings(config), run_id))
    render_undo(report)
    if report.failed:
        raise typer.Exit(1)


def render_report(report: EnrichReport) -> None:
    """Proposals with their score parts, what was skipped, and what was written."""
    mode = "dry run: nothing written" if report.dry_run else "applied"
    table = Table(
        "item", "title", "method", "score", "change", "score parts",
        title=f"enrich · {report.user_id} · run {report.run_id} ({mode}; threshold {report.min_score:.2f})",
    )  # fmt: skip
    for p in report.proposals:
        score = f"[green]{p.score:.2f}[/]" if p.strong else f"[yellow]{p.score:.2f}[/]"
        table.add_row(p.item_id, p.title, p.method, score, p.describe(), p.parts)
    console.print(table)
    if report.skipped:
        skipped = Table("item", "title", "why no proposal", title="no proposal")
        for item_id, title, why in report.skipped:
            skipped.add_row(item_id, title, why)
        console.print(skipped)
    strong = sum(p.strong for p in report.proposals)
    console.print(
        f"{report.items_seen} book items, {report.candidates} without a valid ISBN/ASIN, "
        f"{len(report.proposals)} proposals ({strong} at or above {report.min_score:.2f}); "
        f"Hardcover units spent {report.units_spent}, left today "
        f"{'unknown' if report.units_left_today is None else report.units_left_today}"
    )
    if report.batch is not None:
        console.print(batch_line(report.batch), soft_wrap=True)
    if report.written:
        console.print(
            f"[green]{len(report.written)} field(s) written[/]; undo: bookrelay enrich undo {report.run_id}"
        )
    elif report.dry_run and strong:
        console.print("run again with --apply to write the proposals at or above the threshold")
    for item_id, title, why in report.failed:
        console.print(f"[red]failed[/] {item_id} {title}: {why}", soft_wrap=True)
    if report.error:
        console.print(f"[bold red]stopped:[/] {report.error}", soft_wrap=True)


def batch_line(batch: Batch) -> str:
    """Which candidates this batch looked at and where the next one starts."""
    if batch.total == 0:
        return "batch: no item lacks an ISBN/ASIN"
    where = f"batch: candidates {batch.first} to {batch.last} of {batch.total}"
    if batch.started_over:
        where += " (the previous batch had reached the end: started again from the top)"
    elif batch.after_title:
        where += f" (continued after {batch.after_title})"
    if batch.remaining > 0:
        return f"{where}; {batch.remaining} left: run the same command again for the next batch"
    return f"{where}; that was the last batch (the next run starts from the top)"


def render_undo(report: UndoReport) -> None:
    """What undo restored and what it left alone."""
    table = Table("item", "field", "was", "restored to", title=f"enrich undo · run {report.run_id}")
    for item_id, name, was, restored in report.restored:
        table.add_row(item_id, name, str(was), "∅ (empty)" if restored is None else restored)
    console.print(table)
    for item_id, name, why in report.kept:
        console.print(f"left alone: {item_id} {name}: {why}", soft_wrap=True)
    for item_id, name, why in report.failed:
        console.print(f"[red]failed[/] {item_id} {name}: {why}", soft_wrap=True)
