"""``bookrelay demo``: the sandbox on a loopback port, every job once against it, and what happened.

The demo uses a temporary folder for its SQLite store and secret key, so it leaves nothing behind. It
runs the jobs through :mod:`bookrelay.app` like every other command; :mod:`bookrelay.demo` only serves
the sandbox and writes the configuration that points at it.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bookrelay.app.audible import save_audible_login, set_link_sync
from bookrelay.app.common import open_store
from bookrelay.app.progress import run_progress
from bookrelay.app.views import open_conflicts
from bookrelay.app.wanted import run_wanted_job
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.render import render_plan, render_summary
from bookrelay.cli.wanted import render_wanted
from bookrelay.config import Config
from bookrelay.demo import DEMO_USER, demo_config, demo_fixture, serve_sandbox
from bookrelay.sandbox.bookshelf.demo import WANTED_USER
from bookrelay.sandbox.demo_audible import demo_audible_disabled, demo_audible_login
from bookrelay.sandbox.server import Sandbox, build_sandbox

console = Console(highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the main app."""
    app.command("demo")(demo)


@handle_errors
def demo(
    fixture: Annotated[Path | None, typer.Option(help="JSON fixture (default: the bundled demo).")] = None,
) -> None:
    """Start the sandbox, run every job once against it with a temporary SQLite store, print what happened.

    Example: bookrelay demo
    """
    raise typer.Exit(run_demo(console, fixture))


def run_demo(console: Console, fixture_path: Path | None = None) -> int:
    """Run the demo; returns the exit code (0 when every run succeeded)."""
    fixture = demo_fixture(fixture_path)
    sandbox = build_sandbox(fixture)
    failed = False
    with tempfile.TemporaryDirectory(prefix="bookrelay-demo-") as tmp, serve_sandbox(sandbox) as base_url:
        config = demo_config(base_url, Path(tmp), fixture)
        console.rule("[bold]bookrelay demo")
        console.print(
            f"sandbox serving on {base_url} (Hardcover, Audiobookshelf, Audible, Bookshelf,"
            f" rreading-glasses); store in {tmp}",
            soft_wrap=True,
        )
        with open_store(config) as store:
            if fixture.get("audible"):
                _sign_in_audible(config, store, fixture["audible"])
            readers = [u.id for u in config.users if u.audiobookshelf is not None]
            console.rule("progress · first run: Audiobookshelf → Hardcover")
            reports = asyncio.run(run_progress(config, readers, store=store, keep_plan=True))
            for report in reports:
                render_plan(console, report)
                render_summary(console, report)
                failed = failed or report.error is not None
            console.rule("progress · second run: nothing changed")
            for report in asyncio.run(run_progress(config, readers, store=store)):
                render_summary(console, report)
                failed = failed or report.error is not None
            _render_conflicts(console, store)
            if fixture.get("bookshelf"):
                failed = _run_wanted(console, config, store) or failed
        _render_stats(console, sandbox)
    return 1 if failed else 0


def _sign_in_audible(config: Config, store: Any, section: dict[str, Any]) -> None:
    """What `bookrelay audible login` would store for the demo user, and the title they turned off (A1)."""
    save_audible_login(store, DEMO_USER, demo_audible_login(section))
    for asin in demo_audible_disabled(section):
        set_link_sync(config, DEMO_USER, "audible", asin, False, store=store)


def _run_wanted(console: Console, config: Config, store: Any) -> bool:
    """The wanted job, twice: the second run adds nothing. True when a run failed."""
    failed = False
    for title in ("wanted · first run: Want to Read → Bookshelf", "wanted · second run: nothing new"):
        console.rule(title)
        for user_id, report, error in asyncio.run(run_wanted_job(config, [WANTED_USER], store=store)):
            if report is not None:
                render_wanted(console, user_id, report)
            if error:
                console.print(f"[bold red]{user_id}: stopped:[/] {error}", soft_wrap=True)
                failed = True
    return failed


def _render_conflicts(console: Console, store: Any) -> None:
    table = Table(
        "id", "item", "title", "reason", "best candidate", title="open conflicts (bookrelay conflicts list)"
    )
    for c in open_conflicts(store):
        best = (c.candidates or [{}])[0]
        shown = f"{best.get('title', '')} ({best.get('score', 0):.2f})" if best else ""
        table.add_row(str(c.id), c.source_item_id, c.title, c.reason, shown)
    console.print(table)


def _render_stats(console: Console, sandbox: Sandbox) -> None:
    stats = sandbox.stats()
    hc = stats["hardcover"]
    table = Table("fake", "requests", "writes", "Hardcover units", "429s", title="sandbox traffic")
    table.add_row(
        "hardcover", str(hc["requests"]), str(hc["writes"]), str(hc["units"]), str(hc["rate_limited"])
    )
    for name in ("audiobookshelf", "audible", "bookshelf", "rreading_glasses"):
        fake = stats.get(name, {})
        table.add_row(name, str(fake.get("requests", "")), str(fake.get("writes", "")), "", "")
    console.print(table)
