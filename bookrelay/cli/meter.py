"""How far ``sync`` has come: a Rich bar on a terminal, log lines off one (cron, Docker, a pipe)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from bookrelay.app.progress import Heartbeat, Tick, duration_words, eta_seconds


class LiveUnits(ProgressColumn):
    """ "items · 35 units · about 4 min left", the units read afresh at every refresh of the bar."""

    def render(self, task: Task) -> Text:
        """The column's text for one user's task."""
        spent = task.fields.get("spent")
        units = spent() if callable(spent) else task.fields.get("units", 0)
        return Text(f"items · {units} units · {task.fields.get('left', 'unknown')} left")


@contextmanager
def progress_meter(console: Console) -> Iterator[Callable[[Tick], None]]:
    """A tick sink for the length of the block: the bar when ``console`` is a terminal, else a
    :class:`Heartbeat` (a log line at each phase and about every 30 seconds)."""
    if not console.is_terminal:
        beat = Heartbeat()
        try:
            yield beat
        finally:
            beat.close()
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        LiveUnits(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}
        phase_started: dict[str, tuple[str, float]] = {}

        def on_tick(tick: Tick) -> None:
            now = time.monotonic()
            phase, since = phase_started.get(tick.user_id, ("", now))
            if phase != tick.phase:
                phase_started[tick.user_id] = (tick.phase, now)
                since = now
            left = duration_words(eta_seconds(tick, now - since)) if tick.done < tick.total else "nothing"
            description = f"{tick.user_id}: {tick.phase}"
            if tick.user_id not in tasks:
                tasks[tick.user_id] = bar.add_task(
                    description, total=tick.total, units=0, left="unknown", spent=None
                )
            bar.update(
                tasks[tick.user_id],
                description=description,
                completed=tick.done,
                total=tick.total,
                units=tick.units,
                left=left,
                spent=tick.spent,
            )

        yield on_tick
