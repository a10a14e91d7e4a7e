"""Commands of the sandbox: ``sandbox serve`` (the fakes on one port) and ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from bookrelay.cli.errors import handle_errors
from bookrelay.demo import run_demo
from bookrelay.errors import ConfigError
from bookrelay.sandbox.server import build_sandbox, load_fixture

console = Console(highlight=False)
sandbox_app = typer.Typer(
    help="Fakes of the outside services, for trying bookrelay out.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add ``sandbox`` and ``demo`` to the main app."""
    app.add_typer(sandbox_app, name="sandbox")
    app.command("demo")(demo)


@sandbox_app.command("serve")
@handle_errors
def sandbox_serve(
    fixture: Annotated[Path | None, typer.Option(help="JSON fixture (default: the bundled demo).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8765,
) -> None:
    """Serve every fake on one port: /hardcover/v1/graphql, /abs, /_sandbox/stats."""
    try:
        sandbox = build_sandbox(load_fixture(fixture))
    except ValueError as exc:
        raise ConfigError(str(exc), place=str(fixture or "bundled fixture")) from exc
    console.print(f"sandbox on http://{host}:{port}  (Hardcover /hardcover/v1/graphql, Audiobookshelf /abs)")
    uvicorn.run(sandbox.app, host=host, port=port, log_level="warning")


@handle_errors
def demo(
    fixture: Annotated[Path | None, typer.Option(help="JSON fixture (default: the bundled demo).")] = None,
) -> None:
    """Start the sandbox, run every job once against it with a temporary SQLite store, print what happened."""
    raise typer.Exit(run_demo(console, fixture))
