"""``bookrelay doctor`` and ``bookrelay init``: is everything connected, and a guided first setup."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.prompt import Prompt
from rich.table import Table

from bookrelay.app.common import load_settings
from bookrelay.app.doctor import Check, run_doctor, sample_items
from bookrelay.app.setup_render import render, write_private
from bookrelay.app.setup_wizard import Answers, gather, parse_jobs, system_zone
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption, EveryUserOption
from bookrelay.domain.models import SourceItem
from bookrelay.errors import ConfigError
from bookrelay.http_defaults import HARDCOVER_URL

console = Console(highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``doctor`` and ``init`` to the main app."""
    app.command("doctor")(doctor)
    app.command("init")(init)


def render_checks(checks: list[Check], title: str = "bookrelay doctor") -> None:
    """The checks as a table: OK / FAIL / INFO, what was found, and the fix for each failure."""
    table = Table("service", "user", "check", "result", "details", "fix", title=title)
    for check in checks:
        result = (
            "[green]OK[/]"
            if check.ok and not check.info
            else ("[blue]INFO[/]" if check.ok else "[red]FAIL[/]")
        )
        table.add_row(check.service, check.user, check.name, result, check.detail, check.fix)
    console.print(table)


@handle_errors
def doctor(
    config: ConfigOption = None,
    user: EveryUserOption = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=1, help="Also list the first N Audiobookshelf books of each user, with their ISBN/ASIN."
        ),
    ] = None,
) -> None:
    """Check every connection, token, scope and setting; exit 1 when anything fails.

    Example: bookrelay doctor --user alice --limit 5
    """
    checks = run_doctor(config, user)
    render_checks(checks)
    failures = sum(not c.ok for c in checks)
    if failures:
        console.print(f"[red]{failures} check(s) failed[/]")
        raise typer.Exit(1)
    console.print("[green]all checks passed[/]")
    if limit is not None:
        render_sample(asyncio.run(sample_items(load_settings(config), user, limit)))


def render_sample(items: list[tuple[str, SourceItem]]) -> None:
    """The listed books by title and author, with the identifiers enrich would fill in."""
    table = Table("user", "title", "author", "ISBN", "ASIN", title="first Audiobookshelf books")
    for user_id, item in items:
        table.add_row(user_id, item.title, ", ".join(item.authors), item.isbn or "-", item.asin or "-")
    console.print(table)
    if not items:
        console.print("no Audiobookshelf books (or no user with an audiobookshelf section)")


def _ask(question: str, default: str | None, secret: bool) -> str:
    if secret:
        return Prompt.ask(question, console=console, password=True)
    return Prompt.ask(question, console=console, default=default or "", show_default=bool(default))


def _next_step(output: Path, env_file: Path | None) -> str:
    """The commands to run next, working from where init ran whatever --output was."""
    config = "" if output == Path("bookrelay.yaml") else f" -c {shlex.quote(str(output))}"
    load = f"set -a; . {shlex.quote(str(env_file))}; set +a; " if env_file is not None else ""
    steps = (f"bookrelay {command}{config}" for command in ("config check", "doctor", "sync --dry-run"))
    return load + " && ".join(steps)


_DEFAULT_ZONE = "the system's"


@handle_errors
def init(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the config.")] = Path(
        "bookrelay.yaml"
    ),
    secrets_to_env: Annotated[
        Path | None,
        typer.Option("--secrets-to-env", help="Write the tokens to this env file (e.g. .env) instead."),
    ] = None,
    non_interactive: Annotated[
        bool, typer.Option("--non-interactive", help="Ask nothing: use the flags (for scripts).")
    ] = False,
    user_id: Annotated[str, typer.Option("--user-id", help="The id of the user the file describes.")] = "me",
    timezone: Annotated[
        str, typer.Option("--timezone", help="IANA time zone (default: the system's).", show_default=False)
    ] = _DEFAULT_ZONE,
    jobs: Annotated[
        str, typer.Option("--jobs", help="Jobs to run: progress, wanted, enrich, scrobble (comma-separated).")
    ] = "progress",
    hardcover_url: Annotated[
        str, typer.Option("--hardcover-url", help="Hardcover's GraphQL URL.")
    ] = HARDCOVER_URL,
    hardcover_token: Annotated[str, typer.Option("--hardcover-token", help="Hardcover token.")] = "",
    abs_url: Annotated[
        str, typer.Option("--abs-url", help="Audiobookshelf server root (http:// added if missing).")
    ] = "",
    abs_api_key: Annotated[str, typer.Option("--abs-api-key", help="Audiobookshelf API key.")] = "",
    bookshelf_url: Annotated[str, typer.Option("--bookshelf-url", help="Bookshelf URL (wanted job).")] = "",
    bookshelf_api_key: Annotated[str, typer.Option("--bookshelf-api-key", help="Bookshelf API key.")] = "",
    rreading_glasses_url: Annotated[
        str, typer.Option("--rreading-glasses-url", help="rreading-glasses URL (wanted job).")
    ] = "",
    audible_locale: Annotated[
        str, typer.Option("--audible-locale", help="Audible marketplace (us, uk, de, …); empty: no Audible.")
    ] = "",
    api_key: Annotated[
        str, typer.Option("--api-key", help="Key of `bookrelay serve`'s API (default: a random one).")
    ] = "",
    web_password: Annotated[str, typer.Option("--web-password", help="Password of the web page.")] = "",
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    no_check: Annotated[
        bool, typer.Option("--no-check", help="Write even when a check fails (non-interactive).")
    ] = False,
) -> None:
    """Ask for every service (Hardcover, Audiobookshelf, Bookshelf, Audible, serve) and the jobs, check
    each answer, and write a commented bookrelay.yaml.

    Example: bookrelay init --output conf/bookrelay.yaml --secrets-to-env conf/.env
    """
    for path in (output, secrets_to_env):
        if path is not None and path.exists() and not force:
            raise ConfigError("exists already (give --force to overwrite it)", place=str(path))
    answers = Answers(
        user_id=user_id,
        timezone=system_zone() if timezone == _DEFAULT_ZONE else timezone,
        hardcover_url=hardcover_url,
        hardcover_token=hardcover_token,
        abs_url=abs_url,
        abs_api_key=abs_api_key,
        jobs=parse_jobs(jobs),
        bookshelf_url=bookshelf_url,
        bookshelf_api_key=bookshelf_api_key,
        rreading_glasses_url=rreading_glasses_url,
        audible_locale=audible_locale,
        server_api_key=api_key,
        web_password=web_password,
    )
    answers = gather(
        answers,
        None if non_interactive else _ask,
        lambda checks: render_checks(checks, f"check for {answers.user_id}"),
        lambda line: console.print(line, markup=False),
    )
    if answers.failed and (non_interactive and not no_check):
        console.print("[red]not written: a check failed[/] (fix it, or give --no-check)")
        raise typer.Exit(1)
    if answers.failed and not non_interactive:
        keep = Prompt.ask("Some checks failed. Write the file anyway?", console=console, choices=["y", "n"])
        if keep != "y":
            raise typer.Exit(1)
    text, env_text = render(answers, secrets_to_env)
    write_private(output, text, overwrite=force)
    # The written config keeps its store and key in ./data beside it; made now, so that config check
    # (which refuses a key file in a folder that does not exist) accepts the file as written.
    (output.parent / "data").mkdir(mode=0o700, parents=True, exist_ok=True)
    if secrets_to_env is not None and env_text is not None:
        write_private(secrets_to_env, env_text, overwrite=force)
        console.print(
            f"secrets written to {secrets_to_env} (compose reads it as env_file; a shell with set -a)"
        )
    console.print(f"[green]wrote {output}[/] for user {answers.user_id}", soft_wrap=True)
    if answers.audible_locale:
        console.print(
            f"then log in to Audible once: bookrelay audible login --user {answers.user_id}", soft_wrap=True
        )
    console.print(f"next: {_next_step(output, secrets_to_env)}", soft_wrap=True, markup=False)
