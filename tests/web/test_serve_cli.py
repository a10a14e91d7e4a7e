"""``bookrelay serve``: its options, and the once mode of SYNC_INTERVAL=0."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bookrelay.cli import serve as serve_command
from bookrelay.cli.main import app


def test_serve_is_registered_with_host_and_port() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output


def test_sync_interval_zero_runs_every_job_once_and_exits_with_its_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(serve_command, "load_settings", lambda path: path)  # the file is not the point here
    monkeypatch.setattr(serve_command, "run_once", lambda config: calls.append(config) or ([], 1))
    monkeypatch.setattr(serve_command, "serve_app", lambda *a: pytest.fail("must not serve in the once mode"))
    result = CliRunner().invoke(app, ["serve"], env={"SYNC_INTERVAL": "0"})
    assert result.exit_code == 1 and calls == [None]


def test_serve_passes_host_and_port_on(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[object, ...]] = []
    monkeypatch.setattr(serve_command, "serve_app", lambda *a: seen.append(a))
    result = CliRunner().invoke(
        app, ["serve", "--host", "0.0.0.0", "--port", "9000"], env={"SYNC_INTERVAL": ""}
    )
    assert result.exit_code == 0 and seen == [(None, "0.0.0.0", 9000)]


def test_cron_is_serve_by_another_name_for_a_compose_that_runs_command_cron(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seed 001's compose runs `command: ["cron"]`: the same service process as `serve` starts."""
    seen: list[tuple[object, ...]] = []
    monkeypatch.setattr(serve_command, "serve_app", lambda *a: seen.append(a))
    result = CliRunner().invoke(app, ["cron", "--port", "9001"], env={"SYNC_INTERVAL": ""})
    assert result.exit_code == 0 and seen == [(None, None, 9001)]
    listing = CliRunner().invoke(app, ["--help"])
    assert "cron" in listing.output and "The same as serve" in listing.output
