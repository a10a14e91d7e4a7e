"""The sandbox in a process of its own, so that a benchmark measures bookrelay and not the fakes.

:class:`SandboxProcess` writes a fixture to a file, starts ``python -m benchmarks.sandbox_process FILE PORT``
(every fake under uvicorn on a free loopback port, see :func:`serve`), waits until it answers and stops it
on exit. Besides the sandbox's own ``/_sandbox/stats`` the child serves ``/_bench/timeline``: for every
Hardcover request, when it finished (the child's monotonic clock), the fake's running unit count and the
HTTP status, from which the pace benchmark reads the rate the client achieved. ``/_bench/usage`` answers
the child's own CPU time (``time.process_time``, nanosecond resolution: ``/proc``'s clock ticks of 10 ms
read 0 for a sync that asked the child for little) and peak RSS, reported next to the client's own.

    with SandboxProcess(fixture) as sandbox:
        url = sandbox.base_url            # http://127.0.0.1:PORT
        units = sandbox.stats()["hardcover"]["units"]
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

READY_TIMEOUT_S = 120.0  # building the fakes of a 10,000-item fixture takes a few seconds on 2 cores
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True, slots=True)
class ProcessUsage:
    """CPU seconds (user + system) and peak resident memory (MiB) of a process so far."""

    cpu_s: float
    peak_rss_mb: float


def process_usage(pid: int) -> ProcessUsage:
    """CPU time and peak RSS (``VmHWM``) of a live process, read from ``/proc`` (Linux only)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime (fields 14 and 15 of stat)
    peak_kib = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak_kib = int(line.split()[1])
    return ProcessUsage(cpu, peak_kib / 1024)


def free_port() -> int:
    """A loopback port that was free a moment ago (the child binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxProcess:
    """Every fake served by a child process from ``fixture``; a context manager that starts and stops it."""

    def __init__(self, fixture: dict[str, Any], *, ready_timeout: float = READY_TIMEOUT_S) -> None:
        self._fixture = fixture
        self._ready_timeout = ready_timeout
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running child."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The child's process id (only while it runs)."""
        if self._proc is None:
            raise RuntimeError("the sandbox process is not running")
        return self._proc.pid

    def __enter__(self) -> SandboxProcess:
        self._tmp = tempfile.TemporaryDirectory(prefix="bookrelay-sandbox-")
        path = Path(self._tmp.name) / "fixture.json"
        path.write_text(json.dumps(self._fixture), "utf-8")
        self._fixture = {}  # the child owns the data now: do not keep a second copy alive here
        self.port = free_port()
        command = [
            sys.executable, "-m", "benchmarks.sandbox_process", str(path), str(self.port), str(os.getpid())
        ]  # fmt: skip
        self._proc = subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._ready_timeout
        assert self._proc is not None
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the sandbox process exited with status {self._proc.returncode}")
            try:
                httpx.get(f"{self.base_url}/_sandbox/stats", timeout=2.0).raise_for_status()
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the sandbox did not answer within {self._ready_timeout:.0f}s"
                    ) from None
                time.sleep(0.05)  # polling a child that is still loading, not a timing assumption

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def stats(self) -> dict[str, Any]:
        """``GET /_sandbox/stats``: every fake's counters (Hardcover units, requests, 429s…)."""
        response = httpx.get(f"{self.base_url}/_sandbox/stats", timeout=30.0)
        response.raise_for_status()
        return dict(response.json())

    def timeline(self) -> list[tuple[float, int, int]]:
        """Per Hardcover request so far: (finished at, the fake's unit count after it, HTTP status)."""
        response = httpx.get(f"{self.base_url}/_bench/timeline", timeout=30.0)
        response.raise_for_status()
        return [(float(t), int(u), int(s)) for t, u, s in response.json()]

    def usage(self) -> ProcessUsage:
        """The child's CPU time (as the child measures it) and peak RSS so far."""
        response = httpx.get(f"{self.base_url}/_bench/usage", timeout=30.0)
        response.raise_for_status()
        body = response.json()
        return ProcessUsage(float(body["cpu_s"]), float(body["peak_rss_mb"]))


def _exit_with(parent: int) -> None:
    """Stop this child when the benchmark that started it is gone (killed before it could stop us)."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def serve(fixture_path: Path, port: int, parent: int | None = None) -> None:
    """The child: build the sandbox from the fixture file and serve it (plus the timeline) on loopback;
    with ``parent``, exit when that process is gone."""
    if parent is not None:
        _exit_with(parent)
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.types import Receive, Scope, Send

    from bookrelay.sandbox.server import build_sandbox, load_fixture

    sandbox = build_sandbox(load_fixture(fixture_path))
    hardcover = sandbox.hardcover
    timeline: list[tuple[float, int, int]] = []

    async def timeline_route(_: Request) -> JSONResponse:
        return JSONResponse(timeline)

    async def usage_route(_: Request) -> JSONResponse:
        own = process_usage(os.getpid())
        return JSONResponse({"cpu_s": time.process_time(), "peak_rss_mb": own.peak_rss_mb})

    sandbox.app.router.routes.insert(0, Route("/_bench/timeline", timeline_route))
    sandbox.app.router.routes.insert(0, Route("/_bench/usage", usage_route))
    inner = sandbox.app

    async def recorder(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/hardcover/"):
            await inner(scope, receive, send)
            return
        status = 0

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await inner(scope, receive, send_status)
        timeline.append((time.monotonic(), int(hardcover.stats()["units"]), status))

    uvicorn.run(recorder, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
