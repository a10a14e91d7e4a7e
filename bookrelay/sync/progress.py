"""The progress job for one user: collect → match → plan → apply → record.

Items whose source state is unchanged since their last settled run cost no Hardcover request;
a run where nothing changed spends zero units. The entries may come from several sources (each
entry names its own, and links are kept per source); when two report the same Hardcover book, only
the newest is planned (A4).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.domain.actions import WRITES, Action
from bookrelay.domain.entries import SourceEntry
from bookrelay.domain.identifiers import identifiers_hash
from bookrelay.domain.plan import ProgressSettings
from bookrelay.domain.sources import merge_by_book
from bookrelay.errors import BookrelayError, unexpected_error_text
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.pipeline import Resolver
from bookrelay.matching.resolution import Resolution, Shelf
from bookrelay.store.facade import Store
from bookrelay.store.models import OutboxState
from bookrelay.store.repositories import LinkState
from bookrelay.sync.apply import ItemWrites, apply_writes
from bookrelay.sync.lease import LeaseSettings, run_lease
from bookrelay.sync.own_writes import Claim, claim_payload, claims_by_item
from bookrelay.sync.progress_count import count_outcomes
from bookrelay.sync.progress_plan import book_reports, compact, plan_item, superseded_hold
from bookrelay.sync.progress_record import record_items
from bookrelay.sync.report import PlannedItem, ProgressReport, item_facts
from bookrelay.sync.runs import RunRecorder

log = logging.getLogger(__name__)

Collector = Callable[[], Awaitable[list[SourceEntry]]]
ProgressCallback = Callable[[str, int, int], None]

_SETTLED = {MatchOutcome.LINKED, MatchOutcome.UNMATCHED, MatchOutcome.CONFLICT, MatchOutcome.IGNORED}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ProgressJob:
    """One user's progress sync; every collaborator is given, nothing is built here."""

    user_id: str
    collect: Collector
    hardcover: HardcoverApi
    resolver: Resolver
    store: Store
    settings: ProgressSettings
    tz: ZoneInfo
    now: Callable[[], datetime] = _utc_now
    on_progress: ProgressCallback | None = None
    # Why a source gave nothing this run (a limit, say), read after ``collect`` into the report.
    source_notes: Callable[[], list[str]] | None = None
    chunk_size: int = field(kw_only=True)  # items per chunk: global.sync.chunk_size
    holder: str = field(default="cli", kw_only=True)  # what starts the run, named when another must wait
    lease: LeaseSettings = field(default_factory=LeaseSettings, kw_only=True)
    # Records the run; a recorder of ``store`` when none is given (one given may carry a reserved run).
    runs: RunRecorder | None = field(default=None, kw_only=True)
    name: str = field(default="progress", init=False)
    # Writes of earlier runs not known to be done, by item: their reads may be ours to correct (P11).
    _claims: dict[str, list[Claim]] = field(default_factory=dict, init=False, repr=False)

    async def run(
        self, *, dry_run: bool = False, limit: int | None = None, force: bool = False, keep_plan: bool = False
    ) -> ProgressReport:
        """Sync progress once; auth and quota errors stop this user's run, an item's error only that item.

        The plan of every item is kept in the report for a dry run, and for a real run only when
        ``keep_plan`` asks (``sync --verbose``): on a large library it is the biggest thing a run holds.
        A real run holds the user's lease (runs of one user never overlap); AlreadyRunning says who has
        it when it stays taken past a short wait. A dry run writes nothing and needs no lease."""
        if dry_run:
            return await self._run_once(dry_run=True, limit=limit, force=force, keep_plan=keep_plan)
        async with run_lease(
            self.store, self.user_id, "progress", holder=self.holder, tz=self.tz, settings=self.lease
        ):
            return await self._run_once(dry_run=False, limit=limit, force=force, keep_plan=keep_plan)

    async def _run_once(
        self, *, dry_run: bool, limit: int | None, force: bool, keep_plan: bool
    ) -> ProgressReport:
        report = ProgressReport(self.user_id, dry_run=dry_run)
        runs = self.runs or RunRecorder(self.store)
        run_id = report.run_id = runs.start(self.user_id, self.name, dry_run=dry_run)
        session = self.hardcover.session
        units_before, requests_before = session.budget.units_spent, session.budget.requests_sent
        self.hardcover.shapes.reset()  # one warning per odd field per run (S3)
        try:
            await self._run(report, dry_run=dry_run, limit=limit, force=force, keep_plan=keep_plan or dry_run)
        except BookrelayError as exc:  # auth, quota and the like stop this user's run (N4)
            report.stop(exc)
        except Exception as exc:  # a bug or an unforeseen case: the run failed, the caller still sees it
            report.error = unexpected_error_text(exc)
            raise
        finally:
            report.notes.extend(self.hardcover.shapes.notes())
            report.units_spent = session.budget.units_spent - units_before
            report.requests = session.budget.requests_sent - requests_before
            report.units_left_today = session.budget.daily_remaining
            # What changed, item by item, for the run page and `bookrelay status` (one insert for all):
            # stored before the run shows as finished, so a page showing it done shows its changes too.
            runs.events(run_id, [change.event() for change in report.changes])
            runs.finish(run_id, report)
        return report

    def _tick(self, phase: str, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(phase, done, total)

    async def _run(
        self, report: ProgressReport, *, dry_run: bool, limit: int | None, force: bool, keep_plan: bool
    ) -> None:
        self._tick("collecting", 0, 1)
        entries = await self.collect()
        if self.source_notes is not None:
            report.notes.extend(self.source_notes())
        if limit is not None:
            entries = entries[:limit]
        report.items_seen = len(entries)
        if not dry_run:
            report.recovered_writes = self._recover_outbox()
        self._claims = claims_by_item((e.id, e.action) for e in self.store.outbox.unsettled(self.user_id))
        # Links are read a chunk of entries at a time and kept only for the items that need Hardcover, so
        # that an unchanged library of any size holds one chunk of them. Keyed by item id from here on:
        # ids never collide across sources (ABS UUIDs, Audible ASINs).
        todo: list[SourceEntry] = []
        links: dict[str, LinkState] = {}
        for start in range(0, len(entries), self.chunk_size):
            window = entries[start : start + self.chunk_size]
            stored = self._links(window)
            self.store.labels.remember(self.user_id, (item_facts(e.item) for e in window))
            selected = self._select(window, stored, report, force=force or report.recovered_writes > 0)
            todo += selected
            links.update(
                (e.item.item_id, stored[e.item.item_id]) for e in selected if e.item.item_id in stored
            )
        del entries  # only the items that need Hardcover are kept from here on
        self._tick("collecting", 1, 1)
        if not todo:
            return
        self._tick("matching", 0, len(todo))
        me = await self.hardcover.me()
        shelf = await self._shelf(me.id, todo, links)
        # Matched, planned, applied and recorded a chunk at a time, so that what a run holds stays small
        # however large the library; A4 needs every source's book first, so matching finishes before.
        resolutions: list[Resolution] = []
        for start in range(0, len(todo), self.chunk_size):
            matched = await self.resolver.resolve(todo[start : start + self.chunk_size], links, shelf)
            resolutions += [compact(r) for r in matched]
            self._tick("matching", len(resolutions), len(todo))
        del todo
        superseded = merge_by_book(book_reports(resolutions))
        for start in range(0, len(resolutions), self.chunk_size):
            chunk = resolutions[start : start + self.chunk_size]
            plans: list[list[Action]] = [
                [superseded_hold(r.item_id, superseded[r.item_id])]
                if r.item_id in superseded
                else plan_item(
                    r,
                    shelf,
                    links.get(r.item_id),
                    self._claims.get(r.item_id, ()),
                    self.settings,
                    self.tz,
                )
                for r in chunk
            ]
            if keep_plan:
                report.plan += [
                    PlannedItem(r.item_id, r.entry.item.title, tuple(a), r.note, r.entry.item.authors)
                    for r, a in zip(chunk, plans, strict=True)
                ]
            if dry_run:
                count_outcomes(report, chunk, plans, None, shelf)
                continue
            written = await self._apply(chunk, plans, shelf, report, done=start, total=len(resolutions))
            count_outcomes(report, chunk, plans, written, shelf)
            self._record(chunk, plans, written)

    def _links(self, entries: Sequence[SourceEntry]) -> dict[str, LinkState]:
        """The stored links of these entries, by item id, read source by source as plain rows."""
        by_source: dict[str, list[str]] = {}
        for entry in entries:
            by_source.setdefault(entry.item.source.value, []).append(entry.item.item_id)
        links: dict[str, LinkState] = {}
        for source, item_ids in by_source.items():
            links.update(self.store.links.states(self.user_id, source, item_ids))
        return links

    # -- selection --------------------------------------------------------------------------------

    def _select(
        self,
        entries: Sequence[SourceEntry],
        links: dict[str, LinkState],
        report: ProgressReport,
        *,
        force: bool,
    ) -> list[SourceEntry]:
        """The entries that need Hardcover this run; the rest are counted from what the store knows."""
        todo: list[SourceEntry] = []
        for entry in entries:
            link = links.get(entry.item.item_id)
            if link is not None and not link.sync_enabled:
                report.disabled += 1
                continue
            if (
                link is None
                or force
                or entry.item.item_id in self._claims
                or link.status not in _SETTLED
                or link.source_fingerprint != entry.fingerprint
            ):
                if (
                    link is not None
                    and link.status == MatchOutcome.CONFLICT
                    and not force
                    and (link.identifiers_hash == identifiers_hash(entry.item))
                ):
                    report.conflicts.append((entry.item.item_id, entry.item.title, "awaiting your decision"))
                    continue
                todo.append(entry)
                continue
            if (
                link.status == MatchOutcome.UNMATCHED
                and link.unmatched_until
                and link.unmatched_until <= self.now()
            ):
                todo.append(entry)  # M4: the TTL passed, search again
                continue
            if link.status == MatchOutcome.UNMATCHED:
                report.unmatched.append((entry.item.item_id, entry.item.title, "nothing matched earlier"))
            elif link.status == MatchOutcome.CONFLICT:
                report.conflicts.append((entry.item.item_id, entry.item.title, "awaiting your decision"))
            else:
                report.unchanged += 1
        return todo

    def _recover_outbox(self) -> int:
        """Writes a killed run left unconfirmed: the run re-reads Hardcover before it plans again (P11)."""
        stale = self.store.outbox.pending(self.user_id)
        for entry in stale:
            self.store.outbox.mark_failed(
                entry.id, "interrupted: Hardcover re-read and the item planned again"
            )
        return len(stale)

    async def _shelf(self, user_id: int, todo: list[SourceEntry], links: dict[str, LinkState]) -> Shelf:
        """The whole shelf when something must be matched (M3), else only the linked books' entries."""
        linked = [links.get(e.item.item_id) for e in todo]
        if all(
            link is not None and link.hardcover_book_id and link.status == MatchOutcome.LINKED
            for link in linked
        ):
            book_ids = sorted({link.hardcover_book_id for link in linked if link and link.hardcover_book_id})
            return Shelf.of(await self.hardcover.user_books_for_books(user_id, book_ids))
        return Shelf.of(await self.hardcover.shelf(user_id))

    # -- applying ---------------------------------------------------------------------------------

    async def _apply(
        self,
        resolutions: list[Resolution],
        plans: list[list[Action]],
        shelf: Shelf,
        report: ProgressReport,
        *,
        done: int = 0,
        total: int = 0,
    ) -> dict[str, ItemWrites]:
        batch: list[ItemWrites] = []
        outbox_ids: dict[str, int] = {}
        # One transaction records every intent before anything is sent (P11), not one per item.
        with self.store.transaction():
            for resolution, actions in zip(resolutions, plans, strict=True):
                writes: list[Action] = [a for a in actions if isinstance(a, WRITES)]
                if not writes:
                    continue
                before = shelf.by_book.get(resolution.book_id) if resolution.book_id else None
                key = "+".join(a.idempotency_key for a in writes)[:255]
                entry = self.store.outbox.add(
                    self.user_id,
                    key,
                    {
                        "item": resolution.item_id,
                        "actions": [type(a).__name__ for a in writes],
                        **claim_payload(resolution.book_id, before, self.now().date()),
                    },
                    run_id=report.run_id,
                )
                if entry.state is OutboxState.DONE:
                    continue  # this exact intent was applied already
                self.store.outbox.mark_sent(entry.id)
                outbox_ids[resolution.item_id] = entry.id
                batch.append(ItemWrites(resolution.item_id, writes, before))
        if not batch:
            return {}
        self._tick("writing", done, total)
        await apply_writes(self.hardcover, batch)
        self._tick("writing", done + len(resolutions), total)
        with self.store.transaction():
            for item_writes in batch:
                if item_writes.ok:
                    self.store.outbox.mark_done(outbox_ids[item_writes.item_id])
                else:
                    self.store.outbox.mark_failed(
                        outbox_ids[item_writes.item_id], item_writes.error or "failed"
                    )
        return {w.item_id: w for w in batch}

    # -- recording --------------------------------------------------------------------------------

    def _record(
        self, resolutions: list[Resolution], plans: list[list[Action]], written: dict[str, ItemWrites]
    ) -> None:
        # One transaction for the chunk's links, conflicts, history and settled outbox entries: all or none.
        with self.store.transaction():
            settled = record_items(self.store, self.user_id, self.now(), resolutions, plans, written)
            # Their earlier unfinished writes are now corrected or confirmed: never claimed again.
            self.store.outbox.settle(
                (c.entry_id for item_id in settled for c in self._claims.pop(item_id, ())),
                "settled by a later run",
            )
