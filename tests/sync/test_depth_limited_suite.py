"""The suite's progress, wanted, enrich and scrobble scenarios against a fake Hardcover that refuses
documents nested deeper than 3, the limit Hardcover's API docs announce (ref/hardcover.md §3 roadmap).

Every scenario module of tests/sync runs again, unchanged, in a pytest of its own with
``BOOKRELAY_SANDBOX_HARDCOVER_MAX_DEPTH=3``: every fake Hardcover they build limits depth, and bookrelay
must learn it from the first refusal and keep working. Budget assertions there name both modes' costs
(``tests/sync/harness.py``: ``DEPTH_LIMITED``). The same modules run without the limit in the suite itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bookrelay.sandbox.hardcover.limits import MAX_DEPTH_ENV

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCENARIOS = sorted(
    p.name
    for p in HERE.glob("test_*.py")
    if p.name.startswith(("test_progress", "test_wanted", "test_enrich", "test_scrobble", "test_settled"))
)


def test_the_scenario_modules_are_found() -> None:
    for job in ("progress", "wanted", "enrich", "scrobble"):
        assert any(job in name for name in SCENARIOS), job


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get(MAX_DEPTH_ENV)), reason="already running under the depth limit")
def test_progress_wanted_enrich_and_scrobble_scenarios_pass_under_a_depth_limit_of_3() -> None:
    env = {**os.environ, MAX_DEPTH_ENV: "3", "BOOKRELAY_TEST_BACKENDS": "sqlite"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"]
    command.append(str(HERE))  # this test skips itself there: the variable is set
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    summary = done.stdout.strip().splitlines()[-1:] or [done.stderr[-2000:]]
    assert done.returncode == 0, "\n".join(done.stdout.splitlines()[-60:]) or done.stderr[-4000:]
    assert " passed" in summary[0] and "failed" not in summary[0], summary[0]
