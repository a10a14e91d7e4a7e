"""``bookrelay menu`` (also ``bookrelay --interactive``): the common things from a menu, as seed 001's
interactive mode asks — pick a user, dry-run or sync, go through the conflicts one by one with their
score tables and choose, link and unlink items, see the last runs.

The prompts are questionary's (arrow keys or the number shown, then Enter); every action is the CLI
command of the same name called with the chosen values, so the menu shows exactly what the command
shows and the two cannot drift apart.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import questionary
import typer
from rich.console import Console

from bookrelay.app.common import load_settings, single_user
from bookrelay.app.progress import ignore_conflict, list_conflicts, resolve_conflict
from bookrelay.cli import progress as commands
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption, UserOption
from bookrelay.cli.store import status
from bookrelay.errors import BookrelayError, ConfigError

console = Console(highlight=False)

DRY_RUN = "Dry run: what a sync would write (nothing is written)"
SYNC = "Sync now: write to Hardcover"
CONFLICTS = "Settle conflicts"
LINK = "Link an item to a Hardcover book"
UNLINK = "Unlink an item (match it again next time)"
STATUS = "Status: the last runs"
SWITCH = "Switch user"
QUIT = "Quit"
# Choices of one conflict besides its candidates.
OTHER_BOOK = "Another Hardcover book (type its id)"
IGNORE = "Ignore this conflict"
SKIP = "Skip: decide later"
BACK = "Back to the menu"


def register(app: typer.Typer) -> None:
    """Add ``menu`` to the main app."""
    app.command("menu")(menu)


def _select(question: str, choices: list[str]) -> str | None:
    answer: str | None = questionary.select(question, choices=choices, use_shortcuts=True).ask()
    return answer


def _text(question: str, *, number: bool = False, default: str = "") -> str | None:
    def valid(text: str) -> bool | str:
        if number and not (text.strip().isdigit() and int(text) > 0):
            return "a number above 0, please"
        return bool(text.strip()) or "an answer, please"

    answer: str | None = questionary.text(question, default=default, validate=valid).ask()
    return answer.strip() if answer is not None else None


def _run(action: Callable[..., Any], /, **kwargs: Any) -> None:
    """Run a CLI command function; its exit code and errors are shown, and the menu goes on."""
    try:
        action(**kwargs)
    except typer.Exit as stop:
        if stop.exit_code:
            console.print(f"(exit code {stop.exit_code})")


@handle_errors
def menu(config: ConfigOption = None, user: UserOption = None) -> None:
    """Do the common things from a menu: pick a user, dry-run or sync, settle conflicts one by one,
    link and unlink, see the last runs (needs a terminal).

    Example: bookrelay menu --user alice
    """
    run_menu(config, user)


def run_menu(config: Path | None, user: str | None) -> None:
    """The menu loop (also behind ``bookrelay --interactive``)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ConfigError("the menu needs a terminal; every action is a command too (bookrelay --help)")
    settings = load_settings(config)
    users = [u.id for u in settings.users]
    # The only user, as every one-user command takes; with several the menu asks instead of refusing.
    chosen = single_user(settings, user) if user or len(users) == 1 else None
    while True:
        if chosen is None:
            chosen = _select("Which user?", users)
            if chosen is None:
                return
        choices = [
            DRY_RUN,
            SYNC,
            f"{CONFLICTS} ({len(list_conflicts(settings, chosen))} waiting)",
            LINK,
            UNLINK,
            STATUS,
        ]
        choices += [SWITCH, QUIT] if len(users) > 1 else [QUIT]
        action = _select(f"{chosen}: what next?", choices)
        if action in (None, QUIT):
            return
        if action == SWITCH:
            chosen = None
        else:
            _act(action, config, chosen)


def _act(action: str, config: Path | None, user: str) -> None:

    if action in (DRY_RUN, SYNC):
        _run(commands.sync, config=config, user=user, all_users=False, dry_run=action == DRY_RUN,
             limit=None, force=False, verbose=False)  # fmt: skip
    elif action.startswith(CONFLICTS):
        settle_conflicts(config, user)
    elif action == LINK:
        item, book = (
            _text("Item id (Audiobookshelf library item id)"),
            _text("Hardcover book id", number=True),
        )
        if item and book:
            _run(
                commands.link, item=item, book=int(book), edition=None, user=user, source="abs", config=config
            )
    elif action == UNLINK:
        item = _text("Item id to unlink")
        if item:
            _run(commands.unlink, item=item, user=user, source="abs", config=config)
    elif action == STATUS:
        _run(status, config=config, limit=10)


def _candidate_label(candidate: dict[str, Any]) -> str:
    """ "Title by Author — score 0.72 (book 123)": the book by title and author, its id as small print."""
    authors = ", ".join(str(a) for a in candidate.get("authors") or [])
    by = f" by {authors}" if authors else ""
    score = f"score {candidate.get('score', 0):.2f}"
    return f"{candidate.get('title')}{by} — {score} (book {candidate.get('book_id')})"


def settle_conflicts(config: Path | None, user: str) -> None:
    """Each open conflict of ``user`` in turn: its card and score table, then the person's choice."""
    settings = load_settings(config)
    waiting = list_conflicts(settings, user)
    if not waiting:
        console.print("no conflicts waiting")
        return
    for number, conflict in enumerate(waiting, start=1):
        console.rule(f"conflict {number} of {len(waiting)}")
        _run(commands.conflicts_show, conflict_id=conflict.id, config=config)
        candidates = list(conflict.candidates or [])
        labels = [_candidate_label(c) for c in candidates]
        choice = _select("Which book is it?", [*labels, OTHER_BOOK, IGNORE, SKIP, BACK])
        if choice in (None, BACK):
            return
        try:
            if choice in labels:
                book = int(candidates[labels.index(choice)]["book_id"])
                resolve_conflict(settings, conflict.id, book, None)
                console.print(f"linked to {choice.split(' — ')[0]}; the next sync writes it", markup=False)
            elif choice == OTHER_BOOK:
                typed = _text("Hardcover book id", number=True)
                if typed:
                    resolve_conflict(settings, conflict.id, int(typed), None)
                    console.print(f"linked to book {typed}; the next sync writes it")
            elif choice == IGNORE:
                ignore_conflict(settings, conflict.id)
                console.print("ignored")
        except BookrelayError as exc:
            console.print(f"not done: {exc}", markup=False)
    console.print("that was the last conflict")
