"""Other tools' configuration files turned into bookrelay's: ``bookrelay config import FILE``.

Two shapes are known. A ShelfBridge-like Audiobookshelf → Hardcover sync writes ``config/config.yaml``
with ``global: {min_progress_threshold, parallel, workers, dry_run, sync_schedule, timezone, …}`` and
``users: [{id, abs_url, abs_token, hardcover_token}]``; the scrobbler design has
``scrobbling.hardcover.{enabled, sync.interval, direction, …}``. Each key is either mapped to the
bookrelay key that means the same, with a note saying so, or named as not carried over with the reason,
so that nothing of the old file is dropped without a word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHELFBRIDGE = "ShelfBridge-style config.yaml (Audiobookshelf → Hardcover sync)"
SCROBBLER = "scrobbler settings file (scrobbling.hardcover)"

_SHELFBRIDGE_GLOBAL = {
    "min_progress_threshold",
    "parallel",
    "workers",
    "dry_run",
    "sync_schedule",
    "timezone",
    "auto_add_books",
    "prevent_progress_regression",
}
_SHELFBRIDGE_USER = {"abs_url", "abs_token", "hardcover_token"}
# The scrobbler's direction words; bookrelay says "both" for "bidirectional".
DIRECTION_WORDS = {
    "to_hardcover": "to_hardcover",
    "from_hardcover": "from_hardcover",
    "bidirectional": "both",
}


@dataclass
class Imported:
    """A bookrelay configuration built from a foreign file, with one note per key of that file."""

    kind: str
    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def mapped(self, old: str, new: str, value: Any) -> None:
        """Record that ``old`` became ``new`` (values of secrets are never written into a note)."""
        self.notes.append(f"{old} → {new}" + ("" if value is None else f" = {value}"))

    def dropped(self, old: str, why: str) -> None:
        """Record that ``old`` has no bookrelay key, and why."""
        self.notes.append(f"{old}: not carried over ({why})")


def detect(data: Any) -> str | None:
    """Which foreign shape ``data`` has (one of the kinds above), or None for bookrelay's own or unknown."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("scrobbling"), dict):
        return SCROBBLER
    glob = data.get("global")
    # workers and timezone are bookrelay keys too: only keys bookrelay lacks tell the shape apart.
    if isinstance(glob, dict) and (_SHELFBRIDGE_GLOBAL - {"workers", "timezone"}) & set(glob):
        return SHELFBRIDGE
    users = data.get("users")
    if isinstance(users, list) and any(isinstance(u, dict) and _SHELFBRIDGE_USER & set(u) for u in users):
        return SHELFBRIDGE
    return None


def convert(data: Any) -> Imported:
    """The bookrelay configuration equivalent to a foreign file's ``data``; ValueError when the shape is
    not one of the known ones (the message says which keys were looked for)."""
    kind = detect(data)
    if kind == SHELFBRIDGE:
        return _from_shelfbridge(data)
    if kind == SCROBBLER:
        return _from_scrobbler(data)
    raise ValueError(
        "not a file bookrelay knows how to import: expected a ShelfBridge-style config.yaml "
        "(global.min_progress_threshold, users[].abs_url/hardcover_token) or scrobbler settings "
        "(scrobbling.hardcover)"
    )


def _from_shelfbridge(data: dict[str, Any]) -> Imported:
    out = Imported(SHELFBRIDGE, {"global": {}, "users": []})
    glob = out.data["global"]
    found = data.get("global")
    old: dict[str, Any] = found if isinstance(found, dict) else {}
    for key, value in old.items():
        where = f"global.{key}"
        if key == "min_progress_threshold":
            # ShelfBridge counts in percent (0-100), bookrelay in fractions of the book.
            fraction = round(_number(where, value) / 100, 6)
            glob.setdefault("sync", {})["min_progress"] = fraction
            out.mapped(where, "global.sync.min_progress", f"{fraction} ({value} %)")
        elif key == "workers":
            glob["workers"] = int(_number(where, value))
            out.mapped(where, "global.workers", value)
        elif key == "parallel":
            if value is False:
                glob["workers"] = 1
                out.mapped(where, "global.workers", "1 (parallel: false)")
            else:
                out.dropped(where, "bookrelay runs users in parallel up to global.workers")
        elif key == "sync_schedule":
            glob.setdefault("schedule", {})["progress"] = str(value)
            out.mapped(where, "global.schedule.progress", value)
        elif key == "timezone":
            glob["timezone"] = str(value)
            out.mapped(where, "global.timezone", value)
        elif key == "prevent_progress_regression":
            glob.setdefault("sync", {})["allow_backwards"] = not bool(value)
            out.mapped(where, "global.sync.allow_backwards", not bool(value))
        elif key == "dry_run":
            out.dropped(where, "a dry run is asked for per run: `bookrelay sync --dry-run`")
        elif key == "auto_add_books":
            out.dropped(where, "bookrelay never creates books on Hardcover; an unmatched item is reported")
        else:
            out.dropped(where, "bookrelay has no such setting")
    for i, user in enumerate(data.get("users") or []):
        out.data["users"].append(_shelfbridge_user(out, i, user))
    return out


def _shelfbridge_user(out: Imported, i: int, user: Any) -> dict[str, Any]:
    if not isinstance(user, dict):
        raise ValueError(f"users[{i}]: expected a mapping with id, abs_url, abs_token, hardcover_token")
    new: dict[str, Any] = {"id": str(user.get("id", f"user{i + 1}")), "hardcover": {}}
    for key, value in user.items():
        where = f"users[{i}].{key}"
        if key == "id":
            continue
        if key == "abs_url":
            new.setdefault("audiobookshelf", {})["url"] = str(value)
            out.mapped(where, f"users[{i}].audiobookshelf.url", value)
        elif key == "abs_token":
            new.setdefault("audiobookshelf", {})["api_key"] = str(value)
            out.mapped(where, f"users[{i}].audiobookshelf.api_key", None)
        elif key == "hardcover_token":
            new["hardcover"]["token"] = str(value)
            out.mapped(where, f"users[{i}].hardcover.token", None)
        elif key == "libraries" and isinstance(value, dict):
            picked = {k: list(value[k]) for k in ("include", "exclude") if isinstance(value.get(k), list)}
            new.setdefault("audiobookshelf", {})["libraries"] = picked
            out.mapped(where, f"users[{i}].audiobookshelf.libraries", None)
        else:
            out.dropped(where, "bookrelay has no such setting")
    return new


def _from_scrobbler(data: dict[str, Any]) -> Imported:
    out = Imported(SCROBBLER, {"global": {}})
    glob = out.data["global"]
    scrobbling = data["scrobbling"]
    for service in scrobbling:
        if service != "hardcover":
            out.dropped(f"scrobbling.{service}", "bookrelay scrobbles to Hardcover only")
    hardcover = scrobbling.get("hardcover")
    if not isinstance(hardcover, dict):
        out.dropped("scrobbling.hardcover", "missing or not a mapping")
        return out
    for key, value in hardcover.items():
        where = f"scrobbling.hardcover.{key}"
        if key == "enabled":
            # The progress job needs no switch: it runs for every user with a source.
            glob.setdefault("jobs", {})["scrobble"] = bool(value)
            out.mapped(where, "global.jobs.scrobble", bool(value))
        elif key == "direction":
            word = DIRECTION_WORDS.get(str(value))
            if word is None:
                raise ValueError(f"{where}: {value!r} is not to_hardcover, from_hardcover or bidirectional")
            glob.setdefault("directions", {})["progress"] = word
            out.mapped(where, "global.directions.progress", word)
        elif key == "sync" and isinstance(value, dict):
            _scrobbler_sync(out, where, value)
        elif key in {"client_id", "oauth_client_id"}:
            glob.setdefault("hardcover", {}).update(auth="oauth", oauth_client_id=str(value))
            out.mapped(where, "global.hardcover.oauth_client_id (auth: oauth)", value)
        else:
            out.dropped(where, "bookrelay has no such setting")
    return out


def _scrobbler_sync(out: Imported, where: str, sync: dict[str, Any]) -> None:
    for key, value in sync.items():
        if key == "interval":
            text = str(value).strip()
            spec = text if text.startswith("every") or " " in text else f"every {text}"
            schedule = out.data["global"].setdefault("schedule", {})
            schedule["progress"] = schedule["scrobble"] = spec
            out.mapped(f"{where}.interval", "global.schedule.progress and global.schedule.scrobble", spec)
        else:
            out.dropped(f"{where}.{key}", "bookrelay has no such setting")


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{where}: {value!r} is not a number")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a number") from None
