"""How many Hardcover units the progress job spends, against a lower bound, for 100 / 1,000 / 10,000 items.

For each size the sandbox runs in a process of its own (:mod:`benchmarks.sandbox_process`) and every sync
runs in a fresh process (:mod:`benchmarks.sync_worker`: ``bookrelay.app.run_progress`` over real HTTP to
127.0.0.1, a SQLite store in a temporary folder), so the CPU time and peak RSS printed are bookrelay's own;
the sandbox's are printed apart. Three syncs run one after another: a **first** sync, a sync after **1 %
changed** (linked, in-progress items moved on through the fake ABS's HTTP API, as a player would) and a
sync with **nothing changed**. Per scenario: the Hardcover units used (``GET /_sandbox/stats``), the lower
bound, their ratio, HTTP requests (Hardcover + ABS), wall time, CPU time and peak RSS (and the Python heap
peak with ``--tracemalloc``).

Lower bound (units a perfect client must spend, given the API: ``_in`` filters take 100 values, every
top-level field is one unit, and each written book needs its own mutation):

    1 for ``me``                                       (0 when nothing changed: nothing must be read)
  + shelf pages      ⌈shelf entries to read / 100⌉     first sync: the whole shelf, at least one page;
                                                       later: only the changed books' entries
  + identifier batches ⌈distinct identifiers / 100⌉    identifiers not yet resolved (0 once linked, M2)
  + 2 per book new to the shelf                        insert_user_book + insert/update of its read
  + 1 per changed book already on it                   update_user_book_read
  + 0 per unchanged book

The bound leaves out ``search``: the 10 % of items found only by title and author need one search request
each (``search`` cannot be batched), so a first sync cannot reach ratio 1.0; the ``searches`` column shows
that share.

Rate limits must not make this slow: by default the fake and the client get limits so high that nothing
waits (the units counted are the same). ``--pace`` instead runs a first sync in real time with the free
plan scaled 10x (600 a minute, burst 100, in the fake and in the client) for well over a minute of paced
traffic and reports the rate achieved after the burst against the allowed rate, and the number of 429s.

Both **depth modes** run by default: ``open`` (Hardcover today) and ``depth 3`` (the fake refuses documents
nested deeper than 3, Hardcover's announced limit, ref §3; bookrelay learns it from the first refusal of each
sync and sends its depth-3 forms, which cost more units). The last lines compare them per 1,000 items.

    .venv/bin/python -m benchmarks.progress_budget --sizes 100,1000
    .venv/bin/python -m benchmarks.progress_budget --sizes 1000 --modes open
    .venv/bin/python -m benchmarks.progress_budget --pace
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.datasets import UNLIMITED, BudgetDataset, budget_dataset, change_progress, items_to_change
from benchmarks.sandbox_process import SandboxProcess
from benchmarks.sync_worker import USER, WorkerResult, bench_config, run_worker

__all__ = ["USER", "bench_config"]  # the matching benchmark configures its in-process runs the same way

PACE_LIMITS = {"per_minute": 600, "burst": 100, "daily": 1_000_000_000, "max_top_level": 5}
PACE_ITEMS = 500  # about 1,050 units: the burst plus ~95 s of paced traffic at 10 units a second
SHELF_PAGE = ID_BATCH = 100


@dataclass(frozen=True, slots=True)
class Bound:
    """The lower bound of one scenario, part by part (see the module docstring)."""

    me: int
    shelf_pages: int
    identifier_batches: int
    new_books: int
    changed_books: int

    @property
    def total(self) -> int:
        """The bound in units."""
        return self.me + self.shelf_pages + self.identifier_batches + 2 * self.new_books + self.changed_books


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """What one sync of one library size cost: Hardcover traffic, bookrelay's process, the sandbox's."""

    size: int
    scenario: str
    units: int
    bound: Bound
    searches: int
    hc_requests: int
    abs_requests: int
    worker: WorkerResult
    sandbox_cpu_s: float
    sandbox_rss_mb: float

    @property
    def ratio(self) -> float | None:
        """Units used over the lower bound (None when the bound is 0)."""
        return self.units / self.bound.total if self.bound.total else None

    @property
    def error(self) -> str | None:
        """The sync's error, if it stopped."""
        return self.worker.error

    @property
    def written(self) -> int:
        """Books the sync wrote."""
        return self.worker.written


def first_sync_bound(dataset: BudgetDataset, shelf_entries: int = 0) -> Bound:
    """The bound of a first sync: every findable item becomes a new shelf entry with a read."""
    identifiers = {i.identifier for i in dataset.items if i.identifier}
    findable = sum(1 for i in dataset.items if i.kind != "absent")
    return Bound(
        me=1,
        shelf_pages=max(1, math.ceil(shelf_entries / SHELF_PAGE)),
        identifier_batches=math.ceil(len(identifiers) / ID_BATCH),
        new_books=findable,
        changed_books=0,
    )


def changed_sync_bound(changed: int) -> Bound:
    """The bound of a sync where ``changed`` linked books moved on (0 units when none did)."""
    if changed == 0:
        return Bound(0, 0, 0, 0, 0)
    return Bound(1, math.ceil(changed / SHELF_PAGE), 0, 0, changed)


def prepared_store(db: Path) -> Path:
    """Create and migrate the SQLite store at ``db`` here, as ``bookrelay db upgrade`` would before a first
    sync, so that the measured syncs open an up-to-date store (Alembic's one-time cost is not a sync's)."""
    from bookrelay.store.facade import Store

    Store.open(f"sqlite:///{db}", secret_key=None).close()
    return db


# Depth modes: the fake's ``max_depth`` (None: no limit, as on Hardcover today).
MODES: dict[str, int | None] = {"open": None, "depth 3": 3}


def run_scenarios(
    size: int,
    *,
    seed: int = 0,
    trace_top: int = 0,
    db_dir: str | None = None,
    max_depth: int | None = None,
) -> list[ScenarioResult]:
    """The three syncs (first, 1 % changed, nothing changed) of a library of ``size`` items.

    The SQLite store lives in a temporary folder under ``db_dir`` (default: the system's temp folder);
    ``trace_top`` > 0 runs the syncs under tracemalloc and keeps that many top allocation sites;
    ``max_depth`` makes the fake Hardcover refuse documents nested deeper (the flat mode).
    """
    limits: dict[str, int] = {**UNLIMITED, **({"max_depth": max_depth} if max_depth is not None else {})}
    dataset = budget_dataset(size, seed=seed, limits=limits)
    searches = dataset.count("title") + dataset.count("absent")
    to_change = items_to_change(dataset, 0.01, seed=seed + 1)
    first = first_sync_bound(dataset)
    results: list[ScenarioResult] = []
    with (
        tempfile.TemporaryDirectory(prefix="bookrelay-bench-", dir=db_dir) as tmp,
        SandboxProcess(dataset.fixture) as sandbox,
        httpx.Client(base_url=sandbox.base_url, timeout=60.0) as http,
    ):
        del dataset  # the child holds the fixture; the labels needed are taken above
        db = prepared_store(Path(tmp) / "bench.db")
        for name in ("first", "1% changed", "unchanged"):
            bound, expected_searches = changed_sync_bound(0), 0
            if name == "first":
                bound, expected_searches = first, searches
            elif name == "1% changed":
                bound = changed_sync_bound(change_progress(http, to_change))
            results.append(_measure(sandbox, db, size, name, bound, expected_searches, trace_top))
    return results


def _measure(
    sandbox: SandboxProcess, db: Path, size: int, name: str, bound: Bound, searches: int, trace_top: int
) -> ScenarioResult:
    before, child_before = sandbox.stats(), sandbox.usage()
    worker = run_worker(sandbox.base_url, db, UNLIMITED, trace_top=trace_top)
    after, child_after = sandbox.stats(), sandbox.usage()
    hc, abs_ = "hardcover", "audiobookshelf"
    return ScenarioResult(
        size=size,
        scenario=name,
        units=after[hc]["units"] - before[hc]["units"],
        bound=bound,
        searches=searches,
        hc_requests=after[hc]["requests"] - before[hc]["requests"],
        abs_requests=after[abs_]["requests"] - before[abs_]["requests"],
        worker=worker,
        sandbox_cpu_s=child_after.cpu_s - child_before.cpu_s,
        sandbox_rss_mb=child_after.peak_rss_mb,
    )


@dataclass(frozen=True, slots=True)
class PaceResult:
    """A real-time first sync under scaled limits: the rate achieved after the burst, and 429s."""

    items: int
    units: int
    per_minute: int
    burst: int
    rate_limited: int
    paced_units: int  # units spent after the first ``burst`` units
    paced_s: float  # from the request that used up the burst to the last request
    wall_s: float
    error: str | None

    @property
    def allowed_rate(self) -> float:
        """Units a second the limit refills."""
        return self.per_minute / 60

    @property
    def achieved_rate(self) -> float:
        """Units a second spent after the burst."""
        return self.paced_units / self.paced_s if self.paced_s > 0 else 0.0

    @property
    def share(self) -> float:
        """Achieved over allowed rate (1.0: the client ran at the limit)."""
        return self.achieved_rate / self.allowed_rate


def paced_window(timeline: Sequence[tuple[float, int, int]], burst: int) -> tuple[int, float]:
    """(units, seconds) from the request that took the running count past ``burst`` to the last one.

    ``timeline`` is the sandbox's per-request (finished at, running units, status) record.
    """
    accepted = [(t, units) for t, units, status in timeline if status != 429]
    start = next((i for i, (_, units) in enumerate(accepted) if units >= burst), None)
    if start is None or start == len(accepted) - 1:
        return 0, 0.0
    (t0, u0), (t1, u1) = accepted[start], accepted[-1]
    return u1 - u0, t1 - t0


def run_pace(items: int = PACE_ITEMS, *, seed: int = 0, limits: dict[str, int] | None = None) -> PaceResult:
    """A real-time first sync of ``items`` under ``limits`` (default: the free plan x10), fake and client."""
    limits = dict(limits or PACE_LIMITS)
    dataset = budget_dataset(items, seed=seed, limits=limits)
    with (
        tempfile.TemporaryDirectory(prefix="bookrelay-pace-") as tmp,
        SandboxProcess(dataset.fixture) as sandbox,
    ):
        worker = run_worker(sandbox.base_url, prepared_store(Path(tmp) / "pace.db"), limits)
        stats, timeline = sandbox.stats()["hardcover"], sandbox.timeline()
    paced_units, paced_s = paced_window(timeline, limits["burst"])
    return PaceResult(
        items=items,
        units=stats["units"],
        per_minute=limits["per_minute"],
        burst=limits["burst"],
        rate_limited=stats["rate_limited"],
        paced_units=paced_units,
        paced_s=paced_s,
        wall_s=worker.wall_s,
        error=worker.error,
    )


def format_results(results: Sequence[ScenarioResult]) -> str:
    """A fixed-width table of scenario results (bookrelay's process first, then the sandbox's)."""
    head = (
        f"{'items':>6} {'scenario':<11} {'units':>6} {'bound':>6} {'ratio':>6} {'search':>6} "
        f"{'hc req':>6} {'abs req':>7} {'wall s':>7} {'cpu s':>7} {'rss MB':>7} {'heap MB':>7} "
        f"{'fake cpu':>8} {'fake MB':>7}  note"
    )
    lines = [head]
    for r in results:
        w = r.worker
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "n/a"
        heap = f"{w.heap_peak_mb:.1f}" if w.heap_peak_mb is not None else "-"
        lines.append(
            f"{r.size:>6} {r.scenario:<11} {r.units:>6} {r.bound.total:>6} {ratio:>6} {r.searches:>6} "
            f"{r.hc_requests:>6} {r.abs_requests:>7} {w.wall_s:>7.2f} {w.cpu_s:>7.2f} {w.peak_rss_mb:>7.1f} "
            f"{heap:>7} {r.sandbox_cpu_s:>8.2f} {r.sandbox_rss_mb:>7.0f}  {w.error or f'written {w.written}'}"
        )
    if results:
        w = results[0].worker
        lines.append(
            f"(bookrelay process: {w.rss_start_mb:.0f} MB at start, {w.rss_imported_mb:.0f} MB imported)"
        )
    for r in results:
        if r.worker.top_allocations:
            lines.append(f"top live allocations at the end of '{r.scenario}' ({r.size} items):")
            lines.extend("  " + line for line in r.worker.top_allocations)
    return "\n".join(lines)


def format_pace(result: PaceResult) -> str:
    """The pace run in words."""
    return (
        f"pace: {result.items} items, {result.units} units in {result.wall_s:.1f}s under "
        f"{result.per_minute}/min burst {result.burst}: after the burst {result.paced_units} units in "
        f"{result.paced_s:.1f}s = {result.achieved_rate:.2f}/s of {result.allowed_rate:.2f}/s allowed "
        f"({result.share:.1%}), {result.rate_limited} answers 429"
        + (f", error: {result.error}" if result.error else "")
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line (``--sizes``, ``--pace``, ``--db-dir``…), run, print; 1 on a failed run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100,1000,10000", help="library sizes, comma-separated")
    parser.add_argument("--pace", action="store_true", help="real-time pace run under 10x limits instead")
    parser.add_argument("--pace-items", type=int, default=PACE_ITEMS)
    parser.add_argument(
        "--tracemalloc", type=int, default=0, metavar="N", help="heap peak and N top sites (slower)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db-dir", help="folder for the temporary SQLite store (e.g. /dev/shm: no fsync)")
    parser.add_argument(
        "--modes", default=",".join(MODES), help=f"depth modes, comma-separated ({', '.join(MODES)})"
    )
    args = parser.parse_args(argv)
    if args.pace:
        pace = run_pace(args.pace_items, seed=args.seed)
        print(format_pace(pace))
        return 0 if pace.error is None else 1
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"--modes: unknown {', '.join(unknown)} (known: {', '.join(MODES)})")
    all_results: list[Any] = []
    by_mode: dict[str, list[ScenarioResult]] = {m: [] for m in modes}
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        for mode in modes:
            results = run_scenarios(
                size, seed=args.seed, trace_top=args.tracemalloc, db_dir=args.db_dir, max_depth=MODES[mode]
            )
            all_results.extend(results)
            by_mode[mode].extend(results)
            print(f"mode: {mode}\n{format_results(results)}", flush=True)
    if len(modes) == 2:
        print(format_mode_comparison(by_mode[modes[0]], by_mode[modes[1]], modes[0], modes[1]))
    return 0 if all(r.error is None for r in all_results) else 1


def format_mode_comparison(
    base: Sequence[ScenarioResult], other: Sequence[ScenarioResult], base_name: str, other_name: str
) -> str:
    """Units of two modes side by side per size and scenario, with the difference per 1,000 items."""
    lines = [f"{'items':>6} {'scenario':<11} {base_name:>8} {other_name:>8} {'more':>6} {'per 1,000':>9}"]
    others = {(r.size, r.scenario): r for r in other}
    for r in base:
        o = others.get((r.size, r.scenario))
        if o is None:
            continue
        more = o.units - r.units
        lines.append(
            f"{r.size:>6} {r.scenario:<11} {r.units:>8} {o.units:>8} {more:>+6} {more * 1000 / r.size:>+9.0f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
