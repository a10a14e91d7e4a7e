"""How many Hardcover units the progress job spends, against a lower bound, for 100 / 1,000 / 10,000 items.

For each size it runs three syncs through :func:`bookrelay.app.run_progress` against the in-process sandbox
with a temporary SQLite store: a **first** sync, a sync after **1 % changed** (linked, in-progress items
moved on in the fake ABS) and a sync with **nothing changed**. Per scenario it prints the Hardcover units
used (the fake's own count), the lower bound, their ratio, HTTP requests (Hardcover + ABS), wall time, CPU
time and peak RSS (and the Python heap peak with ``--tracemalloc``).

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
waits (the units counted are the same). ``--pace`` instead runs in real time with the free plan scaled
100x (6,000 a minute, burst 1,000, in the fake and in the client) over a few thousand units and reports the
pace achieved as a share of what the limit allowed, and the number of 429 answers.

    .venv/bin/python -m benchmarks.progress_budget --sizes 100,1000
    .venv/bin/python -m benchmarks.progress_budget --pace
"""

from __future__ import annotations

import argparse
import asyncio
import math
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.datasets import UNLIMITED, BudgetDataset, budget_dataset, change_progress, items_to_change
from bookrelay.app import run_progress
from bookrelay.config import Config
from bookrelay.sandbox.demo_data import DEMO_ABS_KEY, DEMO_HARDCOVER_TOKEN
from bookrelay.sandbox.hardcover.sample import SAMPLE_NOW, FakeClock
from bookrelay.sandbox.server import Sandbox, build_sandbox
from bookrelay.store.facade import Store
from bookrelay.sync.report import ProgressReport

HC_URL = "http://sandbox/hardcover/v1/graphql"
ABS_URL = "http://sandbox/abs"
USER = "bench"
PACE_LIMITS = {"per_minute": 6000, "burst": 1000, "daily": 1_000_000_000, "max_top_level": 5}
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
    """What one sync of one library size cost."""

    size: int
    scenario: str
    units: int
    bound: Bound
    searches: int
    hc_requests: int
    abs_requests: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    heap_peak_mb: float | None
    written: int
    error: str | None

    @property
    def ratio(self) -> float | None:
        """Units used over the lower bound (None when the bound is 0)."""
        return self.units / self.bound.total if self.bound.total else None


def bench_config(db: Path, limits: dict[str, int]) -> Config:
    """A one-user configuration pointing at the in-process sandbox, with these Hardcover limits."""
    return Config.model_validate(
        {
            "global": {
                "database": f"sqlite:///{db}",
                "secret_key_file": str(db.with_suffix(".key")),
                "workers": 1,
                "hardcover": {
                    "url": HC_URL,
                    "per_minute": limits["per_minute"],
                    "burst": limits["burst"],
                    "daily": limits["daily"],
                },
            },
            "users": [
                {
                    "id": USER,
                    "hardcover": {"token": DEMO_HARDCOVER_TOKEN},
                    "audiobookshelf": {"url": ABS_URL, "api_key": DEMO_ABS_KEY},
                }
            ],
        }
    )


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


class _Meter:
    """Wall time, CPU time, peak RSS and (optionally) the Python heap peak around one scenario."""

    def __init__(self, heap: bool) -> None:
        self.heap = heap

    def __enter__(self) -> _Meter:
        if self.heap:
            tracemalloc.start()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        self.heap_mb: float | None = None
        if self.heap:
            self.heap_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()


async def _sync(config: Config, sandbox: Sandbox, store: Store) -> ProgressReport:
    transport = httpx.ASGITransport(app=sandbox.app)
    [report] = await run_progress(config, [USER], transport=transport, store=store)
    return report


async def run_scenarios(
    size: int, *, seed: int = 0, heap: bool = False, db_dir: str | None = None
) -> list[ScenarioResult]:
    """The three syncs (first, 1 % changed, nothing changed) of a library of ``size`` items.

    The SQLite store lives in a temporary folder under ``db_dir`` (default: the system's temp folder).
    """
    dataset = budget_dataset(size, seed=seed)
    clock = FakeClock(SAMPLE_NOW)
    sandbox = build_sandbox(dataset.fixture, clock=clock)
    searches = dataset.count("title") + dataset.count("absent")
    results: list[ScenarioResult] = []
    with tempfile.TemporaryDirectory(prefix="bookrelay-bench-", dir=db_dir) as tmp:
        config = bench_config(Path(tmp) / "bench.db", UNLIMITED)
        store = Store.open(config.database_url, secret_key=None)
        try:
            plan = [
                ("first", first_sync_bound(dataset), searches, None),
                ("1% changed", None, 0, items_to_change(dataset, 0.01, seed=seed + 1)),
                ("unchanged", changed_sync_bound(0), 0, None),
            ]
            for name, bound, expected_searches, to_change in plan:
                clock.advance(86_400)
                if to_change is not None:
                    bound = changed_sync_bound(change_progress(sandbox.audiobookshelf, to_change))
                assert bound is not None
                results.append(
                    await _measure(size, name, bound, expected_searches, config, sandbox, store, heap)
                )
        finally:
            store.close()
    return results


async def _measure(
    size: int,
    name: str,
    bound: Bound,
    searches: int,
    config: Config,
    sandbox: Sandbox,
    store: Store,
    heap: bool,
) -> ScenarioResult:
    hc_before, abs_before = sandbox.hardcover.stats(), sandbox.audiobookshelf.stats()
    with _Meter(heap) as meter:
        report = await _sync(config, sandbox, store)
    hc_after, abs_after = sandbox.hardcover.stats(), sandbox.audiobookshelf.stats()
    return ScenarioResult(
        size=size,
        scenario=name,
        units=hc_after["units"] - hc_before["units"],
        bound=bound,
        searches=searches,
        hc_requests=hc_after["requests"] - hc_before["requests"],
        abs_requests=abs_after["requests"] - abs_before["requests"],
        wall_s=meter.wall,
        cpu_s=meter.cpu,
        peak_rss_mb=meter.rss_mb,
        heap_peak_mb=meter.heap_mb,
        written=report.written,
        error=report.error,
    )


@dataclass(frozen=True, slots=True)
class PaceResult:
    """A real-time run under scaled limits: how close the client came to the allowed rate."""

    items: int
    units: int
    wall_s: float
    per_minute: int
    burst: int
    rate_limited: int
    error: str | None

    @property
    def allowed(self) -> float:
        """Units the limit allowed in the run's wall time: the burst plus the refill."""
        return self.burst + self.per_minute / 60 * self.wall_s

    @property
    def share(self) -> float:
        """Units used over units allowed (1.0: the client ran at the limit)."""
        return self.units / self.allowed if self.allowed else 0.0


async def run_pace(items: int = 1500, *, seed: int = 0, limits: dict[str, int] | None = None) -> PaceResult:
    """A first sync of ``items`` in real time with the free plan scaled 100x in the fake and the client."""
    limits = dict(limits or PACE_LIMITS)
    dataset = budget_dataset(items, seed=seed, limits=limits)
    sandbox = build_sandbox(dataset.fixture)  # real time: the fake's bucket refills by the wall clock
    with tempfile.TemporaryDirectory(prefix="bookrelay-pace-") as tmp:
        config = bench_config(Path(tmp) / "pace.db", limits)
        store = Store.open(config.database_url, secret_key=None)
        try:
            start = time.perf_counter()
            report = await _sync(config, sandbox, store)
            wall = time.perf_counter() - start
        finally:
            store.close()
    stats = sandbox.hardcover.stats()
    return PaceResult(
        items,
        stats["units"],
        wall,
        limits["per_minute"],
        limits["burst"],
        stats["rate_limited"],
        report.error,
    )


def format_results(results: Sequence[ScenarioResult]) -> str:
    """A fixed-width table of scenario results."""
    head = (
        f"{'items':>6} {'scenario':<11} {'units':>6} {'bound':>6} {'ratio':>6} {'search':>6} "
        f"{'hc req':>6} {'abs req':>7} {'wall s':>7} {'cpu s':>7} {'rss MB':>7} {'heap MB':>7}  note"
    )
    lines = [head]
    for r in results:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "n/a"
        heap = f"{r.heap_peak_mb:.1f}" if r.heap_peak_mb is not None else "-"
        lines.append(
            f"{r.size:>6} {r.scenario:<11} {r.units:>6} {r.bound.total:>6} {ratio:>6} {r.searches:>6} "
            f"{r.hc_requests:>6} {r.abs_requests:>7} {r.wall_s:>7.2f} {r.cpu_s:>7.2f} {r.peak_rss_mb:>7.0f} "
            f"{heap:>7}  {r.error or f'written {r.written}'}"
        )
    return "\n".join(lines)


def format_pace(result: PaceResult) -> str:
    """The pace run in words."""
    return (
        f"pace: {result.items} items, {result.units} units in {result.wall_s:.1f}s under "
        f"{result.per_minute}/min burst {result.burst}: {result.share:.0%} of the allowed "
        f"{result.allowed:.0f} units, {result.rate_limited} answers 429"
        + (f", error: {result.error}" if result.error else "")
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line (``--sizes``, ``--pace``, ``--db-dir``…), run, print; 1 on a failed run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100,1000,10000", help="library sizes, comma-separated")
    parser.add_argument("--pace", action="store_true", help="real-time pace run under 100x limits instead")
    parser.add_argument("--pace-items", type=int, default=1500)
    parser.add_argument("--tracemalloc", action="store_true", help="also the Python heap peak (slower)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db-dir", help="folder for the temporary SQLite store (e.g. /dev/shm: no fsync)")
    args = parser.parse_args(argv)
    if args.pace:
        print(format_pace(asyncio.run(run_pace(args.pace_items, seed=args.seed))))
        return 0
    all_results: list[Any] = []
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        results = asyncio.run(run_scenarios(size, seed=args.seed, heap=args.tracemalloc, db_dir=args.db_dir))
        all_results.extend(results)
        print(format_results(results), flush=True)
    return 0 if all(r.error is None for r in all_results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
