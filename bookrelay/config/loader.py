"""Reads the YAML file and the environment into a :class:`Config`, reporting every problem with
its file, line and dotted key.

The file is read into data with the line of every key by :mod:`bookrelay.config.yaml_file`; the
environment is laid over the data before validation, and remembers which variable set what, so
that a problem in an env value names the variable instead of a line.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bookrelay.config.dotenv import origin_note
from bookrelay.config.environment import env_names_for, overlay_env
from bookrelay.config.fields import resolve_database_url
from bookrelay.config.imports import detect as detect_foreign
from bookrelay.config.jobs import job_problems
from bookrelay.config.keyfile import key_file_problem
from bookrelay.config.models import (
    NEEDS_ABS_CREDENTIALS,
    Config,
    SyncOverride,
    SyncSettings,
)
from bookrelay.config.yaml_file import ENVIRONMENT, ConfigProblem, Key, parse_yaml, read_config_text
from bookrelay.config.yaml_file import Source as _Source
from bookrelay.config.yaml_file import dotted as _dotted
from bookrelay.errors import ConfigError
from bookrelay.redact import redact, register_secret

DEFAULT_PATH = Path("bookrelay.yaml")

_SECRET_LEAVES = {
    "token",
    "api_key",
    "password",
    "secret_key",
    "session_secret",
    "urls",
    "oauth_client_secret",
}  # urls: Apprise


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """The validated configuration from ``path`` (else $BOOKRELAY_CONFIG, else ./bookrelay.yaml)
    and the environment; raises ConfigError listing every problem."""
    with _collector_paused():
        config, problems = _load(path, os.environ if env is None else env)
    if problems or config is None:
        listing = "\n".join(f"  {p}" for p in problems)
        raise ConfigError(redact(f"the configuration has {len(problems)} problem(s):\n{listing}"))
    return config


def check_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> list[ConfigProblem]:
    """Every problem of the configuration (empty when it is valid)."""
    with _collector_paused():
        return _load(path, os.environ if env is None else env)[1]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading allocates a few objects per line and frees none of them until it ends; with thousands of
    users the cycle collector's passes over them cost more than the loading itself (10,000 users:
    2.4 s of CPU with it, 0.9 s without), and there are no cycles for it to find (a recursive alias is
    refused), so it waits until the load is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(path: Path | None, env: Mapping[str, str]) -> tuple[Config | None, list[ConfigProblem]]:
    env = {k: v for k, v in env.items() if v.strip()}  # `KEY=` in compose files means unset
    chosen = path or (Path(env["BOOKRELAY_CONFIG"]) if "BOOKRELAY_CONFIG" in env else None)
    file_name = str(chosen or DEFAULT_PATH)
    problems: list[ConfigProblem] = []
    source = _Source(file_name, {}, {}, {})
    target = chosen or DEFAULT_PATH
    if target.is_file():
        text, problems = read_config_text(target, file_name)
        if text is None:
            return None, problems
        parsed, problems = parse_yaml(text, file_name)
        if parsed is None:
            return None, problems
        source = parsed
        foreign = detect_foreign(source.data)
        if foreign is not None:
            # Another tool's file: its keys are all "unknown" to bookrelay; the one useful line is how
            # to convert it, given first.
            hint = f"this is a {foreign}: run `bookrelay config import {file_name}` to write a bookrelay.yaml"
            problems.append(ConfigProblem(file_name, None, "(top level)", hint))
        _anchor_paths(source, target.parent)
    elif chosen is not None:
        return None, [ConfigProblem(file_name, None, "", missing_file_message(chosen))]
    overlay_env(source, env)
    _register_secrets(source.data)
    problems += _duplicate_user_ids(source)
    problems += _per_user_checks(source)
    config: Config | None = None
    try:
        config = Config.model_validate(source.data)
        problems += _key_file_checks(source, config)
    except ValidationError as exc:
        problems += [_problem(source, err) for err in exc.errors(include_input=False, include_url=False)]
    if config is not None:
        problems += _job_checks(source, config)
        config._origins.update(_origins(source))
    if source.data.get("users") in (None, []):
        problems.append(_at(source, ("users",), _no_users_message(target)))
    unique = list(dict.fromkeys(problems))  # a check may be made both on raw data and by the model
    unique.sort(key=lambda p: (p.file == ENVIRONMENT, p.line or 0))
    return (config if not unique else None), unique


INIT_HINT = "run `bookrelay init` to write one (or set HARDCOVER_TOKEN for a single user)"


def missing_file_message(path: Path) -> str:
    """Why ``path`` cannot be read as the config file, with the next step; a folder is named as one,
    since a Docker bind mount of a file missing on the host creates an empty folder in its place."""
    if path.is_dir():
        return (
            "is a folder, not a file (a Docker bind mount of a file missing on the host makes a folder): "
            "write the file on the host first, e.g. with `bookrelay init --output bookrelay.yaml`"
        )
    return f"no configuration file here: {INIT_HINT}"


def _no_users_message(target: Path) -> str:
    if not target.is_file():
        return f"no configuration file ({target} not found) and no user in the environment: {INIT_HINT}"
    return "no users: add one to the file or set HARDCOVER_TOKEN"


def _anchor_paths(source: _Source, folder: Path) -> None:
    """Make a relative SQLite path and key file written in the file relative to the file's folder,
    not to the working folder (``cd / && bookrelay -c ~/br/bookrelay.yaml`` must find ~/br/data)."""
    glob = source.data.get("global")
    if not isinstance(glob, dict):
        return
    folder = folder.absolute()
    database = glob.get("database")
    if isinstance(database, str):
        with contextlib.suppress(ArgumentError, ValueError):
            if make_url(database).get_backend_name() == "sqlite":
                glob["database"] = resolve_database_url(database, base=folder)
    key_file = glob.get("secret_key_file")
    if isinstance(key_file, str) and key_file and not Path(key_file).expanduser().is_absolute():
        glob["secret_key_file"] = os.path.normpath(folder / key_file)


def zone_in_force(path: Path | None = None, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The global time zone and where it comes from ("$TIMEZONE", "file:line", "$TZ …", "default"),
    by the same precedence as loading: $TIMEZONE, then the file, then $TZ, then UTC."""
    environ = {k: v for k, v in (os.environ if env is None else env).items() if v.strip()}
    chosen = path or (Path(environ["BOOKRELAY_CONFIG"]) if "BOOKRELAY_CONFIG" in environ else DEFAULT_PATH)
    if "TIMEZONE" in environ:
        return environ["TIMEZONE"].strip(), "$TIMEZONE"
    if chosen.is_file():
        with contextlib.suppress(OSError, UnicodeDecodeError):
            parsed, _ = parse_yaml(chosen.read_text(encoding="utf-8"), str(chosen))
            glob = parsed.data.get("global") if parsed is not None else None
            zone = glob.get("timezone") if isinstance(glob, dict) else None
            if isinstance(zone, str) and parsed is not None:
                return zone, f"{chosen}:{parsed.lines.get(('global', 'timezone'), '?')}"
    if "TZ" in environ:
        return environ["TZ"].strip().removeprefix(":"), "$TZ (the file sets no global.timezone)"
    return "UTC", "default (no global.timezone, $TIMEZONE or $TZ)"


def _register_secrets(data: Any) -> None:
    """Register every secret-looking value before validation, so no message can leak one."""
    if isinstance(data, dict):
        for name, value in data.items():
            if name in _SECRET_LEAVES:
                _register_all(value)
            elif name == "database" and isinstance(value, str):
                with contextlib.suppress(ArgumentError):
                    register_secret(make_url(value).password)
            else:
                _register_secrets(value)
    elif isinstance(data, list):
        for item in data:
            _register_secrets(item)


def _register_all(value: Any) -> None:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            _register_all(item)
    elif isinstance(value, str | int | float):
        register_secret(str(value))


def _duplicate_user_ids(source: _Source) -> list[ConfigProblem]:
    users = source.data.get("users")
    if not isinstance(users, list):
        return []
    seen: set[str] = set()
    problems = []
    for i, user in enumerate(users):
        user_id = user.get("id") if isinstance(user, dict) else None
        if isinstance(user_id, str):
            if user_id in seen:
                problems.append(_at(source, ("users", i, "id"), f"duplicate user id {user_id!r}"))
            seen.add(user_id)
    return problems


def _per_user_checks(source: _Source) -> list[ConfigProblem]:
    """Checks across sections, run on the raw data so they are reported alongside type errors."""
    users = source.data.get("users")
    if not isinstance(users, list):
        return []
    glob = source.data.get("global")
    raw_sync = glob.get("sync", {}) if isinstance(glob, dict) else {}
    try:
        base = SyncSettings.model_validate(raw_sync)
    except ValidationError:
        base = SyncSettings()  # its own problems are reported by the main validation
    problems = []
    for i, user in enumerate(users):
        if not isinstance(user, dict):
            continue
        abs_account = user.get("audiobookshelf")
        if isinstance(abs_account, dict) and not (
            abs_account.get("api_key") or (abs_account.get("username") and abs_account.get("password"))
        ):
            problems.append(_at(source, ("users", i, "audiobookshelf"), NEEDS_ABS_CREDENTIALS))
        override = user.get("sync")
        if not isinstance(override, dict):
            continue
        try:
            changes = SyncOverride.model_validate(override).model_dump(exclude_none=True)
            SyncSettings.model_validate({**base.model_dump(), **changes})
        except ValidationError as exc:
            if all(err["loc"] == () for err in exc.errors()):
                problems += [_at(source, ("users", i, "sync"), _message(err)) for err in exc.errors()]
    return problems


def _job_checks(source: _Source, config: Config) -> list[ConfigProblem]:
    """A job switched on without what it needs, as a problem of the key that switched it on or the user."""
    return [_at(source, problem.key, problem.message) for problem in job_problems(config)]


def _key_file_checks(source: _Source, config: Config) -> list[ConfigProblem]:
    """The key file's problems, when the key comes from a file (no secret_key in the file or env)."""
    glob = config.global_
    if glob.secret_key is not None:
        return []
    key = ("global", "secret_key_file")
    written_out = key in source.lines or key in source.env_names
    if written_out and glob.secret_key_file.expanduser().parent == _store_folder(config):
        written_out = False  # beside the SQLite store, whose folder bookrelay makes: no typing error
    problem = key_file_problem(glob.secret_key_file, written_out=written_out)
    return [_at(source, key, problem)] if problem else []


def _store_folder(config: Config) -> Path | None:
    """The folder of the SQLite store (made on first use), or ``None`` for another database."""
    url = make_url(config.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).parent


def _problem(source: _Source, err: Any) -> ConfigProblem:
    return _at(source, _key_in_data(source.data, err["loc"]), _message(err))


def _key_in_data(data: Any, loc: tuple[str | int, ...]) -> Key:
    """The part of a pydantic error location that names keys of the data (drops union branch tags)."""
    key: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            key.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            key.append(part)
            node = node[part]
        else:
            break
    return tuple(key)


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown key"
    message = str(err["msg"]).removeprefix("Value error, ")
    return redact(message)


_NAMED_SECRETS = {("hardcover", "token"), ("audiobookshelf", "api_key")}


def _origins(source: _Source) -> dict[str, str]:
    """Every key the environment set, and every user's token and API key, with where it was set."""
    origins = {_dotted(key): f"${name}{origin_note(name)}" for key, name in source.env_names.items() if key}
    for key, line in source.lines.items():
        if len(key) == 4 and key[0] == "users" and key[2:] in _NAMED_SECRETS:
            origins.setdefault(_dotted(key), f"{_dotted(key)} in {source.file}:{line}")
    return origins


def _at(source: _Source, key: Key, message: str) -> ConfigProblem:
    names = env_names_for(key)
    if message == "is required" and names and key not in source.env_names and ("users",) in source.env_names:
        # A user made from the environment lacks a value: name the variable that gives it, not the one
        # that made the user.
        alternatives = f" (or ${' or $'.join(names[1:])})" if names[1:] else ""
        return ConfigProblem(ENVIRONMENT, None, _dotted(key), f"{message}: set ${names[0]}{alternatives}")
    for end in range(len(key), -1, -1):
        prefix = key[:end]
        if prefix in source.env_names:
            return ConfigProblem(
                ENVIRONMENT,
                None,
                _dotted(key),
                f"{message} (from ${source.env_names[prefix]}{origin_note(source.env_names[prefix])})",
            )
        if prefix in source.lines:
            return ConfigProblem(source.file, source.lines[prefix], _dotted(key), message)
    return ConfigProblem(source.file, None, _dotted(key), message)
