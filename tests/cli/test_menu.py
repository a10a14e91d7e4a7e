"""``bookrelay menu`` (seed 001's interactive mode) driven through a pty as a person would: pick a
user, sync, settle conflicts one by one (link one, ignore one), see the status, quit — against the
sandbox with its bundled data, checking what the store holds afterwards."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from typer.testing import CliRunner

from bookrelay.app import list_conflicts, load_settings
from bookrelay.cli.main import app
from bookrelay.demo import demo_fixture, sandbox_guide, serve_sandbox
from bookrelay.sandbox.server import build_sandbox
from bookrelay.store.models import ConflictStatus

ENV_NAMES = ("HARDCOVER_TOKEN", "HARDCOVER_API_KEY", "ABS_URL", "ABS_TOKEN", "BOOKRELAY_CONFIG", "TZ")


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    """The config ``sandbox serve`` prints, for a sandbox served here with the bundled data."""
    fixture = demo_fixture(None)
    with serve_sandbox(build_sandbox(fixture)) as base_url:
        lines = sandbox_guide(base_url, fixture).splitlines()
        start, end = lines.index("# --- sandbox.yaml ---"), lines.index("# --- end ---")
        path = tmp_path / "sandbox.yaml"
        path.write_text("\n".join(lines[start + 1 : end]) + "\n", encoding="utf-8")
        yield path


def _spawn(args: list[str], tmp_path: Path, **extra: str) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES} | extra
    # prompt_toolkit asks the terminal for the cursor position; pexpect's pty does not answer.
    env.update(TERM="xterm", COLUMNS="200", HOME=str(tmp_path), PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bookrelay", *args],
        env=env,
        encoding="utf-8",
        timeout=90,
        dimensions=(60, 200),
    )
    return child


def _choose(child: pexpect.spawn, label: str) -> None:
    """Pick the choice whose label starts with ``label`` by its shortcut key, as a person would."""
    child.expect(rf"([0-9a-z])\) {re.escape(label)}")
    child.send(child.match.group(1))
    child.send("\r")


@pytest.mark.slow
def test_the_menu_syncs_settles_conflicts_one_by_one_and_shows_the_status(
    config: Path, tmp_path: Path
) -> None:
    child = _spawn(["menu", "-c", str(config)], tmp_path)
    try:
        child.expect("Which user")
        _choose(child, "demo")
        _choose(child, "Sync now")
        waiting = 0
        for _ in range(3):  # the menu drawn before the sync said 0; the one after it counts them
            child.expect(r"([0-9a-z])\) Settle conflicts \((\d+) waiting\)")
            key, waiting = child.match.group(1), int(child.match.group(2))
            if waiting:
                break
        assert waiting >= 2
        child.send(key)
        child.send("\r")
        child.expect(f"conflict 1 of {waiting}")
        child.expect("Which book is it")
        child.expect(r"1\) (.+?) — score")  # the first candidate, by title (and author)
        first = child.match.group(1)
        child.send("1")
        child.send("\r")
        child.expect("linked to")
        child.expect(f"conflict 2 of {waiting}")
        _choose(child, "Ignore this conflict")
        child.expect("ignored")
        if waiting > 2:
            _choose(child, "Back to the menu")
        else:  # the demo library opens two conflicts since M5 puts page progress on paged editions
            child.expect("that was the last conflict")
        child.expect(rf"Settle conflicts \({waiting - 2} waiting\)")
        _choose(child, "Status")
        child.expect("last runs")
        _choose(child, "Quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert first.split(" by ")[0].strip()
    states = [c.status for c in list_conflicts(load_settings(config), "demo", include_closed=True)]
    assert states.count(ConflictStatus.RESOLVED) == 1 and states.count(ConflictStatus.IGNORED) == 1
    assert states.count(ConflictStatus.OPEN) == waiting - 2


def test_bookrelay_interactive_opens_the_same_menu(config: Path, tmp_path: Path) -> None:
    child = _spawn(["--interactive"], tmp_path, BOOKRELAY_CONFIG=str(config))
    try:
        child.expect("Which user")
        _choose(child, "reader")
        child.expect("reader: what next")
        _choose(child, "Quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_the_menu_without_a_terminal_says_so() -> None:
    result = CliRunner().invoke(app, ["menu"])
    assert result.exit_code == 2 and "needs a terminal" in result.output
