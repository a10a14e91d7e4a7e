"""Changes to the configuration file made by the API (``PUT /api/config``): computed against the
configuration in force, written into the YAML with its comments and key order kept (ruamel.yaml's round
trip), checked by the loader ``config check`` uses, then put in place atomically (a temporary file in the
same folder renamed over the old one, its mode kept) after a copy of the previous version to ``.bak``.

Secrets and the database are never changed this way (they stay in the file or their variables), and a
key the environment sets is refused, since the variable would win over the file at the next start.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import stat
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from bookrelay.config import Config, check_config, load_config
from bookrelay.config.loader import DEFAULT_PATH
from bookrelay.config.models import MASK
from bookrelay.config.yaml_file import Key, dotted
from bookrelay.errors import BookrelayError, ConfigError
from bookrelay.redact import redact

# Leaves never changed over the API: credentials (S1) and where the store is.
_SECRET_LEAVES = frozenset(
    {"token", "api_key", "password", "secret_key", "session_secret", "urls", "oauth_client_secret"}
)
_FIXED_LEAVES = frozenset({"database"})
SEED_INTERVAL = "sync_interval"  # the Audible auto-tracker's setting: minutes between syncs
_INTERVAL_TARGETS: tuple[Key, ...] = (
    ("global", "schedule", "progress"),
    ("global", "audible", "min_interval_minutes"),
)
_MAX_INTERVAL_MINUTES = 7 * 24 * 60  # global.audible.min_interval_minutes's bound
_write_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Problem:
    """One refused part of a change: the field as the request named it, and why."""

    field: str
    message: str


class Plan(dict[Key, Any]):
    """The leaves of the file to change, by key; ``asked_as`` names a key the way the request named it
    (the tracker's ``sync_interval`` for the two keys it sets), for messages."""

    def __init__(self) -> None:
        super().__init__()
        self.asked_as: dict[str, str] = {}


class ChangeRefused(ConfigError):
    """The change names unknown keys, secrets, or values the loader refuses (422); ``problems`` lists each."""

    def __init__(self, problems: list[Problem]) -> None:
        listing = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(redact(f"the configuration was not changed: {listing}"))
        self.problems = problems


class NoFileToWrite(ConfigError):
    """The configuration does not come from a file, so there is none to change (409)."""

    http_status = 409


class WriteFailed(BookrelayError):
    """The file could not be replaced; the previous version is still in place (500)."""


def config_file_path(path: Path | None, env: Mapping[str, str]) -> Path:
    """The file the loader reads: ``path``, else $BOOKRELAY_CONFIG, else ./bookrelay.yaml."""
    if path is not None:
        return path
    chosen = env.get("BOOKRELAY_CONFIG", "").strip()
    return Path(chosen) if chosen else DEFAULT_PATH


def plan_changes(config: Config, body: Mapping[str, Any], env: Mapping[str, str]) -> Plan:
    """The leaves of the file that ``body`` changes, by key (users by index); ``body`` is the shape
    ``GET /api/config`` answers, any part of it, plus the tracker's ``sync_interval`` (minutes).
    Unchanged values, and secrets sent back as ``***``, are no change. Raises ChangeRefused naming
    every unknown key, secret or fixed value, and every key an environment variable sets (``env``)."""
    current = config.redacted_dict()
    changes = Plan()
    problems: list[Problem] = []
    for name, value in body.items():
        if name == SEED_INTERVAL:
            _interval(value, changes, problems)
        elif name == "global":
            _walk(("global",), value, current["global"], changes, problems)
        elif name == "users":
            _users(value, current["users"], changes, problems)
        else:
            problems.append(Problem(name, "unknown key"))
    for key in changes:
        origin = _env_origin(config, key)
        if origin is not None:
            problems.append(
                Problem(dotted(key), f"is set by {origin}, which wins over the file: change it there")
            )
        elif key[:2] == ("global", "schedule") and env.get("SYNC_INTERVAL", "").strip():
            # `serve` runs every job every SYNC_INTERVAL seconds while it is set, whatever the file says.
            problems.append(Problem(dotted(key), "$SYNC_INTERVAL replaces every schedule: unset it first"))
    if problems:
        raise ChangeRefused(problems)
    return changes


def changed_keys(changes: Plan) -> list[str]:
    """The keys ``changes`` sets, as messages write them (``global.audible.daily_cap``)."""
    return [dotted(key) for key in changes]


def write_changes(path: Path, changes: Plan, env: Mapping[str, str]) -> Config:
    """Write ``changes`` into the file at ``path`` and answer the configuration it now holds. The new
    text is checked by the loader before it replaces the file; the previous version is kept as
    ``<name>.bak``. ChangeRefused (the loader's problems), NoFileToWrite, or WriteFailed (file unchanged)."""
    if not path.is_file():
        raise NoFileToWrite(f"{path} is not a file: there is no configuration file to write")
    with _write_lock:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise WriteFailed(f"could not read {path}: {exc.strerror}; nothing was changed") from None
        new_text = _edited(text, changes, str(path))
        return _replace(path, new_text, changes, env)


def _interval(value: Any, changes: Plan, problems: list[Problem]) -> None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_INTERVAL_MINUTES:
        problems.append(
            Problem(SEED_INTERVAL, f"must be a whole number of minutes, 1 to {_MAX_INTERVAL_MINUTES}")
        )
        return
    changes[_INTERVAL_TARGETS[0]] = f"every {value}m"
    changes[_INTERVAL_TARGETS[1]] = value
    changes.asked_as.update({dotted(target): SEED_INTERVAL for target in _INTERVAL_TARGETS})


def _users(
    value: Any, current: list[dict[str, Any]], changes: dict[Key, Any], problems: list[Problem]
) -> None:
    if not isinstance(value, list):
        problems.append(Problem("users", "must be a list of users, each with its id"))
        return
    index = {user["id"]: i for i, user in enumerate(current)}
    for n, user in enumerate(value):
        user_id = user.get("id") if isinstance(user, dict) else None
        if user_id not in index:
            problems.append(
                Problem(f"users[{n}].id", f"no configured user {user_id!r}: users are added in the file")
            )
            continue
        _walk(("users", index[user_id]), user, current[index[user_id]], changes, problems)


def _walk(prefix: Key, value: Any, current: Any, changes: dict[Key, Any], problems: list[Problem]) -> None:
    if not isinstance(value, dict):
        problems.append(Problem(dotted(prefix), "must be a mapping"))
        return
    for name, new in value.items():
        key = (*prefix, name)
        if name not in current:
            problems.append(Problem(dotted(key), "unknown key"))
        elif isinstance(current[name], dict) and isinstance(new, dict):
            _walk(key, new, current[name], changes, problems)
        elif new == current[name]:
            continue  # unchanged; a secret sent back as *** is unchanged too
        elif name in _SECRET_LEAVES or current[name] == MASK or _holds_secret(new):
            problems.append(
                Problem(dotted(key), "is a secret: set it in the file or its variable, not over the API")
            )
        elif name in _FIXED_LEAVES:
            problems.append(Problem(dotted(key), "is where the store is: change it in the file and restart"))
        else:
            changes[key] = new


def _holds_secret(value: Any) -> bool:
    """Whether a new section (where the configuration has none yet) carries a secret."""
    if isinstance(value, dict):
        return any(name in _SECRET_LEAVES or _holds_secret(child) for name, child in value.items())
    return isinstance(value, list) and any(_holds_secret(child) for child in value)


def env_variables(config: Config) -> list[str]:
    """The environment variables that set any value of ``config``, sorted."""
    names = set()
    for key in _leaves(config.redacted_dict(), ()):
        origin = _env_origin(config, key)
        if origin is not None:
            names.add(origin)
    return sorted(names)


def _leaves(value: Any, prefix: Key) -> list[Key]:
    if isinstance(value, dict):
        return [leaf for name, child in value.items() for leaf in _leaves(child, (*prefix, name))]
    if isinstance(value, list) and prefix == ("users",):
        return [leaf for i, child in enumerate(value) for leaf in _leaves(child, (*prefix, i))]
    return [prefix]


def _env_origin(config: Config, key: Key) -> str | None:
    """The variable that sets ``key`` or a key above it, when one does."""
    for end in range(len(key), 0, -1):
        origin = config.origin_of(dotted(key[:end]), "")
        if origin.startswith("$"):
            return origin.split(" ")[0]
    return None


def _yaml(text: str) -> YAML:
    yaml = YAML()  # round trip: comments, key order and quoting are kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # long lines stay as they were written, not folded
    if re.search(r"^ +- ", text, re.MULTILINE):
        yaml.indent(mapping=2, sequence=4, offset=2)  # the file indents its lists under their key
    return yaml


def _edited(text: str, changes: Mapping[Key, Any], file_name: str) -> str:
    yaml = _yaml(text)
    try:
        document = yaml.load(text)
    except YAMLError as exc:
        raise ChangeRefused(
            [Problem(file_name, f"the file is not valid YAML ({exc}); nothing was changed")]
        ) from None
    if document is None:
        document = CommentedMap()
    for key, value in changes.items():
        _set(document, key, value, file_name)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _set(document: Any, key: Key, value: Any, file_name: str) -> None:
    node: Any = document
    for part in key[:-1]:
        child = node.get(part) if isinstance(node, dict) else node[part]
        if child is None:
            child = node[part] = CommentedMap()
        if not isinstance(child, dict | list):
            raise ChangeRefused(
                [Problem(dotted(key), f"{file_name} holds a value, not a mapping, above this key")]
            )
        node = child
    node[key[-1]] = value


def _replace(path: Path, text: str, changes: Plan, env: Mapping[str, str]) -> Config:
    # Same folder: the rename is atomic, and relative paths in the file mean the same while it is checked.
    temp: Path | None = None
    try:
        fd, temp_name = tempfile.mkstemp(dir=path.absolute().parent, prefix=f".{path.name}.", suffix=".new")
        temp = Path(temp_name)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        problems = check_config(temp, env)
        if problems:
            raise ChangeRefused([_named(p.key, p.message, changes) for p in problems])
        os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        shutil.copy2(path, path.with_name(f"{path.name}.bak"))
        os.replace(temp, path)
    except OSError as exc:
        raise WriteFailed(
            f"could not write {path}: {exc.strerror}; the file is unchanged (a file mounted read-only, or "
            "mounted on its own into a container, cannot be replaced: mount its folder instead)"
        ) from None
    finally:
        if temp is not None:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
    return load_config(path, env)


def _named(key: str, message: str, changes: Plan) -> Problem:
    """A loader problem named as the request named it (the tracker's ``sync_interval``)."""
    asked = changes.asked_as.get(key)
    return Problem(f"{asked} ({key})" if asked else key or "(top level)", message)
