"""How far a long run has come: a tick per step of the progress job, shown as a Rich bar on a terminal
and, off a terminal (cron, Docker, ``serve``), as a log line at each phase and about every 30 seconds.

Time left is estimated at the pace the run can really go: Hardcover's budget (``per_minute`` units)
bounds it once most items need a request, so the estimate is the larger of "as fast as so far" and
"the units still to spend at the budget's pace".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

log = logging.getLogger("bookrelay.progress")

EVERY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Tick:
    """One step of a user's run: the phase, items done of total, Hardcover units spent so far."""

    user_id: str
    phase: str
    done: int
    total: int
    units: int = 0
    per_minute: int = 60  # the Hardcover budget's pace (global.hardcover.per_minute)
    # Reads the units spent now: a live display keeps counting between ticks (a chunk of matching can
    # take a minute of the budget's pace).
    spent: Callable[[], int] | None = field(default=None, compare=False, repr=False)


def eta_seconds(tick: Tick, elapsed: float) -> float | None:
    """Seconds left in this phase, or None before there is anything to go by."""
    if tick.done <= 0 or tick.total <= tick.done or elapsed <= 0:
        return 0.0 if tick.total and tick.done >= tick.total else None
    left = tick.total - tick.done
    so_far = elapsed / tick.done * left
    at_budget = (tick.units / tick.done) * left / max(tick.per_minute, 1) * 60
    return max(so_far, at_budget)


def duration_words(seconds: float | None) -> str:
    """ "about 3 min", "about 40 s", "unknown"."""
    if seconds is None:
        return "unknown"
    if seconds < 60:
        return f"about {seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"about {minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"about {minutes} min"


class Heartbeat:
    """A tick sink that logs: at each new phase, and about every ``every`` seconds within one.

    Ticks come per chunk, and one chunk can take minutes at the budget's pace, so a timer thread (started
    by the first tick, stopped by :meth:`close`) repeats the latest tick, with the units spent by then."""

    def __init__(
        self,
        *,
        every: float = EVERY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        logger: logging.Logger = log,
        timer: bool = True,
    ) -> None:
        self.every = every
        self._monotonic = monotonic
        self._log = logger
        self._timer = timer
        self._phase: dict[str, str] = {}
        self._phase_started: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._latest: dict[str, Tick] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, tick: Tick) -> None:
        """Log this tick when the phase is new, or when ``every`` seconds passed since the last line."""
        with self._lock:
            self._latest[tick.user_id] = tick
            now = self._monotonic()
            if self._phase.get(tick.user_id) != tick.phase:
                self._phase[tick.user_id] = tick.phase
                self._phase_started[tick.user_id] = now
            elif now - self._last.get(tick.user_id, now) < self.every:
                return
            self._emit(tick, now)
        if self._timer and self._thread is None and not self._stop.is_set():
            self._thread = threading.Thread(target=self._repeat, name="heartbeat", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the timer: the run is over."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _emit(self, tick: Tick, now: float) -> None:
        self._last[tick.user_id] = now
        if tick.spent is not None:
            tick = replace(tick, units=tick.spent())
        self._log.info("%s", line(tick, eta_seconds(tick, now - self._phase_started[tick.user_id])))

    def _repeat(self) -> None:
        while not self._stop.wait(min(self.every / 3, 5.0)):
            with self._lock:
                now = self._monotonic()
                for user_id, tick in self._latest.items():
                    if now - self._last.get(user_id, now) >= self.every and tick.done < tick.total:
                        self._emit(tick, now)


def line(tick: Tick, eta: float | None) -> str:
    """The log line of a tick: "alice: matching 120/400 items, 35 Hardcover units spent, about 4 min left"."""
    text = f"{tick.user_id}: {tick.phase} {tick.done}/{tick.total} items, {tick.units} Hardcover units spent"
    if tick.done < tick.total and eta is not None:
        text += f", {duration_words(eta)} left"
    return text
