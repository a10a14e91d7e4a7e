"""Child processes released at one instant: for the limits and leases that must hold across processes."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def run_together(script: str, argv: list[list[str]], timeout: float = 120) -> list[str]:
    """Run ``python -c script`` once per argument list; each child prints "ready" and waits for a line on
    stdin, so that all start together without sleeping. Returns each child's last line of output."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in argv
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        lines = []
        for child in children:
            out, err = child.communicate(timeout=timeout)
            assert child.returncode == 0, err
            lines.append(out.strip().splitlines()[-1])
        return lines
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
