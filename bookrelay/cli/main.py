"""The ``bookrelay`` command: thin commands that parse options and call one function each."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bookrelay import __version__
from bookrelay.cli import audible as audible_commands
from bookrelay.cli import enrich as enrich_commands
from bookrelay.cli import menu as menu_commands
from bookrelay.cli import progress as progress_commands
from bookrelay.cli import queue as queue_commands
from bookrelay.cli import scrobble as scrobble_commands
from bookrelay.cli import serve as serve_commands
from bookrelay.cli import service as service_commands
from bookrelay.cli import setup as setup_commands
from bookrelay.cli import wanted as wanted_commands
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption
from bookrelay.redact import install_log_redaction

console = Console(highlight=False)

app = typer.Typer(
    name="bookrelay",
    help="Keeps your book life in sync around Hardcover: Audiobookshelf, Audible and Bookshelf.\n\n"
    "Start with: bookrelay init, then bookrelay sync --dry-run. Every command has --help with an example.",
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
menu_commands.register(app)


def _plain_help(typer_app: typer.Typer) -> None:
    """Help in click's plain layout for every command: Rich panels print a ``<bool>`` type beside each
    flag, which takes no value, and re-flow the example lines of the docstrings."""
    typer_app.rich_markup_mode = None
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _plain_help(group.typer_instance)


_plain_help(app)


def _version(value: bool) -> None:
    if value:
        console.print(f"bookrelay {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive", "-i", help="The menu, as `bookrelay menu` (which takes -c and --user)."
        ),
    ] = False,
) -> None:
    """bookrelay: progress, wanted, enrich and scrobble jobs around Hardcover."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    install_log_redaction()
    if interactive:
        handle_errors(menu_commands.run_menu)(None, None)
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        console.print(ctx.get_help(), markup=False)


@config_app.command("check")
@handle_errors
def config_check(config: ConfigOption = None) -> None:
    """Report every problem of the config file with its line and key; exit 2 when there is one.

    Example: bookrelay config check -c ~/bookrelay/bookrelay.yaml
    """
    from bookrelay.app import check_configuration, time_zone_report

    problems, source = check_configuration(config)
    zone = time_zone_report(config)
    if not problems:
        console.print(f"[green]OK[/] {source}; {zone}", soft_wrap=True, markup=True)
        return
    console.print(zone, soft_wrap=True, markup=False)
    # One "file:line: key: problem" line each, like a compiler, so editors and grep can follow them.
    console.print(f"{len(problems)} problem(s) in {source}:", soft_wrap=True)
    for problem in problems:
        where = str(problem.file or "environment") + (f":{problem.line}" if problem.line is not None else "")
        console.print(f"{where}: {problem.key}: {problem.message}", soft_wrap=True, markup=False)
    raise typer.Exit(2)


@config_app.command("show")
@handle_errors
def config_show(config: ConfigOption = None) -> None:
    """Print the effective configuration with every secret masked.

    Example: bookrelay config show
    """
    import json

    from bookrelay.app import load_settings

    console.print_json(json.dumps(load_settings(config).redacted_dict(), default=str))


@db_app.command("upgrade")
@handle_errors
def db_upgrade(config: ConfigOption = None) -> None:
    """Run the store's migrations up to the newest.

    Example: bookrelay db upgrade -c bookrelay.yaml
    """
    from bookrelay.app import upgrade_database

    url, revision = upgrade_database(config)
    console.print(f"store at [bold]{url}[/] is at revision {revision}", soft_wrap=True)


@app.command("status")
@handle_errors
def status(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many runs to show.")] = 20,
) -> None:
    """Show the last runs recorded in the store.

    Example: bookrelay status --limit 5
    """
    from bookrelay.app import recent_runs

    runs = recent_runs(config, limit)
    if not runs:
        console.print("no runs yet")
        return
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
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0: a free one).")] = 8765,
) -> None:
    """Serve every fake on one port and print their addresses, tokens and a ready config.

    The bundled data has something for every job: an Audiobookshelf library with progress, a Want to
    Read shelf and a Bookshelf with a root folder, an Audible library.

    Example: bookrelay sandbox serve --port 8765
    """
    import socket

    import uvicorn

    from bookrelay.demo import demo_fixture, sandbox_guide
    from bookrelay.sandbox.server import build_sandbox

    try:
        data = demo_fixture(fixture)
        sandbox = build_sandbox(data)
    except ValueError as exc:
        from bookrelay.errors import ConfigError

        raise ConfigError(str(exc), place=str(fixture or "bundled fixture")) from exc
    # Bind before printing, so the printed address is the one served (and port 0 names a real port).
    listener = socket.create_server((host, port))
    shown = f"[{host}]" if ":" in host else host
    console.print(
        sandbox_guide(f"http://{shown}:{listener.getsockname()[1]}", data), markup=False, soft_wrap=True
    )
    server = uvicorn.Server(uvicorn.Config(sandbox.app, log_level="warning"))
    server.run(sockets=[listener])


@app.command("demo")
@handle_errors
def demo(
    fixture: Annotated[Path | None, typer.Option(help="JSON fixture (default: the bundled demo).")] = None,
) -> None:
    """Start the sandbox, run every job once against it with a temporary SQLite store, print what happened.

    Example: bookrelay demo
    """
    from bookrelay.demo import run_demo

    raise typer.Exit(run_demo(console, fixture))


def run() -> None:
    """Console-script entry point."""
    app()
