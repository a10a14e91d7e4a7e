"""Scale-out on the PostgreSQL queue (issue 9): many users, 1, 2 and 4 ``bookrelay worker`` processes.

For each worker count, on a fresh PostgreSQL database: sandbox shards (one process each, users spread
over them so that the fake is not one Python process for everyone) are started, one progress run per
user is queued, then W worker processes (``bookrelay worker --until-empty``) work the queue. Printed:

- jobs per minute (from procrastinate's own events: first start to last finish) and the speed-up;
- each user's peak units in any (scaled) minute, measured by the sandbox as requests arrived, against
  the limit (the shared budget must hold it across processes), and the sandbox's 429 count;
- duplicates and lost writes: per user, every book must have one Hardcover entry with one read at the
  listened position; every queued job must have succeeded once.

Rate limits are scaled: the free plan's 60 a minute with a burst of 10 becomes ``60*scale`` a minute with
the same burst of 10, in the fake and in the client: a minute lasts ``60/scale`` seconds.

Two modes. **CPU-bound** (the default, ``--latency-ms 0``): the fakes answer at once and the limits are
scaled x60, so every worker is busy on its own CPU all the time; on a machine with fewer free cores than
workers the cores are the bound. **Latency** (``--latency-ms N``): the fake Hardcover answers each request
N ms late (``--abs-latency-ms``, default N/5, for Audiobookshelf), an asyncio sleep in the sandbox that costs
no CPU, and the limits are scaled less (``--scale``): as in production, a worker mostly waits on Hardcover
and on each user's rate limit, and throughput is bound by how many runs are in flight (processes x
``--concurrency``, the same for every process count).

    .venv/bin/python -m benchmarks.scale --users 100 --books 200 --workers 1,2,4          # CPU-bound
    .venv/bin/python -m benchmarks.scale --users 128 --books 20 --workers 1,2,4 --latency-ms 150 --scale 1
    .venv/bin/python -m benchmarks.scale --users 40 --books 50 --workers 1,2      # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml

from benchmarks.scale_sandbox import ABS_KEY, TOKEN, abs_fixture, hardcover_fixture, position, serve_shard

PG = "postgresql://postgres@127.0.0.1:5432/{}"
SECRET = "YmVuY2htYXJrIGtleSwgbm90IGEgc2VjcmV0IDEyMzQ="  # a valid Fernet key, for the benchmark only


# -- the parent: one configuration per worker count -------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def admin(sql: str) -> None:
    with psycopg.connect(PG.format("postgres"), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def wait_up(url: str) -> None:
    with httpx.Client() as client:
        for _ in range(600):
            try:
                client.get(url + "/_sandbox/stats")
                return
            except httpx.TransportError:
                time.sleep(0.1)
    raise RuntimeError(f"sandbox at {url} did not start")


def peak_in_window(times: list[tuple[float, int]], window: float) -> int:
    """The most units sent in any ``window`` seconds."""
    ordered = sorted(times)
    best = total = start = 0
    for end in range(len(ordered)):
        total += ordered[end][1]
        while ordered[end][0] - ordered[start][0] >= window:
            total -= ordered[start][1]
            start += 1
        best = max(best, total)
    return best


def one_configuration(args: argparse.Namespace, workers: int, folder: Path) -> dict[str, Any]:
    db = f"bookrelay_scale_{os.getpid()}_{workers}"
    admin(f"DROP DATABASE IF EXISTS {db}")
    admin(f"CREATE DATABASE {db}")
    admin(f"ALTER DATABASE {db} SET synchronous_commit = off")
    url = PG.format(db)
    # Time runs ``scale`` times faster: the refill rate is scaled, the bucket (burst) is not.
    limits = {"per_minute": 60 * args.scale, "burst": 10, "daily": 1_000_000, "max_top_level": 5}
    shards: list[tuple[subprocess.Popen[bytes], str]] = []
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # One process for Hardcover (its URL is global: every user's budget is counted in one place) and
        # ``shards`` processes for Audiobookshelf, users spread over them.
        fixtures = [
            hardcover_fixture(args.users, args.books, limits) | {"latency_ms": {"hardcover": args.latency_ms}}
        ]
        fixtures += [
            abs_fixture(range(k, args.users, args.shards), args.books)
            | {"latency_ms": {"audiobookshelf": abs_latency(args)}}
            for k in range(args.shards)
        ]
        for k, fixture in enumerate(fixtures):
            path = folder / f"sandbox{k}.json"
            path.write_text(json.dumps(fixture))
            port = free_port()
            proc = subprocess.Popen([sys.executable, "-m", "benchmarks.scale", "shard", str(path), str(port)])
            shards.append((proc, f"http://127.0.0.1:{port}"))
        for _, base in shards:
            wait_up(base)
        hardcover, abs_bases = shards[0][1], [base for _, base in shards[1:]]
        config = {
            "global": {
                "database": url,
                "queue": "postgres",
                "hardcover": {
                    "url": f"{hardcover}/hardcover/v1/graphql",
                    "per_minute": limits["per_minute"],
                    "burst": limits["burst"],
                    "daily": 1_000_000,
                },
            },
            "users": [
                {
                    "id": f"u{u}",
                    "hardcover": {"token": TOKEN.format(u)},
                    "audiobookshelf": {
                        "url": f"{abs_bases[u % args.shards]}/abs",
                        "api_key": ABS_KEY.format(u),
                    },
                }
                for u in range(args.users)
            ],
        }
        config_path = folder / "bookrelay.yaml"
        config_path.write_text(yaml.safe_dump(config))
        env = {**os.environ, "BOOKRELAY_SECRET_KEY": SECRET}
        subprocess.run(
            [sys.executable, "-m", "bookrelay", "db", "upgrade", "--config", str(config_path)],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        # What a worker process costs without work (start, imports, schema check, stop): measured on the
        # empty queue, so that the CPU per job can be given without each process's fixed cost.
        idle = subprocess.Popen(worker_command(args, config_path, "idle"), env=env, **QUIET)
        _, _, usage = os.wait4(idle.pid, 0)
        idle_cpu = usage.ru_utime + usage.ru_stime
        queued = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "benchmarks.scale", "defer", str(config_path)], check=True, env=env
        )
        queued = time.monotonic() - queued
        for w in range(workers):
            procs.append(subprocess.Popen(worker_command(args, config_path, f"w{w}"), env=env, **QUIET))
        wall, busy_before = time.monotonic(), machine_busy()
        shard_cpu_before = sum(process_cpu(proc.pid) for proc, _ in shards)
        postgres_before = postgres_cpu()
        worker_cpu = 0.0
        for proc in procs:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            worker_cpu += usage.ru_utime + usage.ru_stime
        wall = time.monotonic() - wall
        cpu = {
            "workers": worker_cpu,
            "worker_fixed": idle_cpu * workers,
            "process_count": workers,
            "sandbox": sum(process_cpu(proc.pid) for proc, _ in shards) - shard_cpu_before,
            "machine": machine_busy() - busy_before,
            "postgres": postgres_cpu() - postgres_before,
        }
        return collect(args, url, shards[0][1], workers, queued, wall) | cpu_figures(cpu, wall, args.users)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for proc, _ in shards:
            proc.terminate()
            proc.wait()
        admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


QUIET: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def worker_command(args: argparse.Namespace, config_path: Path, name: str) -> list[str]:
    """``bookrelay worker`` that stops once the queue is empty, with the benchmark's concurrency."""
    return [
        sys.executable,
        "-m",
        "bookrelay",
        "worker",
        "--config",
        str(config_path),
        "--until-empty",
        "--concurrency",
        str(args.concurrency),
        "--metrics-port",
        "0",
        "--name",
        name,
    ]


def abs_latency(args: argparse.Namespace) -> float:
    """Audiobookshelf's answer delay in ms: as given, else a fifth of Hardcover's (it is a local server)."""
    return args.abs_latency_ms if args.abs_latency_ms is not None else args.latency_ms / 5


def mode_line(args: argparse.Namespace) -> str:
    """Which mode ran, with the settings that make it so."""
    limits = f"rate limits x{args.scale} (60 units a minute -> {60 * args.scale}, burst 10)"
    common = f"{args.users} users x {args.books} books, concurrency {args.concurrency} per worker process"
    if args.latency_ms > 0:
        return (
            f"mode: latency (Hardcover answers {args.latency_ms:g} ms late, Audiobookshelf"
            f" {abs_latency(args):g} ms); {limits}; {common}"
        )
    return f"mode: CPU-bound (fakes answer at once); {limits}; {common}"


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all processes, all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far."""
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds PostgreSQL has used: its live processes plus what the postmaster reaped from ended ones."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = stat.split("(", 1)[1].rsplit(")", 1)
        if name != "postgres":
            continue
        parts = rest.split()
        total += int(parts[11]) + int(parts[12])
        if parts[1] == "1" or (
            Path(f"/proc/{parts[1]}/comm").exists()
            and "postgres" not in Path(f"/proc/{parts[1]}/comm").read_text()
        ):
            total += int(parts[13]) + int(parts[14])  # the postmaster: its reaped backends
    return total / os.sysconf("SC_CLK_TCK")


def cpu_figures(cpu: dict[str, float], wall: float, jobs: int) -> dict[str, Any]:
    """Where the machine's CPU went while the workers ran: ours (workers, sandbox) and the rest
    (PostgreSQL and whatever else runs on the machine)."""
    return {
        "worker_cpu_seconds": round(cpu["workers"], 1),
        "worker_cpu_per_job": round(cpu["workers"] / max(jobs, 1), 2),
        # Less each process's fixed cost (its CPU on an empty queue): what the jobs themselves cost.
        "worker_idle_cpu_per_process": round(cpu["worker_fixed"] / max(cpu["process_count"], 1), 2),
        "worker_cpu_per_job_net": round((cpu["workers"] - cpu["worker_fixed"]) / max(jobs, 1), 2),
        "sandbox_cpu_seconds": round(cpu["sandbox"], 1),
        "postgres_cpu_seconds": round(cpu["postgres"], 1),
        "other_cpu_seconds": round(cpu["machine"] - cpu["workers"] - cpu["sandbox"] - cpu["postgres"], 1),
        "cores_busy": round(cpu["machine"] / wall, 2) if wall else 0.0,
    }


def collect(
    args: argparse.Namespace, url: str, hardcover: str, workers: int, queued: float, wall: float
) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        jobs = conn.execute("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status").fetchall()
        span = conn.execute(
            "SELECT extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded') - min(at)"
            " FILTER (WHERE type = 'started')) FROM procrastinate_events"
        ).fetchone()[0]  # type: ignore[index]
        starts = conn.execute("SELECT count(*) FROM procrastinate_events WHERE type = 'started'").fetchone()[
            0
        ]  # type: ignore[index]
        runs = conn.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall()
    window = 60.0 / args.scale
    peaks: list[float] = []
    lost = duplicates = misplaced = rate_limited = 0
    with httpx.Client(timeout=600) as client:
        for base in [hardcover]:
            sent = client.get(base + "/_bench/sent").json()
            checked = client.get(base + "/_bench/check").json()
            rate_limited += checked["rate_limited"]
            for user, times in sent.items():
                if user != "?":
                    peaks.append(peak_in_window([(t, n) for t, n in times], window))
            for user in {u for u in sent if u != "?"} | set(checked["entries"]):
                number = int(user[1:])
                entries = checked["entries"].get(user, {})
                for b in range(args.books):
                    found = entries.get(str(100 + b), [])
                    if not found:
                        lost += 1
                        continue
                    reads = [r for e in found for r in e["reads"]]
                    if len(found) > 1 or len(reads) > 1:
                        duplicates += 1
                    if [r["progress_seconds"] for r in reads][:1] != [position(number, b)]:
                        misplaced += 1
    done = dict(jobs).get("succeeded", 0)
    return {
        "workers": workers,
        "users": args.users,
        "books": args.books,
        "jobs": dict(jobs),
        "runs": dict(runs),
        "starts": starts,
        "queue_seconds": round(queued, 1),
        "wall_seconds": round(wall, 1),
        "span_seconds": round(float(span or 0), 1),
        "jobs_per_minute": round(done / (float(span) / 60), 1) if span else 0.0,
        "peak_units_per_minute": round(max(peaks, default=0), 1),
        "limit_per_minute": 60,
        "burst": 10,
        "rate_limited_429": rate_limited,
        "lost": lost,
        "duplicates": duplicates,
        "misplaced": misplaced,
    }


async def defer_all(config_path: Path) -> None:
    """Queue one progress run per user (a child process, so the parent stays free of bookrelay state)."""
    from bookrelay import app as composition

    config = composition.load_settings(config_path)
    store = composition.open_store(config)
    runner: Any = composition.service_runner(config, store)
    try:
        for user in config.users:
            await runner(user.id, "progress")
    finally:
        await runner.aclose()
        store.close()


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["shard"]:
        serve_shard(Path(argv[1]), int(argv[2]))
        return
    if argv[:1] == ["defer"]:
        asyncio.run(defer_all(Path(argv[1])))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--books", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4", help="worker process counts to compare")
    parser.add_argument("--concurrency", type=int, default=8, help="users at once per worker process")
    parser.add_argument("--scale", type=int, default=60, help="rate limits x this (a minute = 60/scale s)")
    parser.add_argument("--shards", type=int, default=1, help="Audiobookshelf sandbox processes")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="Hardcover answers this late (0: the CPU-bound mode)"
    )
    parser.add_argument(
        "--abs-latency-ms", type=float, default=None, help="Audiobookshelf answers this late (default: 1/5)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    results = []
    print(mode_line(args), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for workers in [int(w) for w in args.workers.split(",")]:
            result = one_configuration(args, workers, Path(tmp)) | {
                "latency_ms": args.latency_ms,
                "abs_latency_ms": abs_latency(args),
                "scale": args.scale,
                "concurrency": args.concurrency,
            }
            results.append(result)
            base = results[0]["jobs_per_minute"] or 1.0
            rate = result["jobs_per_minute"]
            print(
                f"workers={workers}: {rate} jobs/min (x{rate / base:.2f}) span {result['span_seconds']} s;"
                f" peak {result['peak_units_per_minute']} units per user-minute"
                f" (limit 60 + burst 10), 429s {result['rate_limited_429']}; lost {result['lost']},"
                f" duplicates {result['duplicates']}, misplaced {result['misplaced']}; jobs {result['jobs']},"
                f" starts {result['starts']}; CPU s: workers {result['worker_cpu_seconds']}"
                f" ({result['worker_cpu_per_job']}/job; {result['worker_cpu_per_job_net']}/job less each"
                f" process's {result['worker_idle_cpu_per_process']} s without work),"
                f" sandbox {result['sandbox_cpu_seconds']},"
                f" PostgreSQL {result['postgres_cpu_seconds']}, others {result['other_cpu_seconds']};"
                f" cores busy {result['cores_busy']}/{os.cpu_count()}",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
