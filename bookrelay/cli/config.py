"""Commands of the configuration: ``config check``, ``config show`` and ``config import``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bookrelay.app.common import check_configuration, job_overview, load_settings, time_zone_report
from bookrelay.app.config_import import import_configuration
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption

console = Console(highlight=False)
config_app = typer.Typer(
    help="Check and show the configuration; import another tool's file (config import).", no_args_is_help=True
)


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
    overview = job_overview(load_settings(config))
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


@config_app.command("import")
@handle_errors
def config_import(
    file: Annotated[
        Path, typer.Argument(help="Another tool's file: ShelfBridge config.yaml, scrobbler settings.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The bookrelay.yaml to write.")] = Path(
        "bookrelay.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Replace --output if it exists.")] = False,
) -> None:
    """Write a bookrelay.yaml equivalent to another tool's configuration and say what each key became.

    Example: bookrelay config import config/config.yaml -o bookrelay.yaml
    """
    result = import_configuration(file, output, force=force)
    console.print(f"read {file} as a {result.kind}; wrote {result.target}:", soft_wrap=True, markup=False)
    for note in result.notes:
        console.print(f"  {note}", soft_wrap=True, markup=False)
    if not result.problems:
        console.print(
            f"[green]OK[/] `bookrelay config check -c {result.target}` finds no problem", soft_wrap=True
        )
        return
    console.print(f"still to do in {result.target} before it runs:", soft_wrap=True, markup=False)
    for problem in result.problems:
        console.print(f"  {problem}", soft_wrap=True, markup=False)
