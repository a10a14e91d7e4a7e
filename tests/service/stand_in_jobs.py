"""A stand-in job for runner and scheduler tests: a fixed report, after an optional body that can hold
the run or record it the way a real job does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bookrelay.sync.runs import JobReport, RunContext


@dataclass
class CountedReport(JobReport):
    """A report of fixed counts per outcome."""

    items: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return dict(self.items)

    def failed_items(self) -> int:
        return self.items.get("failed", 0)


@dataclass
class StandInJob:
    """A job (:class:`bookrelay.sync.runs.Job`) whose run ends with these counts, units and error."""

    name: str
    items: dict[str, int] = field(default_factory=dict)
    units: int = 0
    error: str | None = None
    body: Callable[[str, RunContext], Awaitable[None]] | None = None

    async def run(self, user_id: str, context: RunContext) -> CountedReport:
        if self.body is not None:
            await self.body(user_id, context)
        return CountedReport(items=dict(self.items), units_spent=self.units, error=self.error)
