"""The schedule grammar, said once: a five-field cron expression, ``every <n><s|m|h|d>`` or ``off``.

Config validates a schedule with :func:`check_schedule`; the scheduler builds its trigger with
:func:`schedule_trigger`. Both read the same grammar here, below config and service alike.

Cron expressions become APScheduler 3 triggers.

APScheduler 3 numbers weekdays from Monday = 0, while cron (and everyone who writes a crontab) counts
Sunday = 0 (or 7), Monday = 1. ``CronTrigger.from_crontab("0 3 * * 1")`` would therefore fire on
Tuesdays. The day-of-week field is rewritten here into weekday names, which mean the same in both.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # APScheduler (90 ms to import) is loaded by the first cron or trigger built, not by config
    from apscheduler.triggers.base import BaseTrigger
    from apscheduler.triggers.cron import CronTrigger

OFF = "off"
INTERVAL = re.compile(r"^every\s+(\d+)\s*([smhd])$")
_BARE_INTERVAL = re.compile(r"^\d+\s*[smhd]$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNIT_NAMES = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # cron numbers 0-7
_TOKEN = re.compile(r"^(\*|\d+)(?:-(\d+))?(?:/(\d+))?$")


def _weekdays(field: str) -> str:
    """A cron day-of-week field with numbers rewritten as names (``1-5`` → ``mon,tue,wed,thu,fri``)."""
    if not any(ch.isdigit() for ch in field):
        return field  # "*", or names only: the same in both numberings
    days: list[str] = []
    for token in field.split(","):
        match = _TOKEN.match(token)
        if match is None:
            if any(ch.isdigit() for ch in token):
                raise ValueError(f"day of week {token!r} is not understood")
            days.append(token)  # a name, or a name range such as mon-fri
            continue
        start_text, end_text, step_text = match.groups()
        if start_text == "*":
            start, end = 0, 6
        else:
            start = int(start_text)
            end = int(end_text) if end_text is not None else (7 if step_text else start)
        step = int(step_text) if step_text else 1
        if not (0 <= start <= 7 and 0 <= end <= 7) or start > end or step < 1:
            raise ValueError(f"day of week {token!r} is out of range (0-7, Sunday is 0 or 7)")
        days.extend(_NAMES[day] for day in range(start, end + 1, step))
    unique = list(dict.fromkeys(days))
    return ",".join(unique)


def cron_trigger(expression: str, tz: tzinfo | str = "UTC") -> CronTrigger:
    """The trigger of a five-field cron expression (minute hour day month weekday) in ``tz``;
    ValueError names what is wrong."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, weekday = fields
    from apscheduler.triggers.cron import CronTrigger  # apscheduler: only when a trigger is built

    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(weekday), timezone=tz
    )


def normalise_schedule(spec: str) -> str:
    """A schedule with its spaces collapsed; a bare interval (``30m``, the scrobbler design's
    ``interval:``) becomes ``every 30m``."""
    text = " ".join(spec.split())
    return f"every {text}" if _BARE_INTERVAL.match(text) else text


def interval_seconds(spec: str) -> int | None:
    """The length in seconds of an ``every <n><unit>`` schedule (normalised), None for any other."""
    match = INTERVAL.match(spec)
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)] if match else None


def check_schedule(spec: str, max_interval_seconds: int) -> str:
    """The normalised schedule when it is ``off``, an interval of 1 s up to ``max_interval_seconds``, or a
    cron expression; ValueError names what is wrong."""
    text = normalise_schedule(spec)
    if text == OFF:
        return text
    seconds = interval_seconds(text)
    if seconds is not None:
        if not 0 < seconds <= max_interval_seconds:
            days = max_interval_seconds // UNIT_SECONDS["d"]
            raise ValueError(f"an interval must be longer than 0 and at most {days} days")
        return text
    try:
        cron_trigger(text)
    except ValueError as exc:
        raise ValueError(f"is not a cron expression (like '0 3 * * *'), 'every 2h' or 'off': {exc}") from None
    return text


def schedule_trigger(spec: str, tz: tzinfo, start: datetime) -> BaseTrigger | None:
    """The trigger of a schedule: cron in ``tz``, an interval from ``start``, None for ``off``;
    ValueError names what is wrong."""
    text = " ".join(spec.split())
    if text == OFF:
        return None
    match = INTERVAL.match(text)
    if match:
        amount = int(match.group(1))
        if amount <= 0:
            raise ValueError("an interval must be longer than 0")
        from apscheduler.triggers.interval import IntervalTrigger  # apscheduler: as above

        return IntervalTrigger(**{_UNIT_NAMES[match.group(2)]: amount}, start_date=start, timezone=tz)
    try:
        return cron_trigger(text, tz)
    except ValueError as exc:
        raise ValueError(f"not a cron expression: {exc}") from None
