"""The measured process: one progress sync (``bookrelay.app.run_progress``) over real HTTP to a sandbox.

A benchmark starts ``python -m benchmarks.sync_worker --base-url http://127.0.0.1:PORT --db FILE …`` once
per sync, as cron would start ``bookrelay sync``, so that the figures are bookrelay's alone: CPU time of the
sync, the RSS after the imports and the process's peak RSS (``getrusage`` of itself), optionally the Python
heap peak and its top allocation sites (``--tracemalloc N``). The last line on stdout is one JSON object
(:class:`WorkerResult` fields); everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB.

    ``VmHWM`` of ``/proc/self/status`` where there is one: Linux carries ``getrusage``'s ``ru_maxrss`` over
    ``execve`` from the parent that started us, so a child of a big benchmark driver would report the
    driver's peak; ``VmHWM`` belongs to this program's own address space.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Measured before bookrelay is imported: the interpreter alone.
_RSS_START_MB = peak_rss_mb()

USER = "bench"
ABS_PREFIX = "/abs"
HC_PATH = "/hardcover/v1/graphql"
IN_PROCESS_URL = "http://sandbox"


@dataclass(slots=True)
class WorkerResult:
    """What one sync cost the bookrelay process, and what it reported."""

    wall_s: float
    cpu_s: float
    rss_start_mb: float
    rss_imported_mb: float
    peak_rss_mb: float
    heap_peak_mb: float | None
    written: int
    items_seen: int
    units_spent: int
    requests: int
    error: str | None
    top_allocations: list[str] = field(default_factory=list)


def bench_config_data(db: Path, limits: dict[str, int], base_url: str = IN_PROCESS_URL) -> dict[str, Any]:
    """A one-user configuration, as a config file would hold it, for the sandbox at ``base_url`` with
    these Hardcover limits.

    The default base URL is the one an in-process ``httpx.ASGITransport`` answers (the matching benchmark).
    """
    from bookrelay.sandbox.demo_data import DEMO_ABS_KEY, DEMO_HARDCOVER_TOKEN

    return {
        "global": {
            "database": f"sqlite:///{db}",
            "secret_key_file": str(db.with_suffix(".key")),
            "workers": 1,
            "hardcover": {
                "url": base_url + HC_PATH,
                "per_minute": limits["per_minute"],
                "burst": limits["burst"],
                "daily": limits["daily"],
            },
        },
        "users": [
            {
                "id": USER,
                "hardcover": {"token": DEMO_HARDCOVER_TOKEN},
                "audiobookshelf": {"url": base_url + ABS_PREFIX, "api_key": DEMO_ABS_KEY},
            }
        ],
    }


def bench_config(db: Path, limits: dict[str, int], base_url: str = IN_PROCESS_URL) -> Any:
    """:func:`bench_config_data`, validated."""
    from bookrelay.config import Config

    return Config.model_validate(bench_config_data(db, limits, base_url))


async def _sync(config: Any) -> Any:
    from bookrelay.app.progress import run_progress
    from bookrelay.store.facade import Store

    store = Store.open(config.database_url, secret_key=None)
    try:
        [report] = await run_progress(config, [USER], store=store)  # no transport: real HTTP
    finally:
        store.close()
    return report


def run_once(base_url: str, db: Path, limits: dict[str, int], *, trace_top: int = 0) -> WorkerResult:
    """Import bookrelay, run one sync against ``base_url`` and measure it (this process only)."""
    import bookrelay.app.progress  # noqa: F401  (the import cost is reported apart from the sync's)

    imported = peak_rss_mb()
    config = bench_config(db, limits, base_url)
    if trace_top:
        tracemalloc.start(8)
    wall, cpu = time.perf_counter(), time.process_time()
    report = asyncio.run(_sync(config))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    heap, top = None, []
    if trace_top:
        heap = tracemalloc.get_traced_memory()[1] / 2**20
        top = _top_allocations(trace_top)
        tracemalloc.stop()
    return WorkerResult(
        wall_s=wall,
        cpu_s=cpu,
        rss_start_mb=_RSS_START_MB,
        rss_imported_mb=imported,
        peak_rss_mb=peak_rss_mb(),
        heap_peak_mb=heap,
        written=report.written,
        items_seen=report.items_seen,
        units_spent=report.units_spent,
        requests=report.requests,
        error=report.error,
        top_allocations=top,
    )


def _top_allocations(count: int) -> list[str]:
    """The live allocation sites holding the most memory at the end of the run (grouped by line)."""
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen *>")]
    )
    return [
        f"{stat.size / 2**20:6.2f} MiB {stat.count:>8} blocks  {stat.traceback[0]}"
        for stat in snapshot.statistics("lineno")[:count]
    ]


def run_worker(
    base_url: str, db: Path, limits: dict[str, int], *, trace_top: int = 0, cwd: Path | None = None
) -> WorkerResult:
    """Start this module as a child process, wait for it and return what it measured."""
    import subprocess

    command = [
        sys.executable,
        "-m",
        "benchmarks.sync_worker",
        "--base-url",
        base_url,
        "--db",
        str(db),
        "--limits",
        json.dumps(limits),
        "--tracemalloc",
        str(trace_top),
    ]
    root = cwd or Path(__file__).resolve().parent.parent
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"sync worker failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return WorkerResult(**json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``--base-url``, ``--db``, ``--limits`` (JSON), ``--tracemalloc N``; run; print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--limits", required=True, help="JSON: per_minute, burst, daily")
    parser.add_argument("--tracemalloc", type=int, default=0, help="also the heap peak and N top sites")
    args = parser.parse_args(argv)
    result = run_once(args.base_url, args.db, json.loads(args.limits), trace_top=args.tracemalloc)
    print(json.dumps(asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
