"""The environment's part of the configuration: which variables set which keys (``HARDCOVER_TOKEN``,
``ABS_URL``, ``DATABASE_URL``, the Audible auto-tracker's names, …) and how they are laid over the file's
data, each key remembering the variable that set it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bookrelay.config.yaml_file import Key
from bookrelay.config.yaml_file import Source as _Source

# (path inside global, env names in order of preference)
GLOBAL_ENV: tuple[tuple[Key, tuple[str, ...]], ...] = (
    (("timezone",), ("TIMEZONE", "TZ")),
    (("hardcover", "url"), ("HARDCOVER_URL",)),
    (("hardcover", "oauth_client_id"), ("HARDCOVER_CLIENT_ID",)),
    (("hardcover", "oauth_client_secret"), ("HARDCOVER_CLIENT_SECRET",)),
    (("hardcover", "oauth_redirect_uri"), ("HARDCOVER_REDIRECT_URI",)),
    (("bookshelf", "url"), ("BOOKSHELF_URL",)),
    (("bookshelf", "api_key"), ("BOOKSHELF_API_KEY",)),
    (("rreading_glasses", "url"), ("RREADING_GLASSES_URL",)),
    # ENCRYPTION_KEY, API_SECRET and PORT are the Audible auto-tracker's names for the same settings.
    (("secret_key",), ("BOOKRELAY_SECRET_KEY", "ENCRYPTION_KEY")),
    (("server", "api_key"), ("BOOKRELAY_API_KEY", "API_SECRET")),
    (("server", "port"), ("BOOKRELAY_PORT", "PORT")),
    (("server", "password"), ("BOOKRELAY_WEB_PASSWORD",)),
)


USER_ENV: tuple[tuple[Key, tuple[str, ...]], ...] = (
    (("hardcover", "token"), ("HARDCOVER_TOKEN", "HARDCOVER_API_KEY")),
    (("audiobookshelf", "url"), ("ABS_URL", "AUDIOBOOKSHELF_URL")),
    (("audiobookshelf", "api_key"), ("ABS_TOKEN", "AUDIOBOOKSHELF_API_KEY")),
    (("audiobookshelf", "username"), ("ABS_USERNAME",)),
    (("audiobookshelf", "password"), ("ABS_PASSWORD",)),
    (("audible", "locale"), ("AUDIBLE_LOCALE",)),
)


def overlay_env(source: _Source, env: Mapping[str, str]) -> None:
    """Put the values the environment sets into the file's data, noting each key's variable; with no user
    in the file, the user variables make one (id ``default``)."""
    data = source.data
    glob = data.setdefault("global", {})
    if isinstance(glob, dict):
        database = _database_from_env(env)
        if database is not None:
            glob["database"], name = database
            source.env_names[("global", "database")] = name
        for path, names in GLOBAL_ENV:
            _set_from_env(source, glob, ("global",), path, names, env)
        hardcover = glob.get("hardcover")
        if "HARDCOVER_CLIENT_ID" in env and isinstance(hardcover, dict) and "auth" not in hardcover:
            # The scrobbler design's variables mean "sign in with OAuth"; a file's explicit auth wins.
            hardcover["auth"] = "oauth"
            source.env_names[("global", "hardcover", "auth")] = "HARDCOVER_CLIENT_ID"
    present = [name for _, names in USER_ENV for name in names if name in env]
    if not present:
        return
    users = data.get("users")
    if users is None or users == []:
        # Environment alone configures one user when the file names none.
        users = data["users"] = [{"id": "default"}]
        source.env_names[("users",)] = present[0]
    if isinstance(users, list) and len(users) == 1 and isinstance(users[0], dict):
        for path, names in USER_ENV:
            _set_from_env(source, users[0], ("users", 0), path, names, env)


def _database_from_env(env: Mapping[str, str]) -> tuple[str, str] | None:
    if "DATABASE_URL" in env:
        return env["DATABASE_URL"].strip(), "DATABASE_URL"
    if "DATABASE_PATH" in env:
        return f"sqlite:///{env['DATABASE_PATH'].strip()}", "DATABASE_PATH"
    return None


def _set_from_env(
    source: _Source,
    base: dict[str, Any],
    prefix: Key,
    path: Key,
    names: tuple[str, ...],
    env: Mapping[str, str],
) -> None:
    name = next((n for n in names if n in env), None)
    if name is None:
        return
    value = env[name].strip()
    if name == "TZ":
        if base.get(str(path[-1])) is not None:
            return  # TZ is the container's zone, not a choice for bookrelay: the file's timezone wins
        value = value.removeprefix(":")  # POSIX allows TZ=":Europe/Berlin"
    node: Any = base
    for part in path[:-1]:
        if node.get(part) is None:
            node[part] = {}
            source.env_names.setdefault((*prefix, *path[: path.index(part) + 1]), name)
        node = node[part]
        if not isinstance(node, dict):
            return  # the file has a wrong type here; validation reports it
    node[path[-1]] = value
    source.env_names[(*prefix, *path)] = name


def env_names_for(key: Key) -> tuple[str, ...]:
    """The variables that set ``key`` (or a key below it) of a user made from the environment."""
    if len(key) < 3 or key[:2] != ("users", 0):
        return ()
    inside = key[2:]
    return next((names for path, names in USER_ENV if path[: len(inside)] == inside), ())
