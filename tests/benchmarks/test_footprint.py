"""The footprint benchmark measures a command in a process of its own and judges it against the
Kubernetes targets; a small library's sync runs through it end to end."""

from __future__ import annotations

from pathlib import Path

from benchmarks.footprint import TARGETS, Row, import_costs, render, run_command, sync_rows


def test_a_command_reports_its_own_peak_memory_and_cpu_time(tmp_path: Path) -> None:
    row = run_command("--version", ["--version"], cwd=tmp_path)
    assert row.note == "exit 0"
    assert 5 < row.peak_mib < 40  # the interpreter itself, not the driver that started it
    assert row.cpu_s > 0 and row.wall_s > 0


def test_verdict_names_the_target_and_whether_it_is_met() -> None:
    mib, cpu = TARGETS["--help"]
    assert mib is not None and cpu is not None
    assert Row("--help", mib, cpu, 1.0).verdict().startswith("met")
    assert Row("--help", mib + 0.1, cpu, 1.0).verdict().startswith("MISSED")
    assert Row("--help", mib, cpu + 0.01, 1.0).verdict().startswith("MISSED")
    assert Row("sync 100 unchanged", 500.0, 99.0, 1.0).verdict() == ""  # no target, no verdict
    assert "MISSED" in render([Row("--version", mib + 1, 0.1, 0.2)])


def test_a_small_sync_runs_first_and_unchanged_through_the_cli(tmp_path: Path) -> None:
    first, unchanged = sync_rows(20, tmp_path)
    assert (first.name, unchanged.name) == ("sync 20 first", "sync 20 unchanged")
    assert first.note == unchanged.note == "exit 0"
    assert first.peak_mib > 30 and unchanged.peak_mib > 30  # the job's libraries are loaded


def test_import_costs_add_up_to_the_total() -> None:
    rows = import_costs()
    assert rows[0][0] == "python"
    assert abs(sum(added for _, added, _ in rows) - rows[-1][2]) < 0.01
    assert all(total > 0 for _, _, total in rows)
