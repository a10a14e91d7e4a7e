"""The scrobble commands' input checks: bad input is refused with exit 2 before anything is sent."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bookrelay.cli.main import app

runner = CliRunner()
ENV = {"HARDCOVER_TOKEN": "hc_pat_cli_secret_4242", "BOOKRELAY_CONFIG": ""}


def test_bad_status_rating_date_and_format_exit_2_naming_the_option(tmp_path: Path) -> None:
    cases = [
        (["set-status", "123", "finished"], "STATUS"),
        (["mark-read", "123", "--date", "yesterday"], "--date"),
        (["shelf", "export", "--format", "xml"], "--format"),
        (["shelf", "import", str(tmp_path / "missing.csv")], "missing.csv"),
    ]
    for args, place in cases:
        result = runner.invoke(app, args, env=ENV)
        assert result.exit_code == 2, (args, result.output)
        assert place in result.output and "hc_pat_cli_secret_4242" not in result.output


def test_hardcover_connect_needs_oauth_configured() -> None:
    result = runner.invoke(app, ["hardcover", "connect"], env=ENV)
    assert result.exit_code == 2 and "global.hardcover.auth" in result.output
