"""The one place where errors become exit codes and messages for the CLI."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from bookrelay.errors import BookrelayError, exit_code_for
from bookrelay.redact import redact

P = ParamSpec("P")
R = TypeVar("R")

err_console = Console(stderr=True, highlight=False)
log = logging.getLogger("bookrelay.cli")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command; map bookrelay errors to their exit code with a redacted one-line message."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except BookrelayError as exc:
            err_console.print(f"[bold red]error:[/] {redact(str(exc))}", markup=True, soft_wrap=True)
            raise typer.Exit(exit_code_for(exc)) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            log.debug("unexpected error", exc_info=True)
            err_console.print(
                f"[bold red]unexpected error:[/] {type(exc).__name__}: {redact(str(exc))}", soft_wrap=True
            )
            raise typer.Exit(1) from None

    return wrapper
