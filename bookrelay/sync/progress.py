"""The progress job for one user: collect → match → plan → apply → record.

Items whose source state is unchanged since their last settled run cost no Hardcover request;
a run where nothing changed spends zero units. The entries may come from several sources (each
entry names its own, and links are kept per source); when two report the same Hardcover book, only
the newest is planned (A4).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bookrelay.connectors.hardcover.api import HardcoverApi
from bookrelay.domain.actions import WRITES, Action, Hold, MarkFinished, OpenConflict, Skip
from bookrelay.domain.identifiers import identifiers_hash
from bookrelay.domain.models import Book, Edition, UserBook
from bookrelay.domain.plan import LastWritten, ProgressSettings, TargetState, plan_progress
from bookrelay.domain.progress import source_fraction
from bookrelay.domain.sources import BookReport, merge_by_book
from bookrelay.errors import BookrelayError, kind_of, unexpected_error_text
from bookrelay.matching.outcome import MatchOutcome
from bookrelay.matching.pipeline import Resolver
from bookrelay.matching.resolution import Resolution, Shelf
from bookrelay.matching.score import MatchScore
from bookrelay.store.facade import Store
from bookrelay.store.models import OutboxState, RunStatus
from bookrelay.store.repositories import LinkState
from bookrelay.sync.apply import ItemWrites, apply_writes
from bookrelay.sync.lease import LeaseSettings, run_lease
from bookrelay.sync.own_writes import Claim, claim_payload, claims_by_item, own_reads
from bookrelay.sync.progress_record import record_items
from bookrelay.sync.report import PlannedItem, ProgressReport, changes_of, item_facts
from bookrelay.sync.sources import SourceEntry

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
        run = self.store.runs.start(self.user_id, "progress", dry_run=dry_run)
        report.run_id = run.id
        session = self.hardcover.session
        units_before, requests_before = session.budget.units_spent, session.budget.requests_sent
        self.hardcover.shapes.reset()  # one warning per odd field per run (S3)
        try:
            await self._run(report, dry_run=dry_run, limit=limit, force=force, keep_plan=keep_plan or dry_run)
        except BookrelayError as exc:  # auth, quota and the like stop this user's run (N4)
            report.error, report.error_kind = str(exc), kind_of(exc)
        except Exception as exc:  # a bug or an unforeseen case: the run failed, the caller still sees it
            report.error = unexpected_error_text(exc)
            raise
        finally:
            report.notes.extend(self.hardcover.shapes.notes())
            report.units_spent = session.budget.units_spent - units_before
            report.requests = session.budget.requests_sent - requests_before
            report.units_left_today = session.budget.daily_remaining
            status = {"ok": RunStatus.OK, "partial": RunStatus.PARTIAL, "failed": RunStatus.FAILED}[
                report.status
            ]
            self._record_changes(run.id, report)
            self.store.runs.finish(run.id, status, report.summary(), report.units_spent, report.error)
        return report

    def _record_changes(self, run_id: int, report: ProgressReport) -> None:
        """What changed, item by item, for the run page and `bookrelay status` (one insert for all); stored
        before the run shows as finished (a page showing it done shows its changes too), and a failure here
        loses the list, never the run's own record."""
        try:
            self.store.runs.add_events(run_id, [change.event() for change in report.changes])
        except BookrelayError as exc:
            log.warning("the list of what run %s changed was not stored: %s", run_id, exc)

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
            resolutions += [_compact(r) for r in matched]
            self._tick("matching", len(resolutions), len(todo))
        del todo
        superseded = merge_by_book(self._book_reports(resolutions))
        for start in range(0, len(resolutions), self.chunk_size):
            chunk = resolutions[start : start + self.chunk_size]
            plans: list[list[Action]] = [
                [_superseded(r.item_id, superseded[r.item_id])]
                if r.item_id in superseded
                else self._plan(r, shelf, links.get(r.item_id))
                for r in chunk
            ]
            if keep_plan:
                report.plan += [
                    PlannedItem(r.item_id, r.entry.item.title, tuple(a), r.note, r.entry.item.authors)
                    for r, a in zip(chunk, plans, strict=True)
                ]
            if dry_run:
                self._count(report, chunk, plans, None, shelf)
                continue
            written = await self._apply(chunk, plans, shelf, report, done=start, total=len(resolutions))
            self._count(report, chunk, plans, written, shelf)
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

    # -- planning ---------------------------------------------------------------------------------

    def _book_reports(self, resolutions: list[Resolution]) -> list[BookReport]:
        """The linked items as the A4 merge sees them (a finish date counts as an update)."""
        return [
            BookReport(
                r.item_id,
                r.entry.item.source.value,
                r.book_id,
                r.entry.progress.last_update or r.entry.progress.finished_at,
                source_fraction(r.entry.progress, r.entry.item.duration_seconds),
            )
            for r in resolutions
            if r.outcome is MatchOutcome.LINKED and r.book_id is not None
        ]

    def _plan(self, resolution: Resolution, shelf: Shelf, link: LinkState | None) -> list[Action]:
        item_id = resolution.item_id
        if resolution.outcome is MatchOutcome.FAILED:
            return [Skip(item_id, f"failed: {resolution.reason}")]
        if resolution.outcome is MatchOutcome.CONFLICT:
            return [OpenConflict(item_id, resolution.reason, resolution.candidates)]
        if resolution.outcome is MatchOutcome.UNMATCHED:
            return [Skip(item_id, f"unmatched: {resolution.reason}")]
        assert resolution.book_id is not None
        user_book: UserBook | None = shelf.by_book.get(resolution.book_id)
        created, finished = own_reads(self._claims.get(item_id, ()), user_book)
        target = TargetState(
            book_id=resolution.book_id,
            edition=resolution.edition,
            user_book=user_book,
            edition_id=resolution.edition_id,
            edition_conflict=resolution.edition_conflict,
            own_reads=created,
            own_finishes=finished,
            candidates=resolution.candidates,
        )
        last = None
        if (
            link is not None
            and link.hardcover_book_id == resolution.book_id
            and link.last_progress is not None
        ):
            last = LastWritten(
                fraction=link.last_progress,
                progress_seconds=int(link.last_progress_seconds)
                if link.last_progress_seconds is not None
                else None,
                read_id=link.read_id,
                written_at=link.last_written_at,
            )
        entry = resolution.entry
        return plan_progress(entry.item, entry.progress, target, self.settings, self.tz, last)

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

    def _count(
        self,
        report: ProgressReport,
        resolutions: list[Resolution],
        plans: list[list[Action]],
        written: dict[str, ItemWrites] | None,
        shelf: Shelf,
    ) -> None:
        """Count each item's outcome; ``written`` is None for a dry run, which counts what it would write."""
        for resolution, actions in zip(resolutions, plans, strict=True):
            item = resolution.entry.item
            if resolution.outcome is MatchOutcome.FAILED:  # this item only; the run goes on (S3)
                report.failed.append((item.item_id, item.title, resolution.reason))
                continue
            outcome_of = written.get(item.item_id) if written is not None else None
            for change in changes_of(
                item,
                actions,
                before=shelf.by_book.get(resolution.book_id) if resolution.book_id else None,
                fraction=source_fraction(resolution.entry.progress, item.duration_seconds),
                unmatched=resolution.reason if resolution.outcome is MatchOutcome.UNMATCHED else None,
                written=None if outcome_of is None else outcome_of.ok,
                error=outcome_of.error if outcome_of is not None else None,
                dry_run=report.dry_run,
            ):
                report.note(change)
            if resolution.outcome is MatchOutcome.LINKED and resolution.method is not None:
                report.linked[resolution.method.value] += 1
            for action in actions:
                if isinstance(action, Hold):
                    report.held[action.rule] += 1
                elif isinstance(action, OpenConflict):
                    report.conflicts_opened += 1
                    report.conflicts.append((item.item_id, item.title, action.reason))
                elif isinstance(action, Skip) and resolution.outcome is MatchOutcome.UNMATCHED:
                    report.unmatched.append((item.item_id, item.title, resolution.reason))
                elif isinstance(action, Skip):
                    report.skipped += 1
            if written is None:
                if any(isinstance(action, WRITES) for action in actions):
                    report.written += 1  # "written (would be)": the same items a real run would write
                    if resolution.note:
                        report.item_notes.append((item.item_id, item.title, resolution.note))
                continue
            outcome = written.get(item.item_id)
            if outcome is not None and outcome.ok and resolution.note:
                report.item_notes.append((item.item_id, item.title, resolution.note))
            if outcome is not None:
                if outcome.ok:
                    report.written += 1
                    if any(isinstance(action, MarkFinished) for action in actions):
                        report.finished.append(item.title)
                else:
                    report.failed.append((item.item_id, item.title, outcome.error or "failed"))

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


def _compact(resolution: Resolution) -> Resolution:
    """What planning, writing and recording still read of a resolution: the score's total, not its parts;
    the edition's id, length and format, not its texts; candidates only for a conflict; no reason for a
    link. Every resolution of a run is held until the last chunk is written (A4 needs them all), so this
    bounds a run's memory."""
    score, edition = resolution.score, resolution.edition
    return replace(
        resolution,
        score=MatchScore(score.total, ()) if score is not None else None,
        edition=Edition(
            edition.id,
            edition.book_id,
            pages=edition.pages,
            audio_seconds=edition.audio_seconds,
            reading_format=edition.reading_format,
        )
        if edition is not None
        else None,
        candidates=resolution.candidates
        if resolution.outcome is MatchOutcome.CONFLICT or resolution.edition_conflict
        else (),
        book=Book(b.id, b.title, b.authors, image_url=b.image_url) if (b := resolution.book) else None,
        # Only a conflict's or an unmatched item's reason is shown; a link's (the edition's) is not.
        reason="" if resolution.outcome is MatchOutcome.LINKED else resolution.reason,
    )


def _superseded(item_id: str, winner: BookReport) -> Hold:
    """A4: another source's newer report on the same book is written instead of this one."""
    return Hold(item_id, "A4", f"superseded by {winner.source} (item {winner.item_id}, a newer update)")
