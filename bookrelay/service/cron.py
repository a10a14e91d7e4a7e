"""Standard five-field cron expressions as APScheduler 3 triggers.

APScheduler 3 numbers weekdays from Monday = 0, while cron (and everyone who writes a crontab) counts
Sunday = 0 (or 7), Monday = 1. ``CronTrigger.from_crontab("0 3 * * 1")`` would therefore fire on
Tuesdays. The day-of-week field is rewritten here into weekday names, which mean the same in both.
"""

from __future__ import annotations

import re
from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

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
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(weekday), timezone=tz
    )
