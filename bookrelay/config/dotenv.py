"""``.env`` files read into the process environment, the way tools that ship a ``.env.example`` expect.

Read are ``./.env`` (the working folder), then the ``.env`` beside the configuration file; a variable
already set wins over both, so the process environment (a container's, a shell's) always has the last
word, and of the two files the working folder's is read first. Which file set which variable is kept,
so that a message about a value can name the file it came from.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from dotenv import dotenv_values

from bookrelay.redact import register_secret

# variable name → the .env file that set it (only variables a .env file set, not the process's own)
ORIGINS: dict[str, Path] = {}


def dotenv_paths(config_file: Path | None) -> list[Path]:
    """The ``.env`` files that exist: the working folder's, then the one beside ``config_file``."""
    candidates = [Path(".env")]
    if config_file is not None:
        candidates.append(config_file.expanduser().parent / ".env")
    seen: list[Path] = []
    for path in candidates:
        resolved = path.absolute()
        if resolved.is_file() and resolved not in seen:
            seen.append(resolved)
    return seen


def apply_dotenv(paths: list[Path], environ: MutableMapping[str, str] | None = None) -> dict[str, Path]:
    """Set each variable of the ``.env`` files at ``paths`` that ``environ`` (the process environment)
    does not have, first file first; returns what was set and from which file."""
    target = os.environ if environ is None else environ
    applied: dict[str, Path] = {}
    for path in paths:
        for name, value in dotenv_values(path).items():
            if value is None or name in target:
                continue  # `NAME` without a value, or already set: the environment wins
            target[name] = value
            if _looks_secret(name):
                register_secret(value)
            applied[name] = path
    ORIGINS.update(applied)
    return applied


def origin_note(name: str) -> str:
    """`` in /path/.env`` when a .env file set ``name``, else empty."""
    path = ORIGINS.get(name)
    return f" in {path}" if path is not None else ""


def _looks_secret(name: str) -> bool:
    upper = name.upper()
    return any(word in upper for word in ("TOKEN", "KEY", "SECRET", "PASSWORD"))
