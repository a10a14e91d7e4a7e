"""What each ``bookrelay`` command costs its own process: peak resident memory and CPU seconds.

Every command runs in a fresh process as a user, cron or Kubernetes would start it, against the sandbox in
a process of its own (:mod:`benchmarks.sandbox_process`) over real HTTP to 127.0.0.1, with a SQLite store
created and migrated beforehand (``bookrelay db upgrade``, not measured). A command that exits reports its
own figures when it ends (:data:`MEASURED`: ``VmHWM`` of ``/proc/self/status`` and ``os.times()``, so
neither the driver's memory nor its children's CPU leak in); a command that keeps running (``serve``,
``worker``) is read from ``/proc/PID`` while it runs. The table ends with the targets of the seed's
Kubernetes limits (64Mi for a CronJob) and whether each is met; the exit status is 1 when one is missed.

    .venv/bin/python -m benchmarks.footprint --db-dir /dev/shm                      # every row
    .venv/bin/python -m benchmarks.footprint --sizes 100,1000 --skip serve,worker   # quicker
    .venv/bin/python -m benchmarks.footprint --imports      # what each library adds, in a fresh process
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchmarks.datasets import UNLIMITED, budget_dataset
from benchmarks.sandbox_process import SandboxProcess, free_port, process_usage
from benchmarks.sync_worker import bench_config_data

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "footprint-bench-key"
WANTED_BOOKS = 250
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# The measured process: `bookrelay ARGS…` exactly as the console script runs it, plus an exit hook that
# writes this process's own peak RSS and CPU time (its children's are not counted) to $FOOTPRINT_OUT.
MEASURED = """
import atexit, json, os, sys
def _report():
    peak = 0
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    t = os.times()
    with open(os.environ["FOOTPRINT_OUT"], "w") as out:
        json.dump({"peak_mib": peak, "cpu_s": t.user + t.system}, out)
atexit.register(_report)
sys.argv = ["bookrelay", *sys.argv[1:]]
from bookrelay.cli.main import run
run()
"""

# What a `wanted` or `sync` process loads, in the order it loads it; --imports prints what each step adds
# to the resident memory of one fresh interpreter (a step's cost depends on what came before it).
IMPORT_STEPS: tuple[tuple[str, str], ...] = (
    ("typer (the CLI)", "import typer"),
    ("httpx (with ssl)", "import httpx"),
    ("SQLAlchemy Core", "import sqlalchemy"),
    ("pydantic (and a first model)", "import pydantic\nclass _M(pydantic.BaseModel):\n    a: int = 1"),
    ("PyYAML", "import yaml"),
    ("bookrelay's config models", "import bookrelay.config"),
    ("SQLAlchemy ORM", "import sqlalchemy.orm"),
    ("bookrelay's ORM models", "import bookrelay.store.models"),
    ("the wanted job (connectors, sync)", "import bookrelay.cli.wanted"),
    ("rapidfuzz", "import rapidfuzz.fuzz, rapidfuzz.process"),
    ("python-stdnum", "import stdnum.isbn"),
    ("the progress job (matching, sync)", "import bookrelay.cli.progress"),
    ("an httpx client (certifi's CAs)", "httpx.AsyncClient()"),
)
IMPORT_PROBE = """
import sys
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
print("python", rss())
for name, code in STEPS:
    exec(code, globals())
    print(name, rss())
"""


def import_costs() -> list[tuple[str, float, float]]:
    """(step, MiB it added, MiB in all) for :data:`IMPORT_STEPS`, in one fresh interpreter."""
    code = f"STEPS = {IMPORT_STEPS!r}\n{IMPORT_PROBE}"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    rows, before = [], 0.0
    for line in done.stdout.strip().splitlines():
        name, _, mib = line.rpartition(" ")
        rows.append((name, float(mib) - before, float(mib)))
        before = float(mib)
    return rows


# The targets of issue 18: (MiB, CPU seconds); None where the issue sets none.
TARGETS: dict[str, tuple[float | None, float | None]] = {
    "--version": (40, 0.3),
    "--help": (40, 0.3),
    f"wanted ({WANTED_BOOKS} books)": (56, None),
    "sync 1000 first": (56, None),
    "sync 10000 first": (64, None),
    "serve idle": (96, None),
}


@dataclass(frozen=True, slots=True)
class Row:
    """One measured command."""

    name: str
    peak_mib: float
    cpu_s: float
    wall_s: float
    note: str = ""

    def verdict(self) -> str:
        """``met``, ``MISSED`` or empty (no target), against :data:`TARGETS`."""
        mib, cpu = TARGETS.get(self.name, (None, None))
        if mib is None and cpu is None:
            return ""
        ok = (mib is None or self.peak_mib <= mib) and (cpu is None or self.cpu_s <= cpu)
        want = " ".join(
            part for part in (f"<= {mib} MiB" if mib else "", f"<= {cpu} CPU-s" if cpu else "") if part
        )
        return f"{'met' if ok else 'MISSED'} ({want})"


def run_command(name: str, args: Sequence[str], *, cwd: Path, check: bool = True) -> Row:
    """Run ``bookrelay ARGS`` to its end in a fresh process; its own peak RSS and CPU time."""
    with tempfile.NamedTemporaryFile(prefix="footprint-", suffix=".json", delete=False) as out:
        report = Path(out.name)
    env = {**os.environ, "FOOTPRINT_OUT": str(report)}
    wall = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - wall
    try:
        figures = json.loads(report.read_text())
    finally:
        report.unlink(missing_ok=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"bookrelay {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return Row(name, figures["peak_mib"], figures["cpu_s"], wall, f"exit {done.returncode}")


@contextlib.contextmanager
def running(args: Sequence[str], *, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``bookrelay ARGS`` started in the background and stopped (SIGTERM) on leaving the block."""
    env = {**os.environ, "FOOTPRINT_OUT": os.devnull}
    log = (cwd / "running.log").open("w+b")
    proc = subprocess.Popen(
        [sys.executable, "-c", MEASURED, *args], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield proc
    except BaseException:
        log.seek(0)
        sys.stderr.write(log.read()[-3000:].decode(errors="replace"))
        raise
    finally:
        log.close()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def settled(proc: subprocess.Popen[bytes], name: str, started: float, *, quiet_s: float = 1.0) -> Row:
    """The figures of a long-running process once its CPU time stopped growing for ``quiet_s``."""
    last = process_usage(proc.pid)
    while True:
        time.sleep(quiet_s)  # sampling a live process: it is idle when a whole interval adds no CPU time
        if proc.poll() is not None:
            raise RuntimeError(f"{name}: the process exited with status {proc.returncode}")
        now = process_usage(proc.pid)
        if now.cpu_s - last.cpu_s < 0.02:
            return Row(name, now.peak_rss_mb, now.cpu_s, time.perf_counter() - started)
        last = now


def write_config(path: Path, data: dict[str, Any]) -> Path:
    """``data`` as a YAML config file; the store it names is migrated (not measured)."""
    path.write_text(yaml.safe_dump(data), "utf-8")
    command = [sys.executable, "-m", "bookrelay", "db", "upgrade", "-c", str(path)]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return path


def sync_rows(size: int, tmp: Path) -> list[Row]:
    """``sync`` of a library of ``size`` items: first, then unchanged."""
    with SandboxProcess(budget_dataset(size).fixture) as sandbox:
        db = tmp / f"sync{size}.db"
        config = write_config(tmp / f"sync{size}.yaml", bench_config_data(db, UNLIMITED, sandbox.base_url))
        return [
            run_command(f"sync {size} {name}", ["sync", "-c", str(config)], cwd=tmp)
            for name in ("first", "unchanged")
        ]


def wanted_row(tmp: Path) -> Row:
    """``wanted`` of a Want to Read shelf of :data:`WANTED_BOOKS` books into an empty-ish Bookshelf."""
    from bookrelay.sandbox.bookshelf.demo import DEMO_API_KEY, DEMO_TOKEN, wanted_sections

    fixture = wanted_sections(WANTED_BOOKS).sections()
    fixture["hardcover"]["limits"] = UNLIMITED
    with SandboxProcess(fixture) as sandbox:
        base = sandbox.base_url
        data = bench_config_data(tmp / "wanted.db", UNLIMITED, base)
        data["global"]["jobs"] = {"wanted": True}
        data["global"]["bookshelf"] = {"url": f"{base}/bookshelf", "api_key": DEMO_API_KEY}
        data["global"]["rreading_glasses"] = {"url": f"{base}/rreading-glasses"}
        data["users"][0]["hardcover"] = {"token": DEMO_TOKEN}
        del data["users"][0]["audiobookshelf"]
        config = write_config(tmp / "wanted.yaml", data)
        row = run_command(f"wanted ({WANTED_BOOKS} books)", ["wanted", "-c", str(config)], cwd=tmp)
        added = sandbox.stats().get("bookshelf", {}).get("books_added")
        return Row(row.name, row.peak_mib, row.cpu_s, row.wall_s, f"{row.note}, {added} books added")


def serve_rows(tmp: Path, size: int) -> list[Row]:
    """``serve`` idle (scheduler on with every job's schedule off, the real-time trigger polling the API-key
    user's Audiobookshelf) and after a progress run of ``size`` items started through the API."""
    with SandboxProcess(budget_dataset(size).fixture) as sandbox:
        port = free_port()
        data = bench_config_data(tmp / "serve.db", UNLIMITED, sandbox.base_url)
        data["global"]["server"] = {"host": "127.0.0.1", "port": port, "api_key": API_KEY}
        data["global"]["schedule"] = dict.fromkeys(("progress", "wanted", "enrich", "scrobble"), "off")
        config = write_config(tmp / "serve.yaml", data)
        started = time.perf_counter()
        with (
            running(["serve", "-c", str(config)], cwd=tmp) as proc,
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers={"X-Api-Key": API_KEY}, timeout=30
            ) as http,
        ):
            _wait_http(http, "/healthz", proc)
            idle = settled(proc, "serve idle", started)
            run_id = http.post("/api/v1/runs", json={"user_id": "bench"}).raise_for_status().json()["run_id"]
            while http.get(f"/api/v1/runs/{run_id}").json()["status"] in ("running", "queued"):
                time.sleep(0.5)  # polling the run's status through the API, as a user would
            busy = settled(proc, f"serve, a {size}-item run", started)
            status = http.get(f"/api/v1/runs/{run_id}").json()["status"]
        return [idle, Row(busy.name, busy.peak_mib, busy.cpu_s, busy.wall_s, f"run {status}")]


def worker_row(tmp: Path) -> Row | None:
    """``worker`` idle on an empty PostgreSQL queue (None when no PostgreSQL answers on 127.0.0.1)."""
    import sqlalchemy

    name = f"bookrelay_footprint_{os.getpid()}"
    admin = sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError:
        return None
    try:
        data = bench_config_data(tmp / "unused.db", UNLIMITED, "http://127.0.0.1:9")
        data["global"].update(
            database=f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", queue="postgres"
        )
        config = write_config(tmp / "worker.yaml", data)
        with running(["worker", "-c", str(config), "--metrics-port", "0"], cwd=tmp) as proc:
            return settled(proc, "worker idle", time.perf_counter(), quiet_s=2.0)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _wait_http(http: httpx.Client, path: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited with status {proc.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if http.get(path).status_code == 200:
                return
        time.sleep(0.1)  # polling a child that is still starting, not a timing assumption
    raise RuntimeError(f"serve did not answer {path} within 60 s")


def measure(sizes: Sequence[int], skip: set[str], db_dir: str | None) -> list[Row]:
    """Every row of the table, in order."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bookrelay-footprint-", dir=db_dir) as name:
        tmp = Path(name)
        rows.append(run_command("--version", ["--version"], cwd=tmp))
        rows.append(run_command("--help", ["--help"], cwd=tmp))
        for size in sizes:
            rows.extend(sync_rows(size, tmp))
        if sizes:
            config = tmp / f"sync{sizes[0]}.yaml"
            rows.insert(2, run_command("config check", ["config", "check", "-c", str(config)], cwd=tmp))
        if "wanted" not in skip:
            rows.append(wanted_row(tmp))
        if "serve" not in skip:
            rows.extend(serve_rows(tmp, min(sizes or [100])))
        if "worker" not in skip:
            worker = worker_row(tmp)
            if worker is not None:
                rows.append(worker)
    return rows


def render(rows: Sequence[Row]) -> str:
    """The table as printed."""
    lines = [f"{'command':<26} {'peak MiB':>8} {'CPU s':>7} {'wall s':>7}  {'target':<30} note"]
    for row in rows:
        lines.append(
            f"{row.name:<26} {row.peak_mib:>8.1f} {row.cpu_s:>7.2f} {row.wall_s:>7.2f}  {row.verdict():<30} "
            f"{row.note}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``--sizes``, ``--skip``, ``--db-dir``; measure; print the table; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100,1000,10000", help="sync library sizes, comma-separated")
    parser.add_argument("--skip", default="", help="rows to leave out: wanted,serve,worker")
    parser.add_argument("--db-dir", help="folder for the temporary stores (e.g. /dev/shm: no fsync)")
    parser.add_argument("--imports", action="store_true", help="only what each library adds (MiB)")
    args = parser.parse_args(argv)
    if args.imports:
        for name, added, total in import_costs():
            print(f"{name:<36} {added:>+6.1f} MiB  = {total:5.1f} MiB")
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows = measure(sizes, {s.strip() for s in args.skip.split(",") if s.strip()}, args.db_dir)
    print(render(rows), flush=True)
    return 1 if any(row.verdict().startswith("MISSED") for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
