"""The scrobble job for one user: a short orchestrator over one step per concern (STYLE 6).

Audiobookshelf → Hardcover progress, status and dates are the progress job's; this job carries the
other directions: Hardcover → Audiobookshelf progress (with status and dates), lists ↔ collections,
and owned. Each step runs when its feature's direction asks for it (S10); a step's failure is reported
and does not stop the others, except auth and quota errors, which stop the user's run (N4, N1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bookrelay.domain.models import Budget
from bookrelay.errors import AuthError, BookrelayError, QuotaExhausted, unexpected_error_text
from bookrelay.store.facade import Store
from bookrelay.sync.runs import JobReport, RunRecorder
from bookrelay.sync.scrobble.lists import ListsReport, ListSync
from bookrelay.sync.scrobble.owned import OwnedReport, OwnedSync
from bookrelay.sync.scrobble.reverse import ReverseProgress, ReverseReport


@dataclass
class ScrobbleReport(JobReport):
    """Everything one scrobble run did for one user; ``errors`` are the steps that failed while the run
    went on, ``error`` what stopped it (auth or quota)."""

    user_id: str
    dry_run: bool
    progress: ReverseReport | None = None
    lists: ListsReport | None = None
    owned: OwnedReport | None = None
    errors: list[str] = field(default_factory=list)

    def failed_items(self) -> int:
        """Failed steps, and the items the steps report as failed."""
        failed = len(self.errors)
        failed += len(self.progress.failed) if self.progress else 0
        failed += len(self.lists.failed) if self.lists else 0
        failed += len(self.owned.failed) if self.owned else 0
        return failed

    def shown_errors(self) -> list[str]:
        """The failed steps, then what stopped the run, as the summary and the run record say them."""
        return [*self.errors, *([f"stopped: {self.error}"] if self.error else [])]

    def run_error(self) -> str | None:
        """Every failed step and the stop reason, in one line."""
        return "; ".join(self.shown_errors()) or None

    def run_summary(self) -> dict[str, Any]:
        """The summary stored with the run: :meth:`summary`."""
        return self.summary()

    def summary(self) -> dict[str, Any]:
        """Counts for the run record."""
        out: dict[str, Any] = {"errors": self.shown_errors()}
        if self.progress is not None:
            out["progress"] = {
                "planned": sum(1 for p in self.progress.plans if p.writes),
                "written": self.progress.written,
                "held": dict(self.progress.held),
                "failed": len(self.progress.failed),
            }
        if self.lists is not None:
            out["lists"] = {"changed": len(self.lists.changes), "written": self.lists.written}
        if self.owned is not None:
            out["owned"] = {
                "to_mark": len(self.owned.to_mark),
                "marked": self.owned.marked,
                "missing_locally": len(self.owned.missing_locally),
            }
        return out


@dataclass
class ScrobbleJob:
    """One user's scrobble run; absent steps (None) are not configured for this user."""

    user_id: str
    store: Store
    progress: ReverseProgress | None = None
    lists: ListSync | None = None
    owned: OwnedSync | None = None
    # The Hardcover session's budget, read before and after to count the units the run spent.
    budget: Budget | None = None
    runs: RunRecorder | None = None  # a recorder of ``store`` when None
    name: str = field(default="scrobble", init=False)

    async def run(self, *, dry_run: bool = False) -> ScrobbleReport:
        """Run each configured step once and record the run with the Hardcover units it spent."""
        report = ScrobbleReport(self.user_id, dry_run)
        runs = self.runs or RunRecorder(self.store)
        run_id = report.run_id = runs.start(self.user_id, self.name, dry_run=dry_run)
        units_before = self.budget.units_spent if self.budget is not None else 0
        try:
            if self.progress is not None:
                report.progress = await self._step(report, "progress", self.progress.run(dry_run=dry_run))
            if self.lists is not None:
                report.lists = await self._step(report, "lists", self.lists.run(dry_run=dry_run))
            if self.owned is not None:
                report.owned = await self._step(report, "owned", self.owned.run(dry_run=dry_run))
        except (AuthError, QuotaExhausted) as exc:
            report.stop(exc)
        except Exception as exc:  # a bug or an unforeseen case: the run failed, the caller still sees it
            report.stop(exc, unexpected_error_text(exc))
            raise
        finally:
            if self.budget is not None:
                report.units_spent = self.budget.units_spent - units_before
            runs.finish(run_id, report)
        return report

    async def _step(self, report: ScrobbleReport, name: str, step: Any) -> Any:
        try:
            return await step
        except (AuthError, QuotaExhausted):
            raise
        except BookrelayError as exc:
            report.errors.append(f"{name}: {exc}")
            return None
