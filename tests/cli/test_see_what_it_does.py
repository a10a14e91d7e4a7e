"""The terminal shows what a run did: the progress bar with units and time left, ``status`` with what
the newest run (or ``--run N``) changed book by book, conflicts by title and author with the user's item
beside the candidates."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bookrelay.cli.main import app
from bookrelay.cli.meter import progress_meter
from bookrelay.service.heartbeat import Heartbeat, Tick
from bookrelay.store.facade import Store
from bookrelay.store.models import RunStatus
from bookrelay.store.repositories import ItemFacts
from bookrelay.sync.report import ItemChange
from tests.cli.test_cli import good_config

runner = CliRunner()


def _store(path: Path) -> Store:
    return Store.open(f"sqlite:///{path / 'store.db'}", secret_key=None)


def test_sync_bar_on_a_terminal_shows_items_units_and_time_left() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=140)
    with progress_meter(console) as on_tick:
        assert not isinstance(on_tick, Heartbeat)
        on_tick(Tick("alice", "matching", 0, 400))
        on_tick(Tick("alice", "matching", 40, 400, units=48, per_minute=60))
        spent = [48]
        on_tick(Tick("alice", "writing", 40, 400, units=48, spent=lambda: spent[0]))
        spent[0] = 99  # units spent while the budget paces the writes, before the next tick
    text = out.getvalue()
    assert "alice: matching" in text and "40/400" in text and "items" in text and "left" in text
    assert "99 units" in text  # the bar reads the budget afresh at each refresh


def test_sync_off_a_terminal_logs_instead_of_drawing() -> None:
    with progress_meter(Console(file=io.StringIO(), force_terminal=False)) as on_tick:
        assert isinstance(on_tick, Heartbeat)


def test_status_shows_what_the_newest_run_changed_by_title(tmp_path: Path) -> None:
    path = good_config(tmp_path)
    with _store(tmp_path) as store:
        old = store.runs.start("alice", "progress")
        store.runs.finish(old.id, RunStatus.OK, {"written": 0})
        run = store.runs.start("alice", "progress")
        changes = [
            ItemChange("written", "abs", "u-1", "Dune", ("Frank Herbert",), "Want to Read → Read", "x", "y"),
            ItemChange("held", "abs", "u-2", "Hyperion", ("Dan Simmons",), "held: behind [P5]", rule="P5"),
        ]
        store.runs.add_events(run.id, [c.event() for c in changes])
        store.runs.finish(run.id, RunStatus.OK, {"written": 1})
        later = store.runs.start("alice", "wanted")
        store.runs.finish(later.id, RunStatus.OK, {})
    status = runner.invoke(app, ["status", "--config", str(path)], env={"COLUMNS": "160"})
    assert status.exit_code == 0, status.stdout + status.stderr
    assert f"what run {run.id}" in status.stdout
    assert "Dune — Frank Herbert" in status.stdout and "Want to Read → Read" in status.stdout
    assert "held: behind [P5]" in status.stdout and "u-1" not in status.stdout
    quiet = runner.invoke(app, ["status", "--run", str(old.id), "--config", str(path)])
    assert "no book was written, held or left for you" in quiet.stdout


def test_conflicts_name_the_book_and_show_the_users_item_beside_the_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hardcover's check of the chosen book is shown by test_M1_conflicts_resolve_and_link_are_checked_…;
    # here no Hardcover is served, and the check is taken as passed.
    monkeypatch.setattr("bookrelay.app.progress._checked_on_hardcover", lambda *args: None)
    path = good_config(tmp_path)
    with _store(tmp_path) as store:
        facts = ItemFacts(
            "abs", "uuid-1", "Dune", ("Frank Herbert",), ("Scott Brick",), 75_600.0, {"asin": "B0X"}
        )
        store.labels.remember("alice", [facts])
        candidates = [
            {
                "book_id": 101,
                "title": "Dune",
                "score": 0.74,
                "authors": ["Frank Herbert"],
                "explanation": "t",
            },
            {"book_id": 102, "title": "Dune Messiah", "score": 0.6, "authors": ["Frank Herbert"]},
        ]
        conflict = store.conflicts.open(
            "alice", "abs", "uuid-1", "Dune", "M4: two close candidates", candidates
        )
    listing = runner.invoke(app, ["conflicts", "list", "--config", str(path)], env={"COLUMNS": "200"})
    assert "Dune — Frank Herbert" in listing.stdout and "two close candidates [M4]" in listing.stdout
    assert "uuid-1" not in listing.stdout
    shown = runner.invoke(
        app, ["conflicts", "show", str(conflict.id), "--config", str(path)], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == 0, shown.stdout + shown.stderr
    for expected in ("your item", "Scott Brick", "21 h 00 min", "ASIN B0X", "Dune Messiah (#102)"):
        assert expected in shown.stdout
    resolved = runner.invoke(
        app, ["conflicts", "resolve", str(conflict.id), "--book", "101", "--config", str(path)]
    )
    assert "“Dune” → “Dune” (book 101)" in resolved.stdout
    with _store(tmp_path) as store:
        label = store.labels.for_user("alice")[("abs", "uuid-1")]
    assert label.hardcover_title == "Dune" and label.hardcover_authors == ("Frank Herbert",)
