"""The scrobble job for one user: a short orchestrator over one step per concern (STYLE 6).

Audiobookshelf → Hardcover progress, status and dates are the progress job's; this job carries the
other directions: Hardcover → Audiobookshelf progress (with status and dates), lists ↔ collections,
and owned. Each step runs when its feature's direction asks for it (S10); a step's failure is reported
and does not stop the others, except auth and quota errors, which stop the user's run (N4, N1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bookrelay.errors import AuthError, BookrelayError, QuotaExhausted, kind_of, unexpected_error_text
from bookrelay.store.facade import Store
from bookrelay.store.models import RunStatus
from bookrelay.sync.scrobble.lists import ListsReport, ListSync
from bookrelay.sync.scrobble.owned import OwnedReport, OwnedSync
from bookrelay.sync.scrobble.reverse import ReverseProgress, ReverseReport


@dataclass
class ScrobbleReport:
    """Everything one scrobble run did for one user."""

    user_id: str
    dry_run: bool
    progress: ReverseReport | None = None
    lists: ListsReport | None = None
    owned: OwnedReport | None = None
    errors: list[str] = field(default_factory=list)
    run_id: int | None = None
    # The error class that stopped the run (AuthError, QuotaExhausted, …): the queue's retry rule reads it.
    stopped_kind: str | None = None

    @property
    def status(self) -> str:
        """ok, partial (a step or item failed) or failed (auth or quota)."""
        if any(e.startswith("stopped:") for e in self.errors):
            return "failed"
        failed = bool(self.errors)
        failed |= bool(self.progress and self.progress.failed)
        failed |= bool(self.lists and self.lists.failed)
        failed |= bool(self.owned and self.owned.failed)
        return "partial" if failed else "ok"

    def summary(self) -> dict[str, Any]:
        """Counts for the run record."""
        out: dict[str, Any] = {"errors": list(self.errors)}
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

    async def run(self, *, dry_run: bool = False) -> ScrobbleReport:
        """Run each configured step once and record the run."""
        report = ScrobbleReport(self.user_id, dry_run)
        run = self.store.runs.start(self.user_id, "scrobble", dry_run=dry_run)
        report.run_id = run.id
        try:
            if self.progress is not None:
                report.progress = await self._step(report, "progress", self.progress.run(dry_run=dry_run))
            if self.lists is not None:
                report.lists = await self._step(report, "lists", self.lists.run(dry_run=dry_run))
            if self.owned is not None:
                report.owned = await self._step(report, "owned", self.owned.run(dry_run=dry_run))
        except (AuthError, QuotaExhausted) as exc:
            report.errors.append(f"stopped: {exc}")
            report.stopped_kind = kind_of(exc)
        except Exception as exc:  # a bug or an unforeseen case: the run failed, the caller still sees it
            report.errors.append(f"stopped: {unexpected_error_text(exc)}")
            raise
        finally:
            status = {"ok": RunStatus.OK, "partial": RunStatus.PARTIAL, "failed": RunStatus.FAILED}[
                report.status
            ]
            error = "; ".join(report.errors) or None
            self.store.runs.finish(run.id, status, report.summary(), 0, error)
        return report

    async def _step(self, report: ScrobbleReport, name: str, step: Any) -> Any:
        try:
            return await step
        except (AuthError, QuotaExhausted):
            raise
        except BookrelayError as exc:
            report.errors.append(f"{name}: {exc}")
            return None
