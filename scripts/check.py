"""Run every check the project has, in the order CI runs them: format, lint, types, tests, coverage.

Usage: ``python scripts/check.py [extra pytest args]``. Exits non-zero at the first failing step.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PATHS = ["bookrelay", "tests", "benchmarks", "scripts"]
MIN_COVERAGE = 80


def step(title: str, command: list[str]) -> None:
    """Run one check; stop the whole run with its exit code when it fails."""
    print(f"\n== {title}: {' '.join(command)}", flush=True)
    result = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 (our own tool paths)
    if result.returncode != 0:
        print(f"== {title} failed (exit {result.returncode})", flush=True)
        sys.exit(result.returncode)


def main() -> None:
    """Run format check, lint, types and the test suite with coverage."""
    existing = [p for p in PATHS if (ROOT / p).exists()]
    step("format", [str(BIN / "ruff"), "format", "--check", *existing])
    step("lint", [str(BIN / "ruff"), "check", *existing])
    step("types", [str(BIN / "mypy")])
    os.environ.setdefault("BOOKRELAY_TEST_BACKENDS", "sqlite,postgresql")
    step(
        "tests (SQLite and PostgreSQL)",
        [
            str(BIN / "pytest"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--cov=bookrelay",
            "--cov-report=term",
            f"--cov-fail-under={MIN_COVERAGE}",
            *sys.argv[1:],
        ],
    )


if __name__ == "__main__":
    main()
