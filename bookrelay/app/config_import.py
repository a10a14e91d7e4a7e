"""``bookrelay config import``: write a bookrelay.yaml equivalent to another tool's configuration file."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from bookrelay.config import ConfigProblem, check_config
from bookrelay.config.imports import Imported, convert
from bookrelay.config.yaml_file import parse_yaml, read_config_text
from bookrelay.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What was written where, what each old key became, and what ``config check`` says of the result."""

    kind: str
    target: Path
    notes: list[str]
    problems: list[ConfigProblem]


def import_configuration(source: Path, target: Path, *, force: bool = False) -> ImportResult:
    """Convert ``source`` (a ShelfBridge-style config.yaml or scrobbler settings) into ``target``.

    An existing ``target`` is never overwritten without ``force``; the file is written whole or not at
    all, readable by its owner only (it holds tokens). ConfigError names the file and key at fault.
    """
    if target.exists() and not force:
        raise ConfigError(f"{target} exists: give --output with another name, or --force to replace it")
    text, problems = read_config_text(source, str(source))
    if text is None:
        raise ConfigError("; ".join(str(p) for p in problems))
    parsed, problems = parse_yaml(text, str(source))
    if parsed is None:
        raise ConfigError("; ".join(str(p) for p in problems))
    try:
        imported = convert(parsed.data)
    except (ValueError, TypeError) as exc:
        raise ConfigError(str(exc), place=str(source)) from None
    _write(target, imported)
    # Checked without the environment: the file alone must be what the notes say it is.
    return ImportResult(imported.kind, target, imported.notes, check_config(target, {}))


def _write(target: Path, imported: Imported) -> None:
    header = (
        f"# Written by `bookrelay config import` from a {imported.kind}.\n"
        "# Every key is explained in the README's configuration reference.\n"
    )
    body = yaml.safe_dump(imported.data, sort_keys=False, allow_unicode=True)
    folder = target.parent if str(target.parent) else Path(".")
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".bookrelay-import-", suffix=".yaml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(header + body)
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
