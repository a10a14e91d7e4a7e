"""``sandbox serve``: the fakes of the outside services on one port (the demo: :mod:`bookrelay.cli.demo`)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from bookrelay.cli.errors import handle_errors
from bookrelay.demo import demo_fixture, sandbox_guide
from bookrelay.errors import ConfigError
from bookrelay.sandbox.server import build_sandbox

console = Console(highlight=False)
sandbox_app = typer.Typer(
    help="Fakes of the outside services, for trying bookrelay out.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add ``sandbox`` to the main app."""
    app.add_typer(sandbox_app, name="sandbox")


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
    try:
        data = demo_fixture(fixture)
        sandbox = build_sandbox(data)
    except ValueError as exc:
        raise ConfigError(str(exc), place=str(fixture or "bundled fixture")) from exc
    # Bind before printing, so the printed address is the one served (and port 0 names a real port).
    listener = socket.create_server((host, port))
    shown = f"[{host}]" if ":" in host else host
    console.print(
        sandbox_guide(f"http://{shown}:{listener.getsockname()[1]}", data), markup=False, soft_wrap=True
    )
    server = uvicorn.Server(uvicorn.Config(sandbox.app, log_level="warning"))
    server.run(sockets=[listener])
