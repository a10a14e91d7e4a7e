"""Text settings that must mean something: service addresses, time zones, database URLs, proxy
addresses and schedules, each a pydantic type that checks its value and says what was expected."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bookrelay.config.bounds import MAX_INTERVAL_SECONDS
from bookrelay.schedule import check_schedule


def _check_http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value.strip().rstrip("/")


def _check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not a known IANA time zone name (like Europe/Berlin)") from None
    return value


def _check_database_url(value: str) -> str:
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError("is not a database URL (sqlite:///path or postgresql://user@host/db)") from None
    backend = url.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ValueError("must be a sqlite:/// or postgresql:// URL")
    if backend == "postgresql" and url.get_driver_name() not in {"psycopg", "psycopg2"}:
        # Only psycopg 3 is installed; a plain postgresql:// URL is mapped to it.
        raise ValueError("a postgresql URL may only name the psycopg driver")
    return value


def _check_proxy_address(value: str) -> str:
    if value.strip() == "*":
        return "*"
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError("is not an IP address or network (like 10.0.0.0/8), or *") from None


HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
ProxyAddress = Annotated[str, AfterValidator(_check_proxy_address)]
TimeZoneName = Annotated[str, AfterValidator(_check_time_zone)]
DatabaseUrl = Annotated[str, AfterValidator(_check_database_url)]


def _check_schedule(value: str) -> str:
    """A cron expression (5 fields), ``every <n><s|m|h|d>`` or ``off``: the grammar of bookrelay.schedule."""
    return check_schedule(value, MAX_INTERVAL_SECONDS)


ScheduleSpec = Annotated[str, AfterValidator(_check_schedule)]


def _direction_alias(value: object) -> object:
    """The scrobbler design's ``bidirectional`` is bookrelay's ``both``."""
    return "both" if isinstance(value, str) and value.strip() == "bidirectional" else value


DirectionName = Annotated[
    Literal["to_hardcover", "from_hardcover", "both", "off"], BeforeValidator(_direction_alias)
]


def resolve_database_url(url: str, base: Path | None = None) -> str:
    """``url`` with a relative SQLite path made absolute (from ``base``, else the working folder)
    and ``postgresql://`` mapped to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database).expanduser()
    if not path.is_absolute():
        path = (base or Path(os.getcwd())) / path
    return parsed.set(database=os.path.normpath(path)).render_as_string(hide_password=False)
