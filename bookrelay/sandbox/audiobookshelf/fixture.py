"""Parse the ``audiobookshelf`` section of the sandbox fixture into the fake's records.

The format is documented in ``docs/sandbox-audiobookshelf.md``. Every malformed value raises
``ValueError`` naming the key path (``audiobookshelf.libraries[0].items[2].duration``), so a typo in a
demo fixture is found at start-up, not as a strange answer later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

# Ids the fixture leaves out are derived from names, so a snapshot is stable between runs.
_NAMESPACE = uuid.UUID("6f1b7c1e-3f9e-4c55-9a43-0f5d3f8a2b10")
BASE_TIME_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: default timestamp of fixture records


def derived_id(*parts: object) -> str:
    """A stable UUID for a record the fixture did not give an id."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


@dataclass
class UserRec:
    """A user who can log in with a password or use the legacy token."""

    id: str
    username: str
    password: str
    type: str
    legacy_token: str
    is_active: bool = True
    created_at: int = BASE_TIME_MS


@dataclass
class ApiKeyRec:
    """An API key; ``key`` is the literal bearer value."""

    id: str
    name: str
    key: str
    user_id: str
    is_active: bool
    expires_at: int | None = None


@dataclass
class EpisodeRec:
    """A podcast episode."""

    id: str
    title: str
    duration: float
    index: int


@dataclass
class ItemRec:
    """A library item: a book (audio and/or ebook) or a podcast with episodes."""

    id: str
    library_id: str
    folder_id: str
    media_id: str
    media_type: str
    ino: str
    metadata: dict[str, Any]
    duration: float
    has_audio: bool
    ebook_format: str | None
    meta_tags: dict[str, str]
    added_at: int
    updated_at: int
    old_id: str | None = None
    episodes: list[EpisodeRec] = field(default_factory=list)
    size: int = 0


@dataclass
class LibraryRec:
    """A book or podcast library."""

    id: str
    name: str
    media_type: str
    folder_id: str
    display_order: int
    created_at: int = BASE_TIME_MS


@dataclass
class ProgressRec:
    """One MediaProgress row; ``progress`` is the stored ``extraData.progress``, never computed."""

    id: str
    user_id: str
    library_item_id: str
    media_item_id: str
    episode_id: str | None
    duration: float = 0.0
    progress: float = 0.0
    current_time: float = 0.0
    is_finished: bool = False
    hide_from_continue_listening: bool = False
    ebook_location: str | None = None
    ebook_progress: float = 0.0
    last_update: int = BASE_TIME_MS
    started_at: int = BASE_TIME_MS
    finished_at: int | None = None


@dataclass
class FixtureData:
    """The parsed fixture section, with the auth settings."""

    users: list[UserRec]
    api_keys: list[ApiKeyRec]
    libraries: list[LibraryRec]
    items: list[ItemRec]
    progress: list[ProgressRec]
    access_token_ttl: float = 3600.0
    refresh_token_ttl: float = 30 * 86400.0
    auth_rate_limit: int = 40
    auth_rate_window: float = 600.0
    server_version: str = "2.36.0"


_USER_TYPES = {"root", "admin", "user", "guest"}
_BOOK_META_STRINGS = ("subtitle", "publishedDate", "publisher", "description", "isbn", "asin", "language")


def _req(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], place: str) -> Any:
    if key not in obj:
        raise ValueError(f"{place}.{key}: missing")
    return _opt(obj, key, kind, place)


def _opt(
    obj: dict[str, Any], key: str, kind: type | tuple[type, ...], place: str, default: Any = None
) -> Any:
    value = obj.get(key, default)
    if value is None:
        return default
    # bool is an int in Python; a number field given true/false is still a typo
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ValueError(f"{place}.{key}: expected {_kind_name(kind)}, got a boolean")
    if not isinstance(value, kind):
        raise ValueError(f"{place}.{key}: expected {_kind_name(kind)}, got {type(value).__name__}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _list(obj: dict[str, Any], key: str, place: str) -> list[Any]:
    value = _opt(obj, key, list, place, [])
    assert isinstance(value, list)
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ValueError(f"{place}.{key}[{i}]: expected an object")
    return value


def parse_fixture(section: dict[str, Any]) -> FixtureData:
    """Turn the fixture section into records; raises ValueError naming the first bad key."""
    place = "audiobookshelf"
    if not isinstance(section, dict):
        raise ValueError(f"{place}: expected an object")
    users = [_parse_user(u, f"{place}.users[{i}]") for i, u in enumerate(_list(section, "users", place))]
    by_name = {u.username: u for u in users}
    if len(by_name) != len(users):
        raise ValueError(f"{place}.users: duplicate username")
    keys = [
        _parse_key(k, f"{place}.api_keys[{i}]", by_name)
        for i, k in enumerate(_list(section, "api_keys", place))
    ]
    libraries: list[LibraryRec] = []
    items: list[ItemRec] = []
    for i, lib in enumerate(_list(section, "libraries", place)):
        libraries.append(_parse_library(lib, f"{place}.libraries[{i}]", i, items))
    item_ids = [it.id for it in items]
    if len(set(item_ids)) != len(item_ids):
        raise ValueError(f"{place}.libraries: duplicate item id")
    progress = [
        _parse_progress(p, f"{place}.progress[{i}]", by_name, items)
        for i, p in enumerate(_list(section, "progress", place))
    ]
    return FixtureData(
        users=users,
        api_keys=keys,
        libraries=libraries,
        items=items,
        progress=progress,
        access_token_ttl=float(_opt(section, "access_token_ttl", (int, float), place, 3600)),
        refresh_token_ttl=float(_opt(section, "refresh_token_ttl", (int, float), place, 30 * 86400)),
        auth_rate_limit=_opt(section, "auth_rate_limit", int, place, 40),
        auth_rate_window=float(_opt(section, "auth_rate_window", (int, float), place, 600)),
    )


def _parse_user(raw: dict[str, Any], place: str) -> UserRec:
    username = _req(raw, "username", str, place)
    user_type = _opt(raw, "type", str, place, "user")
    if user_type not in _USER_TYPES:
        raise ValueError(f"{place}.type: must be one of {sorted(_USER_TYPES)}")
    user_id = _opt(raw, "id", str, place) or derived_id("user", username)
    return UserRec(
        id=user_id,
        username=username,
        password=_opt(raw, "password", str, place, ""),
        type=user_type,
        legacy_token=_opt(raw, "token", str, place) or f"abs-legacy-{derived_id('token', username)}",
        is_active=_opt(raw, "isActive", bool, place, True),
    )


def _parse_key(raw: dict[str, Any], place: str, users: dict[str, UserRec]) -> ApiKeyRec:
    username = _req(raw, "username", str, place)
    if username not in users:
        raise ValueError(f"{place}.username: no user {username!r}")
    name = _opt(raw, "name", str, place, "api-key")
    return ApiKeyRec(
        id=_opt(raw, "id", str, place) or derived_id("key", username, name),
        name=name,
        key=_req(raw, "key", str, place),
        user_id=users[username].id,
        # the real server creates a key inactive when isActive is omitted (ref §1 gotcha)
        is_active=_opt(raw, "isActive", bool, place, False),
        expires_at=_opt(raw, "expiresAt", int, place),
    )


def _parse_library(raw: dict[str, Any], place: str, index: int, items: list[ItemRec]) -> LibraryRec:
    name = _req(raw, "name", str, place)
    media_type = _opt(raw, "mediaType", str, place, "book")
    if media_type not in ("book", "podcast"):
        raise ValueError(f"{place}.mediaType: must be 'book' or 'podcast'")
    lib = LibraryRec(
        id=_opt(raw, "id", str, place) or derived_id("library", name),
        name=name,
        media_type=media_type,
        folder_id=derived_id("folder", name),
        display_order=index + 1,
    )
    for j, item in enumerate(_list(raw, "items", place)):
        items.append(_parse_item(item, f"{place}.items[{j}]", lib, len(items)))
    return lib


def _parse_item(raw: dict[str, Any], place: str, lib: LibraryRec, serial: int) -> ItemRec:
    title = _req(raw, "title", str, place)
    item_id = _opt(raw, "id", str, place) or derived_id("item", lib.id, title, serial)
    added_at = _opt(raw, "addedAt", int, place, BASE_TIME_MS + serial * 60_000)
    metadata: dict[str, Any] = {"title": title}
    if lib.media_type == "podcast":
        metadata["author"] = _opt(raw, "author", str, place)
        episodes = [
            EpisodeRec(
                id=_opt(ep, "id", str, f"{place}.episodes[{k}]") or derived_id("episode", item_id, k),
                title=_req(ep, "title", str, f"{place}.episodes[{k}]"),
                duration=float(_opt(ep, "duration", (int, float), f"{place}.episodes[{k}]", 0.0)),
                index=k + 1,
            )
            for k, ep in enumerate(_list(raw, "episodes", place))
        ]
        return ItemRec(
            id=item_id,
            library_id=lib.id,
            folder_id=lib.folder_id,
            media_id=derived_id("media", item_id),
            media_type="podcast",
            ino=str(2_000_000 + serial),
            metadata=metadata,
            duration=sum(e.duration for e in episodes),
            has_audio=bool(episodes),
            ebook_format=None,
            meta_tags={},
            added_at=added_at,
            updated_at=added_at,
            episodes=episodes,
        )
    for key in _BOOK_META_STRINGS:
        metadata[key] = _opt(raw, key, str, place)
    for key in ("authors", "narrators", "genres"):
        values = _opt(raw, key, list, place, [])
        if not all(isinstance(v, str) for v in values):
            raise ValueError(f"{place}.{key}: expected a list of strings")
        metadata[key] = list(values)
    series = []
    for k, s in enumerate(_list(raw, "series", place)):
        sp = f"{place}.series[{k}]"
        name = _req(s, "name", str, sp)
        series.append(
            {"id": derived_id("series", name), "name": name, "sequence": _opt(s, "sequence", str, sp)}
        )
    metadata["series"] = series
    year = _opt(raw, "publishedYear", (str, int), place)
    metadata["publishedYear"] = None if year is None else str(year)  # ABS stores it as a string
    metadata["explicit"] = _opt(raw, "explicit", bool, place, False)
    metadata["abridged"] = _opt(raw, "abridged", bool, place, False)
    duration = float(_opt(raw, "duration", (int, float), place, 0.0))
    if duration < 0:
        raise ValueError(f"{place}.duration: must not be negative")
    ebook_format = _opt(raw, "ebookFormat", str, place)
    has_audio = _opt(raw, "audio", bool, place, duration > 0)
    tags = _opt(raw, "metaTags", dict, place, {})
    if not all(isinstance(v, str) for v in tags.values()):
        raise ValueError(f"{place}.metaTags: expected string values")
    return ItemRec(
        id=item_id,
        library_id=lib.id,
        folder_id=lib.folder_id,
        media_id=derived_id("media", item_id),
        media_type="book",
        ino=str(2_000_000 + serial),
        metadata=metadata,
        duration=duration if has_audio else 0.0,
        has_audio=has_audio,
        ebook_format=ebook_format,
        meta_tags=dict(tags),
        added_at=added_at,
        updated_at=added_at,
        old_id=_opt(raw, "oldLibraryItemId", str, place),
        size=int(duration * 4000) + 1000,
    )


def _parse_progress(
    raw: dict[str, Any], place: str, users: dict[str, UserRec], items: list[ItemRec]
) -> ProgressRec:
    username = _req(raw, "username", str, place)
    if username not in users:
        raise ValueError(f"{place}.username: no user {username!r}")
    item = _find_item(raw, place, items)
    episode_id = _opt(raw, "episodeId", str, place)
    if item.media_type == "podcast":
        if episode_id is None or all(e.id != episode_id for e in item.episodes):
            raise ValueError(f"{place}.episodeId: a podcast progress needs one of the item's episode ids")
    elif episode_id is not None:
        raise ValueError(f"{place}.episodeId: the item is a book")
    started = _opt(raw, "startedAt", int, place, BASE_TIME_MS)
    finished = _opt(raw, "isFinished", bool, place, False)
    progress = float(_opt(raw, "progress", (int, float), place, 1.0 if finished else 0.0))
    if not 0 <= progress <= 1:
        raise ValueError(f"{place}.progress: must be within 0..1")
    user_id = users[username].id
    return ProgressRec(
        id=_opt(raw, "id", str, place) or derived_id("progress", user_id, item.id, episode_id),
        user_id=user_id,
        library_item_id=item.id,
        media_item_id=episode_id or item.media_id,
        episode_id=episode_id,
        duration=float(_opt(raw, "duration", (int, float), place, 0.0)),
        progress=progress,
        current_time=float(_opt(raw, "currentTime", (int, float), place, 0.0)),
        is_finished=finished,
        hide_from_continue_listening=_opt(raw, "hideFromContinueListening", bool, place, False),
        ebook_location=_opt(raw, "ebookLocation", str, place),
        ebook_progress=float(_opt(raw, "ebookProgress", (int, float), place, 0.0)),
        last_update=_opt(raw, "lastUpdate", int, place, started),
        started_at=started,
        finished_at=_opt(raw, "finishedAt", int, place, started if finished else None),
    )


def _find_item(raw: dict[str, Any], place: str, items: list[ItemRec]) -> ItemRec:
    item_id = _opt(raw, "libraryItemId", str, place)
    title = _opt(raw, "title", str, place)
    if item_id is not None:
        for item in items:
            if item.id == item_id:
                return item
        raise ValueError(f"{place}.libraryItemId: no item {item_id!r}")
    if title is not None:
        matches = [it for it in items if it.metadata["title"] == title]
        if len(matches) != 1:
            raise ValueError(f"{place}.title: {len(matches)} items titled {title!r}, need exactly one")
        return matches[0]
    raise ValueError(f"{place}.libraryItemId: missing (or give a unique title)")
