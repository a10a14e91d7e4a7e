"""The shape of bookrelay's configuration: pydantic models that reject unknown keys and bad values.

Secrets are :class:`pydantic.SecretStr` so that ``str``/``repr`` never show them; the loader in
:mod:`bookrelay.config.loader` registers them with :mod:`bookrelay.redact` as well.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from sqlalchemy.engine import make_url

from bookrelay.config.bounds import (
    AudibleDailyCap,
    AudibleIntervalMinutes,
    AudiblePerMinute,
    Burst,
    ChangeSeconds,
    ChunkSize,
    Daily,
    FinishFraction,
    Fraction,
    PerMinute,
    ProfileId,
    TtlHours,
    Workers,
)
from bookrelay.config.fields import (
    DatabaseUrl,
    DirectionName,
    HttpUrl,
    TimeZoneName,
    resolve_database_url,
)
from bookrelay.config.keyfile import NOT_A_FERNET_KEY, as_fernet_key, is_fernet_key
from bookrelay.config.serving import (
    NotifySettings,
    RealtimeSettings,
    ScheduleOverride,
    ScheduleSettings,
    ServerSettings,
)
from bookrelay.config.serving import Section as _Section
from bookrelay.errors import ConfigError
from bookrelay.http_defaults import HARDCOVER_OAUTH_URL, HARDCOVER_URL

MASK = "***"
_BEARER = re.compile(r"(?i)^bearer(?:\s+|$)")
NEEDS_ABS_CREDENTIALS = "needs api_key, or both username and password"


RespectedStatus = Literal["paused", "did_not_finish", "ignored"]
UserId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ConflictRuleName = Literal["newer", "hardcover", "local"]


class SyncSettings(_Section):
    """Thresholds of the progress rules (P3, P4, P5, P6, P8) and of matching (M4)."""

    min_progress: Fraction = 0.05
    min_change: Fraction = 0.01
    min_change_seconds: ChangeSeconds = 60
    finish_at: FinishFraction = 0.95
    allow_backwards: bool = False
    respect_statuses: tuple[RespectedStatus, ...] = ("paused", "did_not_finish", "ignored")
    unmatched_ttl_hours: TtlHours = 168
    fuzzy_link_score: Fraction = 0.85
    fuzzy_conflict_score: Fraction = 0.6
    # M5: an audiobook whose book has no audio edition with a length gets page progress on a paged
    # edition (seed 001's "converts percentage to page number"), or a conflict when asked.
    no_audio_edition: Literal["pages", "conflict"] = "pages"
    # Items matched, planned, written and recorded together: bounds a run's memory on large libraries.
    # Hardcover takes 100 values per ``_in`` filter, so a chunk's identifier batches are nearly full; the
    # batches split across chunks cost about 0.5 % more units on a 10,000-item first sync than one chunk.
    chunk_size: ChunkSize = 100

    @model_validator(mode="after")
    def _ordered(self) -> SyncSettings:
        if self.min_progress >= self.finish_at:
            raise ValueError("min_progress must be below finish_at")
        if self.fuzzy_conflict_score > self.fuzzy_link_score:
            raise ValueError("fuzzy_conflict_score must not exceed fuzzy_link_score")
        return self


class SyncOverride(_Section):
    """A user's overrides of :class:`SyncSettings`; ``None`` keeps the global value."""

    min_progress: Fraction | None = None
    min_change: Fraction | None = None
    min_change_seconds: ChangeSeconds | None = None
    finish_at: FinishFraction | None = None
    allow_backwards: bool | None = None
    respect_statuses: tuple[RespectedStatus, ...] | None = None
    unmatched_ttl_hours: TtlHours | None = None
    fuzzy_link_score: Fraction | None = None
    fuzzy_conflict_score: Fraction | None = None
    no_audio_edition: Literal["pages", "conflict"] | None = None


class JobsSettings(_Section):
    """Which jobs run: true or false, or unset (``None``) to follow what is configured
    (:mod:`bookrelay.config.jobs`)."""

    progress: bool | None = None
    wanted: bool | None = None
    enrich: bool | None = None
    scrobble: bool | None = None


class HardcoverSettings(_Section):
    """Where Hardcover is, its per-token budget (N1) and how users authenticate (pat or oauth)."""

    url: HttpUrl = HARDCOVER_URL
    per_minute: PerMinute = 60
    burst: Burst = 10
    daily: Daily = 5000
    auth: Literal["pat", "oauth"] = "pat"
    oauth_client_id: str | None = None  # env HARDCOVER_CLIENT_ID
    oauth_client_secret: SecretStr | None = None  # env HARDCOVER_CLIENT_SECRET: a confidential app's
    # Where hardcover.app sends the browser back after Connect (env HARDCOVER_REDIRECT_URI): this server's
    # /api/v1/integrations/hardcover/callback as the browser reaches it.
    oauth_redirect_uri: HttpUrl | None = None
    oauth_url: HttpUrl = HARDCOVER_OAUTH_URL


class ConflictRules(_Section):
    """Who wins per feature when both sides changed since the last run (S11)."""

    progress: ConflictRuleName = "newer"
    status: ConflictRuleName = "newer"
    dates: ConflictRuleName = "newer"
    rating: ConflictRuleName = "newer"
    owned: ConflictRuleName = "newer"
    lists: ConflictRuleName = "newer"


class DirectionSettings(_Section):
    """Which way each feature flows (S10); owned and lists are opt-in, progress back to ABS too."""

    progress: DirectionName = "to_hardcover"
    status: DirectionName = "both"
    dates: DirectionName = "both"
    rating: DirectionName = "both"
    owned: DirectionName = "off"
    lists: DirectionName = "off"
    on_conflict: ConflictRules = ConflictRules()


class DirectionOverride(_Section):
    """A user's overrides of :class:`DirectionSettings`; ``None`` keeps the global value."""

    progress: DirectionName | None = None
    status: DirectionName | None = None
    dates: DirectionName | None = None
    rating: DirectionName | None = None
    owned: DirectionName | None = None
    lists: DirectionName | None = None
    on_conflict: dict[str, ConflictRuleName] | None = None


class BookshelfSettings(_Section):
    """The Bookshelf (Readarr fork) instance the wanted job adds books to."""

    url: HttpUrl = "http://bookshelf:8787"
    api_key: SecretStr | None = None
    root_folder: str | None = None
    quality_profile: ProfileId | str | None = None
    metadata_profile: ProfileId | str | None = None
    search_on_add: bool = True
    unmonitor_removed: bool = False  # books that leave Want to Read unread are unmonitored


class RreadingGlassesSettings(_Section):
    """The rreading-glasses metadata server."""

    url: HttpUrl = "http://rreading-glasses:8080"


AudibleLocale = Literal["us", "uk", "de", "fr", "ca", "it", "au", "in", "jp", "es", "br"]


class AudibleSettings(_Section):
    """Where Audible's API is (None: Amazon's own hosts; the sandbox sets its address) and the limits
    bookrelay keeps per user, enforced by the store across processes."""

    url: HttpUrl | None = None
    min_interval_minutes: AudibleIntervalMinutes = 15
    daily_cap: AudibleDailyCap = 600
    requests_per_minute: AudiblePerMinute = 10  # the Audible auto-tracker's pace, within one sync


class GlobalSettings(_Section):
    """Settings shared by every user."""

    timezone: TimeZoneName = "UTC"
    # repr=False: a PostgreSQL URL may carry a password; redacted_dict() shows it masked.
    database: DatabaseUrl = Field("sqlite:///./data/bookrelay.db", repr=False)
    secret_key_file: Path = Path("./data/secret.key")
    secret_key: SecretStr | None = None  # normally from BOOKRELAY_SECRET_KEY
    workers: Workers = 3
    # inprocess: `serve` runs jobs itself; postgres: jobs go to the procrastinate queue (docs/scale-out.md)
    queue: Literal["inprocess", "postgres"] = "inprocess"
    jobs: JobsSettings = JobsSettings()
    sync: SyncSettings = SyncSettings()
    hardcover: HardcoverSettings = HardcoverSettings()
    directions: DirectionSettings = DirectionSettings()
    bookshelf: BookshelfSettings = BookshelfSettings()
    rreading_glasses: RreadingGlassesSettings = RreadingGlassesSettings()
    audible: AudibleSettings = AudibleSettings()
    server: ServerSettings = ServerSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    realtime: RealtimeSettings = RealtimeSettings()
    notify: NotifySettings = NotifySettings()

    @field_validator("secret_key")
    @classmethod
    def _fernet_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Checked here so that `config check` refuses a key that the store would refuse later.
        if value is None:
            return None
        key = as_fernet_key(value.get_secret_value())
        if not is_fernet_key(key):
            raise ValueError(NOT_A_FERNET_KEY)
        return SecretStr(key)


class HardcoverAccount(_Section):
    """A user's Hardcover token, stored without any "Bearer " prefix (none with ``auth: oauth``)."""

    token: SecretStr | None = None

    @field_validator("token")
    @classmethod
    def _strip_bearer(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = _BEARER.sub("", value.get_secret_value().strip()).strip()
        if not raw:
            raise ValueError("is empty")
        return SecretStr(raw)


class LibraryFilter(_Section):
    """Audiobookshelf libraries to include (empty: all) and to exclude, by id or name."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


class AudiobookshelfAccount(_Section):
    """A user's Audiobookshelf server and credentials: an API key, or a username and password."""

    url: HttpUrl
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    libraries: LibraryFilter = LibraryFilter()

    @model_validator(mode="after")
    def _has_credentials(self) -> AudiobookshelfAccount:
        if self.api_key is None and (not self.username or self.password is None):
            raise ValueError(NEEDS_ABS_CREDENTIALS)
        return self


class AudibleAccount(_Section):
    """A user's Audible marketplace; the login itself is stored encrypted (`bookrelay audible login`)."""

    locale: AudibleLocale = "us"
    enabled: bool = True


class UserConfig(_Section):
    """One person whose books bookrelay syncs."""

    id: UserId
    timezone: TimeZoneName | None = None
    hardcover: HardcoverAccount  # with global.hardcover.auth oauth: `hardcover: {}`
    audiobookshelf: AudiobookshelfAccount | None = None
    audible: AudibleAccount | None = None
    sync: SyncOverride = SyncOverride()
    schedule: ScheduleOverride = ScheduleOverride()
    directions: DirectionOverride = DirectionOverride()


class Config(_Section):
    """The whole, validated configuration; build it with :func:`bookrelay.config.load_config`."""

    global_: GlobalSettings = Field(default_factory=GlobalSettings, alias="global")
    users: tuple[UserConfig, ...] = ()
    # Where values were set, by dotted key ("$HARDCOVER_TOKEN", "users[1].hardcover.token in
    # bookrelay.yaml:12"), filled by the loader, so that a message about a value names its real place.
    _origins: dict[str, str] = PrivateAttr(default_factory=dict)

    def origin_of(self, key: str, default: str) -> str:
        """Where the value at dotted ``key`` was set, or ``default`` when the loader did not say."""
        return self._origins.get(key, default)

    def hardcover_token_name(self, user_id: str) -> str:
        """How messages name this user's Hardcover token: its variable or its key in the file."""
        return self._user_key_name(user_id, "hardcover.token")

    def abs_key_name(self, user_id: str) -> str:
        """How messages name this user's Audiobookshelf API key: its variable or its key in the file."""
        return self._user_key_name(user_id, "audiobookshelf.api_key")

    def _user_key_name(self, user_id: str, leaf: str) -> str:
        index = next((i for i, u in enumerate(self.users) if u.id == user_id), 0)
        key = f"users[{index}].{leaf}"
        return self.origin_of(key, key)

    @model_validator(mode="after")
    def _queue_needs_postgresql(self) -> Config:
        backend = make_url(self.global_.database).get_backend_name()
        if self.global_.queue == "postgres" and backend != "postgresql":
            raise ValueError("global.queue: postgres needs a postgresql:// global.database")
        return self

    @model_validator(mode="after")
    def _hardcover_credentials(self) -> Config:
        hc = self.global_.hardcover
        if hc.auth == "oauth" and not (hc.oauth_client_id or "").strip():
            raise ValueError("global.hardcover.oauth_client_id is needed when global.hardcover.auth is oauth")
        for i, user in enumerate(self.users):
            if hc.auth == "pat" and user.hardcover.token is None:
                raise ValueError(f"users[{i}].hardcover.token is needed (global.hardcover.auth is pat)")
            unknown = sorted(set(user.directions.on_conflict or {}) - set(ConflictRules.model_fields))
            if unknown:
                raise ValueError(f"users[{i}].directions.on_conflict: unknown feature {', '.join(unknown)}")
        return self

    def effective_directions(self, user: UserConfig | str) -> DirectionSettings:
        """The global directions with the user's overrides applied (S10)."""
        found = self.user(user) if isinstance(user, str) else user
        override = found.directions.model_dump(exclude_none=True)
        rules = {**self.global_.directions.on_conflict.model_dump(), **override.pop("on_conflict", {})}
        merged = {**self.global_.directions.model_dump(), **override, "on_conflict": rules}
        return DirectionSettings.model_validate(merged)

    def user(self, user_id: str) -> UserConfig:
        """The user with this id; raises ConfigError when there is none."""
        for user in self.users:
            if user.id == user_id:
                return user
        known = ", ".join(u.id for u in self.users) or "none"
        raise ConfigError(f"no user {user_id!r} in the configuration (users: {known})", place="users")

    def effective_sync(self, user: UserConfig | str) -> SyncSettings:
        """The global sync settings with the user's overrides applied."""
        found = self.user(user) if isinstance(user, str) else user
        merged = {**self.global_.sync.model_dump(), **found.sync.model_dump(exclude_none=True)}
        return SyncSettings.model_validate(merged)

    def schedule_for(self, user: UserConfig | str, job: str) -> str:
        """The schedule of one job for one user: the user's own, else the global one."""
        found = self.user(user) if isinstance(user, str) else user
        own = getattr(found.schedule, job, None)
        return str(own if own is not None else getattr(self.global_.schedule, job))

    def timezone_for(self, user: UserConfig | str) -> ZoneInfo:
        """The time zone that calendar dates of this user are taken in (P10)."""
        found = self.user(user) if isinstance(user, str) else user
        return ZoneInfo(found.timezone or self.global_.timezone)

    @property
    def database_url(self) -> str:
        """The database URL ready for SQLAlchemy: absolute SQLite path, psycopg 3 driver for PostgreSQL."""
        return resolve_database_url(self.global_.database)

    def redacted_dict(self) -> dict[str, Any]:
        """The whole configuration as plain JSON-ready data with every secret shown as "***"."""
        data = _plain(self.model_dump(by_alias=True))
        data["global"]["database"] = make_url(self.database_url).render_as_string(hide_password=True)
        return data


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
