"""Coming from another tool: seed 001's config.yaml and seed 002's scrobbler settings, in their own names.

`config import` writes an equivalent bookrelay.yaml and says what each key became; `config check` on the
foreign file names the command; plain `sync` syncs every user, as seed 001's "sync all users (default)".
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bookrelay.cli import progress as progress_command
from bookrelay.cli.main import app
from bookrelay.config import load_config

runner = CliRunner()

ALICE_HC = "hc_pat_alice_secret_123"
BOB_HC = "hc_pat_bob_secret_456"
ALICE_ABS = "abs-alice-secret-789"

SHELFBRIDGE = f"""global:
  min_progress_threshold: 5.0
  parallel: true
  workers: 2
  dry_run: false
  sync_schedule: "0 4 * * *"
  timezone: "Europe/Berlin"
  auto_add_books: false
  prevent_progress_regression: true
users:
  - id: alice
    abs_url: https://abs.example.com
    abs_token: {ALICE_ABS}
    hardcover_token: {ALICE_HC}
  - id: bob
    abs_url: https://abs2.example.com
    abs_token: abs-bob-secret
    hardcover_token: "Bearer {BOB_HC}"
"""

SCROBBLER = """scrobbling:
  hardcover:
    enabled: true
    sync:
      interval: 30m
    direction: bidirectional
    batch_size: 20
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HARDCOVER_TOKEN", "HARDCOVER_API_KEY", "ABS_URL", "ABS_TOKEN", "TZ", "TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("BOOKRELAY_CONFIG", raising=False)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_config_import_writes_an_equivalent_bookrelay_yaml_from_a_shelfbridge_config(tmp_path: Path) -> None:
    source = _write(tmp_path, "config/config.yaml", SHELFBRIDGE)
    target = tmp_path / "bookrelay.yaml"
    result = runner.invoke(app, ["config", "import", str(source), "-o", str(target)], terminal_width=200)
    assert result.exit_code == 0, result.output
    config = load_config(target, {})
    assert config.global_.sync.min_progress == pytest.approx(0.05)  # 5.0 percent
    assert config.global_.workers == 2
    assert config.global_.timezone == "Europe/Berlin"
    assert config.global_.sync.allow_backwards is False
    assert config.schedule_for("alice", "progress") == "0 4 * * *"
    alice, bob = config.users
    assert (alice.id, bob.id) == ("alice", "bob")
    assert alice.audiobookshelf is not None and alice.audiobookshelf.url == "https://abs.example.com"
    assert (
        alice.audiobookshelf.api_key is not None
        and alice.audiobookshelf.api_key.get_secret_value() == ALICE_ABS
    )
    assert bob.hardcover.token is not None and bob.hardcover.token.get_secret_value() == BOB_HC
    # It says what it mapped, and what it left out and why, without printing a token.
    out = result.output
    assert "global.min_progress_threshold → global.sync.min_progress" in out
    assert "users[0].abs_url → users[0].audiobookshelf.url" in out
    assert "global.dry_run: not carried over" in out and "--dry-run" in out
    assert "global.auto_add_books: not carried over" in out
    assert ALICE_HC not in out and ALICE_ABS not in out and BOB_HC not in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # it holds tokens


def test_config_check_on_a_shelfbridge_config_names_the_import_command(tmp_path: Path) -> None:
    source = _write(tmp_path, "config.yaml", SHELFBRIDGE)
    result = runner.invoke(app, ["config", "check", "-c", str(source)], terminal_width=250)
    assert result.exit_code == 2
    first_problem = result.output.splitlines()[2]
    assert f"bookrelay config import {source}" in first_problem and "ShelfBridge" in first_problem


def test_config_import_refuses_to_overwrite_an_existing_file(tmp_path: Path) -> None:
    source = _write(tmp_path, "config.yaml", SHELFBRIDGE)
    target = _write(tmp_path, "bookrelay.yaml", "# mine\n")
    result = runner.invoke(app, ["config", "import", str(source), "-o", str(target)])
    assert result.exit_code == 2 and "--force" in result.output
    assert target.read_text() == "# mine\n"
    forced = runner.invoke(app, ["config", "import", str(source), "-o", str(target), "--force"])
    assert forced.exit_code == 0 and "users:" in target.read_text()


def test_config_import_names_the_file_when_it_is_no_known_shape(tmp_path: Path) -> None:
    source = _write(tmp_path, "other.yaml", "something: else\n")
    result = runner.invoke(app, ["config", "import", str(source), "-o", str(tmp_path / "out.yaml")])
    assert result.exit_code == 2
    assert str(source) in result.output and "scrobbling.hardcover" in result.output
    assert not (tmp_path / "out.yaml").exists()


def test_config_import_names_the_key_of_a_value_it_cannot_convert(tmp_path: Path) -> None:
    source = _write(tmp_path, "config.yaml", SHELFBRIDGE.replace("5.0", "five"))
    result = runner.invoke(app, ["config", "import", str(source), "-o", str(tmp_path / "out.yaml")])
    assert result.exit_code == 2 and "global.min_progress_threshold: 'five' is not a number" in result.output
    assert not (tmp_path / "out.yaml").exists()


def test_config_import_maps_the_scrobbler_settings_30m_and_bidirectional(tmp_path: Path) -> None:
    source = _write(tmp_path, "settings.yaml", SCROBBLER)
    target = tmp_path / "bookrelay.yaml"
    result = runner.invoke(app, ["config", "import", str(source), "-o", str(target)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "scrobbling.hardcover.batch_size: not carried over" in result.output
    check = runner.invoke(app, ["config", "check", "-c", str(source)], terminal_width=250)
    assert check.exit_code == 2 and f"bookrelay config import {source}" in check.output
    assert "HARDCOVER_TOKEN" in result.output  # the file has no user yet: it says how to add one
    env = {"HARDCOVER_TOKEN": ALICE_HC, "ABS_URL": "https://abs.example.com", "ABS_TOKEN": ALICE_ABS}
    config = load_config(target, env)
    assert config.schedule_for("default", "progress") == "every 30m"
    assert config.schedule_for("default", "scrobble") == "every 30m"
    assert config.effective_directions("default").progress == "both"
    assert config.global_.jobs.scrobble is True


def test_30m_and_bidirectional_are_read_where_bookrelay_says_every_30m_and_both(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "bookrelay.yaml",
        f"""global:
  schedule: {{scrobble: 30m}}
  directions: {{progress: bidirectional}}
users:
  - id: alice
    hardcover: {{token: {ALICE_HC}}}
""",
    )
    config = load_config(path, {})
    assert config.schedule_for("alice", "scrobble") == "every 30m"
    assert config.effective_directions("alice").progress == "both"


def test_plain_sync_syncs_every_configured_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seed 001: "Sync all users (default)"; --user still picks one."""
    source = _write(tmp_path, "config.yaml", SHELFBRIDGE)
    target = tmp_path / "bookrelay.yaml"
    assert runner.invoke(app, ["config", "import", str(source), "-o", str(target)]).exit_code == 0
    asked: list[list[str]] = []

    async def fake_run(settings: object, user_ids: list[str], **_: object) -> list[object]:
        asked.append(list(user_ids))
        return []

    monkeypatch.setattr(progress_command, "run_progress", fake_run)
    every = runner.invoke(app, ["sync", "-c", str(target), "--dry-run"])
    assert every.exit_code == 0, every.output
    one = runner.invoke(app, ["sync", "-c", str(target), "--user", "bob"])
    assert one.exit_code == 0, one.output
    assert asked == [["alice", "bob"], ["bob"]]
    # What the written file says must still load as bookrelay's own: both users with their tokens.
    assert yaml.safe_load(target.read_text())["users"][1]["id"] == "bob"
