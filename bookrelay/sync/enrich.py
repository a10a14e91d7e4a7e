"""The enrich job: ISBN/ASIN for Audiobookshelf book items that have none or an invalid one.

collect (book items whose ``isbn``/``asin`` field holds no valid identifier) → find the Hardcover edition
(by the identifier the item does have, then the fuzzy pipeline with the audio duration, then the tags of
local audio files under ``--scan-dir``) → propose values with their score parts → apply (``--apply`` only):
each change is recorded with the value it replaces *before* the ``PATCH /api/items/:id/media``, so
``undo`` can put back exactly what was there. A valid identifier is never overwritten: the item is
re-read right before the write and a field that gained one meanwhile is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.mapper import map_item
from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.connectors.hardcover.session import HardcoverSession
from bookrelay.domain.enrichment import holds_identifier, missing_fields, propose_values
from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.models import Book, SourceItem, SourceProgress
from bookrelay.errors import BookrelayError, NotFound, unexpected_error_text
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.pipeline import Resolver
from bookrelay.matching.resolution import Resolution, Shelf
from bookrelay.store.facade import Store
from bookrelay.store.repositories.enrich import APPLIED, FAILED, PENDING, UNDONE
from bookrelay.sync.audio_tags import read_item_tags
from bookrelay.sync.enrich_report import Batch, EnrichReport, Proposal, UndoReport
from bookrelay.sync.runs import RunRecorder

__all__ = ["JOB", "Batch", "EnrichJob", "EnrichReport", "Proposal", "UndoReport"]

log = logging.getLogger(__name__)
JOB = "enrich"
IDENTIFIER_SCORE = 1.0  # an identifier hit that agrees with the item (M3) is as sure as matching gets


@dataclass
class _Candidate:
    raw: dict[str, Any]
    item: SourceItem
    needs: tuple[str, ...]
    old: dict[str, str | None]


def _field(raw: dict[str, Any], name: str) -> str | None:
    metadata = raw.get("media", {}).get("metadata", {}) if isinstance(raw.get("media"), dict) else {}
    value = metadata.get(name) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else None


def _entry(item: SourceItem) -> SourceEntry:
    # The resolver matches on the item alone; progress plays no part in enrich.
    return SourceEntry(item, SourceProgress(item.source, item.item_id))


class EnrichJob:
    """One user's enrich run over injected clients, resolver and store."""

    def __init__(
        self,
        *,
        user_id: str,
        abs_api: AbsApi,
        hardcover: HardcoverApi,
        hardcover_session: HardcoverSession,
        resolver: Resolver,
        store: Store,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        runs: RunRecorder | None = None,
    ) -> None:
        self.name = JOB
        self.runs = runs or RunRecorder(store)
        self.user_id = user_id
        self.abs = abs_api
        self.hardcover = hardcover
        self.session = hardcover_session
        self.resolver = resolver
        self.store = store
        self.include = list(include)
        self.exclude = list(exclude)

    async def run(
        self,
        *,
        dry_run: bool = True,
        limit: int | None = None,
        offset: int | None = None,
        min_score: float = 0.85,
        scan_dir: Path | None = None,
    ) -> EnrichReport:
        """Propose identifiers for the candidate items; write the strong ones unless ``dry_run``.

        With ``limit`` the run is one batch: it continues after the item where the previous batch of
        the same kind (dry run, or applied) stopped, or skips ``offset`` candidates when given."""
        report = EnrichReport(self.user_id, dry_run=dry_run, min_score=min_score)
        resume = self._last_stop(dry_run) if limit is not None and offset is None else None
        run_id = report.run_id = self.runs.start(self.user_id, self.name, dry_run=dry_run)
        try:
            candidates = await self._collect(report, limit, offset or 0, resume)
            await self._propose(candidates, report, min_score, scan_dir)
            if not dry_run:
                await self._apply(run_id, candidates, report)
        except BookrelayError as exc:
            report.stop(exc)
        except Exception as exc:  # a bug or an unforeseen case: recorded as a failed run, then raised
            self.runs.fail(run_id, unexpected_error_text(exc))
            raise
        report.units_spent = self.session.budget.units_spent
        report.units_left_today = self.session.budget.daily_remaining
        self.runs.finish(run_id, report)
        return report

    def _last_stop(self, dry_run: bool) -> str | None:
        """The item the latest batch of this kind stopped at (None: start from the top)."""
        for run in self.store.runs.recent(100, user_id=self.user_id, job=JOB):
            if run.dry_run == dry_run and run.summary is not None and "last_item" in run.summary:
                last = run.summary["last_item"]
                return last if isinstance(last, str) else None
        return None

    async def _collect(
        self, report: EnrichReport, limit: int | None, offset: int, resume: str | None
    ) -> dict[str, _Candidate]:
        order: list[str] = []  # every book item, candidate or not, in the library's order
        titles: dict[str, str] = {}
        found: list[tuple[int, _Candidate]] = []  # candidates with their place in ``order``
        for library in await self.abs.book_libraries(self.include or None, self.exclude or None):
            for raw in await self.abs.library_items(library["id"]):
                item = map_item(raw)
                if item is None:
                    continue
                report.items_seen += 1
                order.append(item.item_id)
                titles[item.item_id] = item.title
                old = {"isbn": _field(dict(raw), "isbn"), "asin": _field(dict(raw), "asin")}
                needs = missing_fields(old["isbn"], old["asin"])
                if needs:
                    found.append((len(order) - 1, _Candidate(dict(raw), item, needs, old)))
        start, after_title, started_over = offset, None, False
        if resume is not None:
            # The item itself may have gained an identifier meanwhile: continue after its place in
            # the whole listing, not among the candidates.
            place = order.index(resume) if resume in order else -1
            start = next((i for i, (pos, _) in enumerate(found) if pos > place), len(found))
            after_title = titles.get(resume, resume)
            if start >= len(found):
                start, after_title, started_over = 0, None, True
        chosen = found[start:] if limit is None else found[start : start + limit]
        candidates = {c.item.item_id: c for _, c in chosen}
        report.candidates = len(candidates)
        if limit is not None or offset:
            last = start + len(chosen)
            report.batch = Batch(
                first=start + 1,
                last=last,
                total=len(found),
                after_title=after_title,
                last_item=chosen[-1][1].item.item_id if chosen and last < len(found) else None,
                started_over=started_over,
            )
        return candidates

    async def _propose(
        self, candidates: dict[str, _Candidate], report: EnrichReport, min_score: float, scan_dir: Path | None
    ) -> None:
        resolutions = await self._resolve([c.item for c in candidates.values()])
        retry: dict[str, SourceItem] = {}
        for item_id, resolution in resolutions.items():
            if resolution.outcome is MatchOutcome.LINKED:
                continue
            found = self._from_tags(candidates[item_id], scan_dir) if scan_dir else None
            if found is not None:
                retry[item_id] = found
        tagged: set[str] = set()
        for item_id, again in (await self._resolve(list(retry.values()))).items():
            if again.outcome is MatchOutcome.LINKED or resolutions[item_id].outcome is MatchOutcome.UNMATCHED:
                resolutions[item_id] = again
                tagged.add(item_id)
        linked = [
            r for r in resolutions.values() if r.outcome is MatchOutcome.LINKED and r.book_id is not None
        ]
        books = {
            b.id: b
            for b in await self.hardcover.books_by_ids(sorted({r.book_id for r in linked if r.book_id}))
        }
        for item_id, resolution in resolutions.items():
            candidate = candidates[item_id]
            proposal = self._proposal(candidate, resolution, books, min_score, tagged=item_id in tagged)
            if isinstance(proposal, Proposal):
                report.proposals.append(proposal)
            else:
                report.skipped.append((item_id, candidate.item.title, proposal))

    async def _resolve(self, items: list[SourceItem]) -> dict[str, Resolution]:
        if not items:
            return {}
        resolved = await self.resolver.resolve([_entry(i) for i in items], {}, Shelf())
        return {r.item_id: r for r in resolved}

    def _from_tags(self, candidate: _Candidate, scan_dir: Path) -> SourceItem | None:
        """The item as its local files describe it: tag identifiers, and their duration when ABS has none."""
        rel_path = candidate.raw.get("relPath")
        if not isinstance(rel_path, str) or not rel_path:
            return None
        tags = read_item_tags(scan_dir, rel_path)
        if not tags.found_anything:
            return None
        isbn = next((v for v in tags.isbns if holds_identifier(v)), None)
        asin = next((v for v in tags.asins if holds_identifier(v)), None)
        duration = candidate.item.duration_seconds or (tags.duration_seconds or None)
        if isbn is None and asin is None and duration == candidate.item.duration_seconds:
            return None  # the files add nothing the first pass did not have
        return replace(candidate.item, isbn=isbn, asin=asin, duration_seconds=duration)

    def _proposal(
        self,
        candidate: _Candidate,
        resolution: Resolution,
        books: dict[int, Book],
        min_score: float,
        *,
        tagged: bool,
    ) -> Proposal | str:
        if resolution.outcome is not MatchOutcome.LINKED or resolution.book_id is None:
            best = resolution.candidates[0] if resolution.candidates else None
            hint = f"; best: {best.title!r} {best.score:.2f}" if best else ""
            return f"{resolution.outcome.value}: {resolution.reason}{hint}"
        book = books.get(resolution.book_id)
        editions = list(book.editions) if book else []
        values = propose_values(candidate.needs, candidate.item.media_kind, resolution.edition, editions)
        if not values:
            return f"book {resolution.book_id} has no edition with a {' or '.join(candidate.needs)}"
        method = resolution.method.value if resolution.method else "fuzzy"
        explained = resolution.score.explain() if resolution.score else ""
        if method in ("asin", "isbn"):
            score, parts = IDENTIFIER_SCORE, f"identifier ({method}) hit; agreement {explained}"
        else:
            score, parts = (resolution.score.total if resolution.score else 0.0), explained
        if tagged:
            method = "tags"
        return Proposal(
            item_id=candidate.item.item_id,
            title=candidate.item.title,
            method=method,
            book_id=resolution.book_id,
            values=tuple(values),
            old={f: candidate.old[f] for f in candidate.needs},
            score=score,
            parts=parts,
            strong=score >= min_score,
        )

    async def _apply(self, run_id: int, candidates: dict[str, _Candidate], report: EnrichReport) -> None:
        for proposal in [p for p in report.proposals if p.strong]:
            try:
                current = await self.abs.item(proposal.item_id, expanded=True)
            except BookrelayError as exc:
                report.failed.append((proposal.item_id, proposal.title, str(exc)))
                continue
            changes: dict[str, str] = {}
            recorded: list[tuple[int, str, str | None, str]] = []
            for value in proposal.values:
                now_there = _field(dict(current), value.field)
                if holds_identifier(now_there):
                    continue  # gained a valid identifier since it was listed: never overwrite one
                change = self.store.enrich_changes.record(
                    run_id, self.user_id, proposal.item_id, value.field, now_there, value.value
                )
                recorded.append((change.id, value.field, now_there, value.value))
                changes[value.field] = value.value
            if not changes:
                continue
            ids = [r[0] for r in recorded]
            try:
                answer = await self.abs.update_media(proposal.item_id, changes)
            except BookrelayError as exc:
                # Left pending: the write may or may not have happened; undo re-reads and compares.
                report.failed.append((proposal.item_id, proposal.title, str(exc)))
                continue
            stored = answer.get("libraryItem", {}).get("media", {}).get("metadata", {})
            wrong = [f for f, v in changes.items() if isinstance(stored, dict) and stored.get(f) != v]
            if wrong:
                self.store.enrich_changes.set_state(ids, FAILED)
                report.failed.append(
                    (proposal.item_id, proposal.title, f"the server kept {', '.join(wrong)}")
                )
                continue
            self.store.enrich_changes.set_state(ids, APPLIED)
            report.written += [(proposal.item_id, f, old, new) for _, f, old, new in recorded]

    async def undo(self, run_id: int) -> UndoReport:
        """Put back the values a run replaced, where the field still holds what the run wrote."""
        report = UndoReport(run_id)
        changes = [
            c for c in self.store.enrich_changes.of_run(run_id, self.user_id) if c.state in (APPLIED, PENDING)
        ]
        by_item: dict[str, list[Any]] = {}
        for change in changes:
            by_item.setdefault(change.item_id, []).append(change)
        for item_id, item_changes in by_item.items():
            try:
                current = await self.abs.item(item_id, expanded=True)
            except NotFound:
                report.kept += [(item_id, c.field, "the item is gone") for c in item_changes]
                continue
            restore: dict[str, str | None] = {}
            done: list[int] = []
            for change in item_changes:
                now_there = _field(dict(current), change.field)
                if now_there == change.new_value:
                    restore[change.field] = change.old_value
                    done.append(change.id)
                elif now_there == change.old_value:
                    done.append(change.id)  # never written (or already put back): nothing to do
                else:
                    report.kept.append((item_id, change.field, f"changed since the run (now {now_there!r})"))
            if restore:
                try:
                    await self.abs.update_media(item_id, dict(restore))
                except BookrelayError as exc:
                    report.failed.append((item_id, ", ".join(restore), str(exc)))
                    continue
                for change in item_changes:
                    if change.field in restore:
                        report.restored.append((item_id, change.field, change.new_value, change.old_value))
            if done:
                self.store.enrich_changes.set_state(done, UNDONE)
        return report
