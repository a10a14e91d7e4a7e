"""The ``bookrelay`` command: thin commands that parse options and call one function each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bookrelay import __version__
from bookrelay.cli import audible as audible_commands
from bookrelay.cli import enrich as enrich_commands
from bookrelay.cli import progress as progress_commands
from bookrelay.cli import queue as queue_commands
from bookrelay.cli import scrobble as scrobble_commands
from bookrelay.cli import serve as serve_commands
from bookrelay.cli import service as service_commands
from bookrelay.cli import setup as setup_commands
from bookrelay.cli import wanted as wanted_commands
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.logs import setup_logging
from bookrelay.cli.options import ConfigOption
from bookrelay.cli.render import render_run_changes

if TYPE_CHECKING:
    from bookrelay.store.models import Run

console = Console(highlight=False)

app = typer.Typer(
    name="bookrelay",
    help="Keeps your book life in sync around Hardcover: Audiobookshelf, Audible and Bookshelf.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Check and show the configuration.", no_args_is_help=True)
db_app = typer.Typer(help="The store (SQLite or PostgreSQL).", no_args_is_help=True)
sandbox_app = typer.Typer(
    help="Fakes of the outside services, for trying bookrelay out.", no_args_is_help=True
)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(sandbox_app, name="sandbox")

progress_commands.register(app)
serve_commands.register(app)
wanted_commands.register(app)
audible_commands.register(app)
setup_commands.register(app)
enrich_commands.register(app)
service_commands.register(app)
scrobble_commands.register(app)
queue_commands.register(app)


def _version(value: bool) -> None:
    if value:
        console.print(f"bookrelay {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Log each item's decision (bookrelay's own, not the libraries')."
        ),
    ] = False,
) -> None:
    """bookrelay: progress, wanted, enrich and scrobble jobs around Hardcover."""
    setup_logging(verbose=verbose)


@config_app.command("check")
@handle_errors
def config_check(config: ConfigOption = None) -> None:
    """Report every problem of the config file with its line and key; exit 2 when there is one."""
    from bookrelay.app import check_configuration

    problems, source = check_configuration(config)
    if not problems:
        console.print(f"[green]OK[/] {source}", soft_wrap=True)
        return
    # One "file:line: key: problem" line each, like a compiler, so editors and grep can follow them.
    console.print(f"{len(problems)} problem(s) in {source}:", soft_wrap=True)
    for problem in problems:
        where = str(problem.file or "environment") + (f":{problem.line}" if problem.line is not None else "")
        console.print(f"{where}: {problem.key}: {problem.message}", soft_wrap=True, markup=False)
    raise typer.Exit(2)


@config_app.command("show")
@handle_errors
def config_show(config: ConfigOption = None) -> None:
    """Print the effective configuration with every secret masked."""
    import json

    from bookrelay.app import load_settings

    console.print_json(json.dumps(load_settings(config).redacted_dict(), default=str))


@db_app.command("upgrade")
@handle_errors
def db_upgrade(config: ConfigOption = None) -> None:
    """Run the store's migrations up to the newest."""
    from bookrelay.app import upgrade_database

    url, revision = upgrade_database(config)
    console.print(f"store at [bold]{url}[/] is at revision {revision}", soft_wrap=True)


@app.command("status")
@handle_errors
def status(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many runs to show.")] = 20,
    run_id: Annotated[
        int | None, typer.Option("--run", min=1, help="Show what this run changed, book by book.")
    ] = None,
) -> None:
    """Show the last runs, then what the newest run changed: each book written, held, failed.

    Example: bookrelay status --run 12"""
    from bookrelay.app import recent_runs, run_changes

    if run_id is None:
        runs = recent_runs(config, limit)
        if not runs:
            console.print("no runs yet")
            return
        _print_runs(runs)
    run, changes = run_changes(config, run_id)
    if run is not None:
        render_run_changes(console, run, changes, limit=None if run_id else 20)


def _print_runs(runs: list[Run]) -> None:
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
            str(run.hardcover_units or 0),
            "yes" if run.dry_run else "",
        )
    console.print(table)


@sandbox_app.command("serve")
@handle_errors
def sandbox_serve(
    fixture: Annotated[Path | None, typer.Option(help="JSON fixture (default: the bundled demo).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8765,
) -> None:
    """Serve every fake on one port: /hardcover/v1/graphql, /abs, /_sandbox/stats."""
    import uvicorn

    from bookrelay.sandbox.server import build_sandbox, load_fixture

    try:
        sandbox = build_sandbox(load_fixture(fixture))
    except ValueError as exc:
        from bookrelay.errors import ConfigError

        raise ConfigError(str(exc), place=str(fixture or "bundled fixture")) from exc
    console.print(f"sandbox on http://{host}:{port}  (Hardcover /hardcover/v1/graphql, Audiobookshelf /abs)")
    uvicorn.run(sandbox.app, host=host, port=port, log_level="warning")


@app.command("demo")
@handle_errors
def demo(
    fixture: Annotated[Path | None, typer.Option(help="JSON fixture (default: the bundled demo).")] = None,
) -> None:
    """Start the sandbox, run every job once against it with a temporary SQLite store, print what happened."""
    from bookrelay.demo import run_demo

    raise typer.Exit(run_demo(console, fixture))


def run() -> None:
    """Console-script entry point."""
    app()
