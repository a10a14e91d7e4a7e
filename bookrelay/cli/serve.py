"""``bookrelay serve``: the HTTP API, the web page and the scheduler in one process."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from bookrelay.app.common import load_settings
from bookrelay.app.serving import run_once, sync_interval
from bookrelay.app.serving import serve as serve_app
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption

console = Console(highlight=False)
CRON_HELP = "The same as serve: the schedule, the API and the web page, until stopped."


def register(app: typer.Typer) -> None:
    """Add ``serve`` and its other name ``cron`` to the main app."""
    app.command("serve")(serve)
    # `cron` is an alias, not a scheduler without the web page: one service process to learn and run,
    # and a compose file written for `command: ["cron"]` keeps working unchanged.
    app.command(
        "cron",
        help=CRON_HELP + "\n\nExample: bookrelay cron",
    )(serve)


@handle_errors
def serve(
    config: ConfigOption = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default global.server.host).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            envvar="BOOKRELAY_PORT",
            help="Port to listen on (default global.server.port, 8080).",
        ),
    ] = None,
) -> None:
    """Serve the API (/api/v1, key in X-Api-Key), the web page (/) and run the schedule until stopped.

    With SYNC_INTERVAL=0 every enabled job runs once instead and the exit code tells whether one failed.

    Example: bookrelay serve --host 0.0.0.0 --port 8080
    """
    if sync_interval() == 0:
        runs, code = run_once(load_settings(config))
        for run in runs:
            reason = f" — {run.error}" if run.error else ""
            console.print(f"run {run.id}: {run.job} for {run.user_id}: {run.status}{reason}", markup=False)
        raise typer.Exit(code)
    serve_app(config, host, port)
