"""The settings of service mode (``bookrelay serve``): when each job runs, the real-time trigger,
notifications, and where the API and web page listen and how they are signed in to.

Also the base of every section of the configuration (:class:`Section`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr

from bookrelay.config.bounds import DebounceSeconds, PollSeconds, Port
from bookrelay.config.fields import ProxyAddress, ScheduleSpec


class Section(BaseModel):
    """A section of the configuration: unknown keys are errors, values never change once loaded."""

    # allow_inf_nan=False: `.inf`, `1e400` and `.nan` are numbers to YAML, never sensible settings.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


NotifyEvent = Literal["failed_run", "new_conflicts", "added_to_bookshelf", "finished_book"]
DEFAULT_SCHEDULE = "0 3 * * *"


class ScheduleSettings(Section):
    """When each job runs in service mode, in the user's time zone: cron, ``every 2h``, or ``off``."""

    progress: ScheduleSpec = DEFAULT_SCHEDULE
    wanted: ScheduleSpec = DEFAULT_SCHEDULE
    enrich: ScheduleSpec = DEFAULT_SCHEDULE
    scrobble: ScheduleSpec = DEFAULT_SCHEDULE


class ScheduleOverride(Section):
    """A user's own schedule per job; ``None`` keeps the global one."""

    progress: ScheduleSpec | None = None
    wanted: ScheduleSpec | None = None
    enrich: ScheduleSpec | None = None
    scrobble: ScheduleSpec | None = None


class RealtimeSettings(Section):
    """The real-time trigger of ``serve``: Audiobookshelf socket.io events, or polling with an API key."""

    enabled: bool = True
    debounce_seconds: DebounceSeconds = 60
    poll_seconds: PollSeconds = 300


class NotifySettings(Section):
    """Apprise URLs (they carry secrets: masked everywhere) and the events that send a message."""

    urls: tuple[SecretStr, ...] = ()
    on: tuple[NotifyEvent, ...] = ("failed_run", "new_conflicts", "added_to_bookshelf", "finished_book")


class ServerSettings(Section):
    """``bookrelay serve``: where it listens and how the API and web page are signed in to (S2)."""

    host: str = "127.0.0.1"
    port: Port = 8080
    api_key: SecretStr | None = None  # env BOOKRELAY_API_KEY; sent as X-Api-Key (or X-API-Secret)
    password: SecretStr | None = None  # env BOOKRELAY_WEB_PASSWORD; web sign-in besides the API key
    session_secret: SecretStr | None = None  # signs the session cookie; random per process when unset
    # auto: the session cookie is Secure when the page came over HTTPS, directly or as a trusted proxy
    # says with X-Forwarded-Proto; always: for a proxy that terminates TLS and says nothing.
    secure_cookie: Literal["auto", "always", "never"] = "auto"
    # Proxies whose X-Forwarded-For/-Proto are believed (addresses or networks; "*" for any).
    trusted_proxies: tuple[ProxyAddress, ...] = ("127.0.0.1",)
