"""Commands of the configuration: ``config check`` and ``config show``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from bookrelay.app.common import check_configuration, job_overview, load_settings, time_zone_report
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption

console = Console(highlight=False)
config_app = typer.Typer(help="Check and show the configuration.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``config`` to the main app."""
    app.add_typer(config_app, name="config")


@config_app.command("check")
@handle_errors
def config_check(config: ConfigOption = None) -> None:
    """Report every problem of the config file with its line and key; exit 2 when there is one.

    Example: bookrelay config check -c ~/bookrelay/bookrelay.yaml
    """
    problems, source = check_configuration(config)
    zone = time_zone_report(config)
    if not problems:
        console.print(f"[green]OK[/] {source}; {zone}", soft_wrap=True, markup=True)
        _print_jobs(config)
        return
    console.print(zone, soft_wrap=True, markup=False)
    # One "file:line: key: problem" line each, like a compiler, so editors and grep can follow them.
    console.print(f"{len(problems)} problem(s) in {source}:", soft_wrap=True)
    for problem in problems:
        where = str(problem.file or "environment") + (f":{problem.line}" if problem.line is not None else "")
        console.print(f"{where}: {problem.key}: {problem.message}", soft_wrap=True, markup=False)
    raise typer.Exit(2)


def _print_jobs(config: Path | None) -> None:
    """Which jobs will run for whom, and why, so that a job that stays off is no surprise later."""
    overview = job_overview(config)
    for user_id, choices in overview:
        console.print(f"jobs for {user_id}:", soft_wrap=True, markup=False)
        for choice in choices:
            state = "runs" if choice.runs else "off "
            console.print(f"  {choice.job:<9} {state}  {choice.why}", soft_wrap=True, markup=False)
    if not any(choice.runs for _, choices in overview for choice in choices):
        console.print("[yellow]no job will run[/]: serve and run-once have nothing to do", soft_wrap=True)


@config_app.command("show")
@handle_errors
def config_show(config: ConfigOption = None) -> None:
    """Print the effective configuration with every secret masked.

    Example: bookrelay config show
    """
    console.print_json(json.dumps(load_settings(config).redacted_dict(), default=str))
