"""The ``bookrelay`` command: thin commands that parse options, call the composition root
(:mod:`bookrelay.app`) and render what it returns.

Every command lives in a module of ``bookrelay/cli/`` with a ``register(app)`` that adds it, and is named in
:data:`COMMANDS` with that module and its one-line help. The CLI imports a command's module only when that
command runs (or its own ``--help`` is asked for): ``bookrelay --help`` lists the table, and a CronJob's
``bookrelay wanted`` imports what the wanted job needs and nothing of ``serve``, the web page or Audible.
A new command is one line in the table.

The one rule for start-up memory: a command's module is loaded when the command runs (:data:`COMMANDS`);
below that, modules import at the top; the only deferred imports are of optional third-party packages a
feature may not need, made in the one function that starts the feature (the ``audible`` package inside
``connectors/audible``, the web server and scheduler inside ``serve``, a database driver inside the
engine factory), each with a comment naming the package.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from bookrelay import __version__
from bookrelay.cli.logs import setup_logging


@dataclass(frozen=True, slots=True)
class Command:
    """Where a command is defined and what ``bookrelay --help`` says of it."""

    module: str
    help: str


_CLI = "bookrelay.cli."
COMMANDS: dict[str, Command] = {
    "sync": Command(
        _CLI + "progress", "Sync listening progress to Hardcover (exit 0 when every user's run succeeded)."
    ),
    "link": Command(
        _CLI + "progress",
        "Pin an item to a Hardcover book (and edition): never re-matched (M1), once Hardcover confirmed "
        "the book and edition (one unit); the next sync writes it.",
    ),
    "unlink": Command(_CLI + "progress", "Release a pin: the next sync matches the item again."),
    "conflicts": Command(_CLI + "progress", "Doubtful matches waiting for your decision."),
    "wanted": Command(
        _CLI + "wanted", "Send Hardcover's Want to Read shelf to Bookshelf, monitored, once per book."
    ),
    "enrich": Command(
        _CLI + "enrich", "ISBN/ASIN for Audiobookshelf items that have none (a dry run unless --apply)."
    ),
    "scrobble": Command(
        _CLI + "scrobble",
        "Run the scrobble job: Hardcover → Audiobookshelf progress, lists ↔ collections, owned.",
    ),
    "mark-read": Command(
        _CLI + "scrobble", "Mark a book as Read on Hardcover, finished on a date, optionally rated."
    ),
    "rate": Command(_CLI + "scrobble", "Rate a book on your Hardcover shelf."),
    "set-status": Command(
        _CLI + "scrobble", "Set a book's Hardcover status (adds it to your shelf if needed)."
    ),
    "shelf": Command(_CLI + "scrobble", "Your Hardcover shelf as a file, and a file into Hardcover."),
    "hardcover": Command(_CLI + "scrobble", "Connect bookrelay to Hardcover with OAuth."),
    "audible": Command(_CLI + "audible", "Audible: login, limits, and which titles sync."),
    "serve": Command(
        _CLI + "serve",
        "Serve the API (/api/v1, key in X-Api-Key), the web page (/) and run the schedule until stopped.",
    ),
    "cron": Command(
        _CLI + "serve",
        "The same as serve: the schedule, the API and the web page, until stopped.",
    ),
    "run-once": Command(
        _CLI + "run_once", "Run every enabled job once for every user; exit 0, or 1 when a run failed."
    ),
    "worker": Command(
        _CLI + "queue", "Run queued sync jobs until stopped (SIGTERM lets running runs finish)."
    ),
    "doctor": Command(
        _CLI + "setup", "Check every connection, token, scope and setting; exit 1 when anything fails."
    ),
    "init": Command(
        _CLI + "setup",
        "Ask for every service (Hardcover, Audiobookshelf, Bookshelf, Audible, serve) and the jobs, check "
        "each answer, and write a commented bookrelay.yaml.",
    ),
    "menu": Command(
        _CLI + "menu",
        "Do the common things from a menu: pick a user, dry-run or sync, settle conflicts one by one, "
        "link and unlink, see the last runs (needs a terminal).",
    ),
    "config": Command(
        _CLI + "config", "Check and show the configuration; import another tool's file (config import)."
    ),
    "db": Command(_CLI + "store", "The store (SQLite or PostgreSQL)."),
    "status": Command(
        _CLI + "store",
        "Show the last runs, then what the newest run changed: each book written, held, failed.",
    ),
    "sandbox": Command(_CLI + "sandbox", "Fakes of the outside services, for trying bookrelay out."),
    "demo": Command(
        _CLI + "demo",
        "Start the sandbox, run every job once against it with a temporary SQLite store, "
        "print what happened.",
    ),
}

# Help in click's plain layout everywhere: Rich panels print a ``<bool>`` type beside each flag (which
# takes no value) and re-flow the example lines of the docstrings; the plain format also spares Rich's
# 8 MiB and 0.1 CPU-second at start-up.
MARKUP = None
_LISTING = "bookrelay.listing_commands"


# Typer (0.2x) carries its own copy of click: the click types below are written as Any so that the
# installed click is neither imported (3.5 MiB) nor confused with typer's.


def load_command(name: str) -> Any:
    """Import the module of command ``name`` and build that command (with its subcommands)."""
    module: Any = importlib.import_module(COMMANDS[name].module)
    holder = typer.Typer(rich_markup_mode=MARKUP)
    module.register(holder)
    return typer.main.get_group(holder).commands[name]


class LazyCommands(TyperGroup):
    """The top-level group: lists every command of :data:`COMMANDS` from the table and loads one only
    to run it."""

    def list_commands(self, ctx: Any) -> list[str]:
        """The commands in the table's order."""
        return [*super().list_commands(ctx), *COMMANDS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command to run; while the group's own help is written, a stand-in carrying the table's help."""
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        if ctx.meta.get(_LISTING):
            text = COMMANDS[cmd_name].help
            return TyperCommand(cmd_name, help=text, short_help=text)
        return load_command(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The group's help, listing the commands without importing them."""
        ctx.meta[_LISTING] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx.meta[_LISTING] = False


app = typer.Typer(
    name="bookrelay",
    cls=LazyCommands,
    help="Keeps your book life in sync around Hardcover: Audiobookshelf, Audible and Bookshelf.\n\n"
    "Start with: bookrelay init, then bookrelay sync --dry-run. Every command has --help with an example.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=MARKUP,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bookrelay {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Log each item's decision (bookrelay's own, not the libraries')."
        ),
    ] = False,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive", "-i", help="The menu, as `bookrelay menu` (which takes -c and --user)."
        ),
    ] = False,
) -> None:
    """bookrelay: progress, wanted, enrich and scrobble jobs around Hardcover."""
    setup_logging(verbose=verbose)
    if interactive:
        # The menu is a command like the others: its module is loaded from the table when it is asked for.
        importlib.import_module(COMMANDS["menu"].module).menu(None, None)
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def run() -> None:
    """Console-script entry point."""
    app()
