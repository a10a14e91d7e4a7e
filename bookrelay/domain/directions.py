"""Which way each feature flows, who wins when both sides changed, and the Hardcover → Audiobookshelf
progress plan (rules S10-S16 in docs/rules.md). Pure: no I/O, every input is given.

Hardcover reads carry calendar dates only (no time of day), so "newer" cannot be read off a
timestamp. A Hardcover read counts as *changed* when it differs from what the previous scrobble
run saw of it (the store keeps that snapshot, :class:`Seen`); the local side counts as changed when
its own ``lastUpdate`` moved since then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bookrelay.errors import ConfigError

# ABS finishes an item by itself when the position is within this many seconds of the end (ref §8.4).
ABS_FINISH_WINDOW = 10.0


class Feature(StrEnum):
    """What can flow between Hardcover and the local side."""

    PROGRESS = "progress"
    STATUS = "status"
    DATES = "dates"
    RATING = "rating"
    OWNED = "owned"
    LISTS = "lists"


class Direction(StrEnum):
    """Which way a feature flows (S10)."""

    TO_HARDCOVER = "to_hardcover"
    FROM_HARDCOVER = "from_hardcover"
    BOTH = "both"
    OFF = "off"

    @property
    def to_hardcover(self) -> bool:
        """Whether bookrelay may write this feature to Hardcover."""
        return self in (Direction.TO_HARDCOVER, Direction.BOTH)

    @property
    def from_hardcover(self) -> bool:
        """Whether bookrelay may carry this feature out of Hardcover (to Audiobookshelf or a file)."""
        return self in (Direction.FROM_HARDCOVER, Direction.BOTH)


class ConflictRule(StrEnum):
    """Who wins when both sides changed since the last run (S11)."""

    NEWER = "newer"
    HARDCOVER = "hardcover"
    LOCAL = "local"


class Side(StrEnum):
    """A side of a sync."""

    HARDCOVER = "hardcover"
    LOCAL = "local"


DEFAULT_DIRECTIONS: Mapping[Feature, Direction] = {
    Feature.PROGRESS: Direction.TO_HARDCOVER,  # the reverse direction writes to ABS: opt-in
    Feature.STATUS: Direction.BOTH,
    Feature.DATES: Direction.BOTH,
    Feature.RATING: Direction.BOTH,
    Feature.OWNED: Direction.OFF,  # opt-in
    Feature.LISTS: Direction.OFF,
}


@dataclass(frozen=True, slots=True)
class Directions:
    """The direction and conflict rule of every feature for one user."""

    ways: Mapping[Feature, Direction] = field(default_factory=lambda: dict(DEFAULT_DIRECTIONS))
    rules: Mapping[Feature, ConflictRule] = field(default_factory=dict)

    def of(self, feature: Feature) -> Direction:
        """The direction of ``feature`` (its default when not configured)."""
        return self.ways.get(feature, DEFAULT_DIRECTIONS[feature])

    def rule(self, feature: Feature) -> ConflictRule:
        """The conflict rule of ``feature`` (default: the newer change wins)."""
        return self.rules.get(feature, ConflictRule.NEWER)

    def require_to_hardcover(self, feature: Feature) -> None:
        """Raise ConfigError naming the setting when ``feature`` may not be written to Hardcover (S10)."""
        if not self.of(feature).to_hardcover:
            raise ConfigError(
                f"is {self.of(feature).value}: bookrelay does not write {feature.value} to Hardcover",
                place=f"directions.{feature.value}",
            )


def winner(
    rule: ConflictRule,
    *,
    hardcover_changed: bool,
    local_changed: bool,
    hardcover_day: date | None,
    local_at: datetime | None,
    tz: ZoneInfo,
) -> Side | None:
    """S11: whose change is carried to the other side, or None when neither changed.

    With the rule ``newer`` and both sides changed, Hardcover wins only when its change is dated to a
    later calendar day (in the user's zone, P10) than the local change; a tie goes to the local side,
    whose time is exact while Hardcover's is only a day.
    """
    if not hardcover_changed and not local_changed:
        return None
    if hardcover_changed != local_changed:
        return Side.HARDCOVER if hardcover_changed else Side.LOCAL
    if rule is ConflictRule.HARDCOVER:
        return Side.HARDCOVER
    if rule is ConflictRule.LOCAL or hardcover_day is None:
        return Side.LOCAL
    if local_at is None:
        return Side.HARDCOVER
    return Side.HARDCOVER if hardcover_day > local_at.astimezone(tz).date() else Side.LOCAL


# -- Hardcover → Audiobookshelf progress -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HardcoverReading:
    """The newest read of a linked book on Hardcover, as a fraction of the book."""

    read_id: int
    fraction: float
    finished: bool
    started_at: date | None = None
    finished_at: date | None = None

    def fingerprint(self) -> dict[str, Any]:
        """What S12 compares with the previous run's snapshot."""
        return {
            "read_id": self.read_id,
            "fraction": round(self.fraction, 4),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "finished": self.finished,
        }


@dataclass(frozen=True, slots=True)
class LocalPosition:
    """Audiobookshelf's progress on the linked item (``None`` fields: the server did not store them)."""

    current_time: float
    duration: float
    is_finished: bool
    last_update: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """What the previous scrobble run saw (or wrote) on both sides of one item."""

    hardcover: Mapping[str, Any]
    local_last_update_ms: int | None

    def hardcover_changed(self, now: HardcoverReading) -> bool:
        """S12: the Hardcover read differs from the snapshot."""
        return dict(self.hardcover) != now.fingerprint()


@dataclass(frozen=True, slots=True)
class ReversePlan:
    """The outcome for one item: a PATCH payload for ``/api/me/progress/:id``, or why nothing is sent."""

    item_id: str
    payload: dict[str, Any] | None = None
    rule: str | None = None  # the rule that held or decided it
    reason: str = ""

    @property
    def writes(self) -> bool:
        """Whether a write is planned."""
        return self.payload is not None


@dataclass(frozen=True, slots=True)
class ReverseSettings:
    """Switches and thresholds of the reverse progress plan."""

    directions: Directions = field(default_factory=Directions)
    min_progress: float = 0.05
    min_change: float = 0.01
    min_change_seconds: float = 60.0


def _ms(day: date, tz: ZoneInfo) -> int:
    # A date-only finish is placed at noon in the user's zone, so it shows on that day everywhere near it.
    return int(datetime.combine(day, time(12), tzinfo=tz).astimezone(UTC).timestamp() * 1000)


def _ms_of(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def plan_reverse_progress(
    item_id: str,
    reading: HardcoverReading,
    local: LocalPosition | None,
    seen: Seen | None,
    item_duration: float | None,
    settings: ReverseSettings,
    tz: ZoneInfo,
) -> ReversePlan:
    """S12-S16: what to write to Audiobookshelf for one linked item, from its newest Hardcover read."""
    ways = settings.directions
    if not ways.of(Feature.PROGRESS).from_hardcover:
        return ReversePlan(item_id, rule="S10", reason="progress does not flow from Hardcover")
    if seen is None and local is not None:
        return ReversePlan(item_id, rule="S12", reason="first run: the current state is the baseline")
    local_changed = (
        local is not None and seen is not None and _ms_of(local.last_update) != seen.local_last_update_ms
    )
    if seen is not None and not seen.hardcover_changed(reading):
        return ReversePlan(item_id, rule="S12", reason="the Hardcover read is unchanged since the last run")
    side = winner(
        ways.rule(Feature.PROGRESS),
        hardcover_changed=True,
        local_changed=local_changed,
        hardcover_day=reading.finished_at,
        local_at=local.last_update if local else None,
        tz=tz,
    )
    if side is Side.LOCAL:
        return ReversePlan(item_id, rule="S11", reason="both sides changed; the local change is newer")
    duration = (local.duration if local and local.duration > 0 else None) or item_duration or 0.0
    if local is not None and local.is_finished:
        return _finished_locally(item_id, reading, local, settings, tz)
    if reading.finished:
        return _finish(item_id, reading, settings, tz)
    return _position(item_id, reading, local, duration, settings)


def _finished_locally(
    item_id: str, reading: HardcoverReading, local: LocalPosition, settings: ReverseSettings, tz: ZoneInfo
) -> ReversePlan:
    if not reading.finished:
        # Un-finishing resets the position to 0 on the server (ref §8.5): never done by a sync.
        return ReversePlan(item_id, rule="S14", reason="finished in Audiobookshelf: never un-finished")
    ways = settings.directions
    if reading.finished_at is None or not ways.of(Feature.DATES).from_hardcover:
        return ReversePlan(item_id, rule="S15", reason="finished on both sides")
    if local.finished_at is not None and local.finished_at.astimezone(tz).date() == reading.finished_at:
        return ReversePlan(item_id, rule="S15", reason="finished on both sides on the same day")
    return ReversePlan(
        item_id, {"finishedAt": _ms(reading.finished_at, tz)}, "S15", "finish date taken from Hardcover"
    )


def _finish(item_id: str, reading: HardcoverReading, settings: ReverseSettings, tz: ZoneInfo) -> ReversePlan:
    ways = settings.directions
    if not ways.of(Feature.STATUS).from_hardcover:
        return ReversePlan(item_id, rule="S10", reason="finished on Hardcover, but status does not flow back")
    # isFinished makes the server ignore progress (ref §8.7): send it alone, with the date when allowed.
    payload: dict[str, Any] = {"isFinished": True}
    if reading.finished_at is not None and ways.of(Feature.DATES).from_hardcover:
        payload["finishedAt"] = _ms(reading.finished_at, tz)
    return ReversePlan(item_id, payload, "S15", "finished on Hardcover")


def _position(
    item_id: str,
    reading: HardcoverReading,
    local: LocalPosition | None,
    duration: float,
    settings: ReverseSettings,
) -> ReversePlan:
    if duration <= 0:
        return ReversePlan(item_id, rule="S13", reason="the item's length is unknown")
    if reading.fraction < settings.min_progress:
        return ReversePlan(item_id, rule="S13", reason="below min_progress")
    # Never finish by accident: the server auto-finishes within 10 s of the end (ref §8.4).
    target = min(reading.fraction * duration, duration - ABS_FINISH_WINDOW - 1.0)
    current = local.current_time if local else 0.0
    step = max(settings.min_change * duration, settings.min_change_seconds)
    if target <= current:
        return ReversePlan(item_id, rule="S13", reason="the local position is ahead: never moved back")
    if target - current < step:
        return ReversePlan(item_id, rule="S13", reason="change smaller than min_change")
    seconds = round(target, 1)
    # progress is stored as sent, never derived (ref §8.3): send it with currentTime and duration.
    payload = {"currentTime": seconds, "duration": duration, "progress": round(seconds / duration, 6)}
    return ReversePlan(item_id, payload, "S13", "Hardcover read is ahead")
