"""``bookrelay run-once``: every enabled job once for every user, then exit (the CronJob mode).

``SYNC_INTERVAL=0`` asks for the same thing in a container; the scheduled service is ``bookrelay serve``.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from bookrelay.app.common import load_settings
from bookrelay.app.serving import run_once as run_all
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption

console = Console(highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``run-once`` to the main app."""
    app.command("run-once")(run_once)


@handle_errors
def run_once(config: ConfigOption = None) -> None:
    """Run every enabled job once for every user; exit 0, or 1 when a run failed.

    Example: bookrelay run-once -c /config/bookrelay.yaml
    """
    runs, code = run_all(load_settings(config))
    table = Table("run", "user", "job", "status", "units", "error", title="runs")
    for run in runs:
        table.add_row(
            str(run.id), run.user_id, run.job, run.status, str(run.hardcover_units or 0), run.error or ""
        )
    console.print(table if runs else "no enabled job for any user")
    raise typer.Exit(code)
