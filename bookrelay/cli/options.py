"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config file (env BOOKRELAY_CONFIG, default ./bookrelay.yaml)."),
]

# --user means the same everywhere: a user's id as written in the config file's users: list. Commands
# that act for one user take the only one when it is not given; listings and checks cover everyone.
_USER_ID = "an id from the config file's users: list"
UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        metavar="ID",
        help=f"Whose books: {_USER_ID} (default: the only user; needed when there are several).",
    ),
]
EveryUserOption = Annotated[
    str | None,
    typer.Option("--user", metavar="ID", help=f"Only this user: {_USER_ID} (default: every user)."),
]
