"""Configuration and the store: where the config file is, loading and checking it, opening
(and migrating) the store; the argument helpers every front-end function shares."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy.engine import make_url

from bookrelay.config import (
    Config,
    ConfigProblem,
    check_config,
    load_config,
    missing_file_message,
    zone_in_force,
)
from bookrelay.config.dotenv import apply_dotenv, dotenv_paths
from bookrelay.config.jobs import JobChoice, job_choices, jobs_for
from bookrelay.config.loader import INIT_HINT
from bookrelay.domain.models import Source
from bookrelay.errors import ConfigError
from bookrelay.store.crypto import load_or_create_key
from bookrelay.store.db import create_engine_for, current_revision, upgrade
from bookrelay.store.facade import Store

if TYPE_CHECKING:
    from sqlalchemy import Engine


def config_path(path: Path | None, env: Mapping[str, str] | None = None) -> Path | None:
    """The config file: ``--config``, else ``BOOKRELAY_CONFIG``, else ``./bookrelay.yaml`` if present."""
    environ = os.environ if env is None else env
    if path is not None:
        return path
    if environ.get("BOOKRELAY_CONFIG"):
        return Path(environ["BOOKRELAY_CONFIG"])
    default = Path("bookrelay.yaml")
    return default if default.exists() else None


_USER_FROM_ENV = ("HARDCOVER_TOKEN", "HARDCOVER_API_KEY")


def _readable_config(path: Path | None) -> Path | None:
    """The config file to read; a clear ConfigError, suggesting ``bookrelay init``, when there is
    none (and the environment configures no user either) or when it is a folder."""
    apply_dotenv(dotenv_paths(None))  # ./.env first: it may name the config file ($BOOKRELAY_CONFIG)
    chosen = config_path(path)
    if chosen is not None:
        apply_dotenv(dotenv_paths(chosen))
    if chosen is not None and not chosen.is_file():
        raise ConfigError(missing_file_message(chosen), place=str(chosen))
    if chosen is None and not any(os.environ.get(name, "").strip() for name in _USER_FROM_ENV):
        raise ConfigError(
            "no configuration file (none given with --config or $BOOKRELAY_CONFIG, no ./bookrelay.yaml) "
            f"and no user in the environment: {INIT_HINT}"
        )
    return chosen


def check_configuration(path: Path | None) -> tuple[list[ConfigProblem], str]:
    """Every problem of the configuration, and a description of where it came from."""
    chosen = _readable_config(path)
    problems = check_config(chosen, os.environ)
    return problems, str(chosen) if chosen else "environment variables"


def job_overview(config: Config) -> list[tuple[str, list[JobChoice]]]:
    """Per user of a valid configuration, every job with whether it runs and why."""
    return [(user.id, job_choices(config, user)) for user in config.users]


def time_zone_report(path: Path | None) -> str:
    """Which global time zone is in force and where it was set, for ``config check``."""
    chosen = config_path(path)
    apply_dotenv(dotenv_paths(chosen))
    zone, origin = zone_in_force(chosen, os.environ)
    return f"time zone {zone} (from {origin})"


def load_settings(path: Path | None) -> Config:
    """The validated configuration; ConfigError lists every problem."""
    chosen = _readable_config(path)
    return load_config(chosen, os.environ)


def secret_key_for(config: Config) -> bytes:
    """The Fernet key for stored credentials (env BOOKRELAY_SECRET_KEY, else the key file, created 0600)."""
    env = dict(os.environ)
    if config.global_.secret_key is not None and "BOOKRELAY_SECRET_KEY" not in env:
        env["BOOKRELAY_SECRET_KEY"] = config.global_.secret_key.get_secret_value()
    return load_or_create_key(env, config.global_.secret_key_file)


def open_store(config: Config) -> Store:
    """The store named by the configuration, migrated to the newest revision."""
    return Store.open(config.database_url, secret_key=secret_key_for(config))


@contextlib.contextmanager
def store_for(config: Config, store: Store | None) -> Iterator[Store]:
    """The store a caller lent, or one opened for the length of the ``with`` and closed after it."""
    if store is not None:
        yield store
        return
    opened = open_store(config)
    try:
        yield opened
    finally:
        opened.close()


def upgrade_database(config: Config) -> tuple[str, str | None]:
    """Run the migrations; returns the database URL (password hidden) and the revision it is now at."""
    url = config.database_url
    engine = create_engine_for(url)
    try:
        upgrade(engine)
        revision = current_revision(engine)
        if config.global_.queue == "postgres":
            apply_queue_schema(engine)
    finally:
        engine.dispose()
    return make_url(url).render_as_string(hide_password=True), revision


# "Which user" when --user is not given, named by each command: "only" (the only configured user; with
# several, --user is needed) or "every" (every configured user, or every one a given job runs for).
UserDefault = Literal["only", "every"]


def single_user(config: Config, user_id: str | None) -> str:
    """The user a one-user command acts for: ``user_id`` when given, else the only configured user;
    ConfigError when there are several."""
    return chosen_users(config, user_id, default="only")[0]


def chosen_users(
    config: Config,
    user_id: str | None,
    *,
    default: UserDefault,
    job: str | None = None,
    all_users: bool | None = None,
    required: bool = True,
) -> list[str]:
    """The ids a command acts for: the user ``user_id`` names, else the command's ``default`` (for
    "every", only those ``job`` runs for when given); ``all_users`` is the command's --all-users (None
    when it has none), which asks for every user; ConfigError when no user is configured and the
    command ``required`` one."""
    if all_users and user_id:
        raise ConfigError("give --user or --all-users, not both", place="arguments")
    if user_id:
        return [config.user(user_id).id]
    if default == "only" and not all_users:
        if len(config.users) == 1:
            return [config.users[0].id]
        also = "" if all_users is None else " or --all-users"
        raise ConfigError(f"several users are configured: give --user ID{also}", place="arguments")
    if not config.users and required:
        raise ConfigError("no users configured", place="users")
    if job is None:
        return [u.id for u in config.users]
    return [u.id for u in config.users if job in jobs_for(config, u)]


def _source(name: str) -> str:
    try:
        return Source(name).value
    except ValueError:
        raise ConfigError(f"unknown source {name!r} (abs or audible)", place="--source") from None


def apply_queue_schema(engine: Engine) -> bool:
    """Create procrastinate's tables in the store's PostgreSQL database when missing (idempotent)."""
    # procrastinate and psycopg: only a PostgreSQL queue needs them
    from bookrelay.queue.schema import apply_queue_schema as apply

    return apply(engine)
