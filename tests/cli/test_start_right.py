"""Starting right: no config file, a folder where the file should be, relative paths in the file,
and the time zone in force (the file wins over the container's TZ)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bookrelay.cli.main import app
from bookrelay.config import load_config, zone_in_force

runner = CliRunner()

ENV_NAMES = (
    "HARDCOVER_TOKEN",
    "HARDCOVER_API_KEY",
    "ABS_URL",
    "ABS_TOKEN",
    "DATABASE_PATH",
    "DATABASE_URL",
    "BOOKRELAY_CONFIG",
    "BOOKRELAY_SECRET_KEY",
    "TIMEZONE",
    "TZ",
)
# Every command that reads the configuration; each must say there is none and suggest init.
COMMANDS = [
    ["status"],
    ["sync", "--dry-run"],
    ["config", "check"],
    ["config", "show"],
    ["doctor"],
    ["wanted", "--dry-run"],
    ["enrich"],
    ["conflicts", "list"],
    ["serve"],
    ["run-once"],
    ["db", "upgrade"],
    ["scrobble", "--dry-run"],
    ["mark-read", "123", "--dry-run"],
    ["audible", "status"],
    ["shelf", "export"],
    ["link", "li_1", "--book", "1"],
    ["wanted", "list"],
    ["worker", "--until-empty"],
    ["hardcover", "connect"],
]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_without_a_config_file_every_command_says_so_and_suggests_init(command: list[str]) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "no configuration file" in result.output and "bookrelay init" in result.output


def test_a_folder_bind_mounted_in_place_of_the_file_is_named_as_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "bookrelay.yaml"
    folder.mkdir()  # what `docker run -v ./missing.yaml:/config/bookrelay.yaml` leaves behind
    result = runner.invoke(app, ["status", "-c", str(folder)])
    assert result.exit_code == 2
    assert "is a folder, not a file" in result.output and "does not exist" not in result.output


CONFIG = """\
global:
  timezone: Europe/Berlin
  database: sqlite:///./data/store.db
  secret_key_file: keys/secret.key
users:
  - id: alice
    hardcover: {token: "hc_pat_start_right_test"}
"""


def test_relative_store_and_key_paths_are_relative_to_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home" / "books"
    (home / "keys").mkdir(parents=True)  # a key folder named in the file must exist (S3)
    path = home / "bookrelay.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(Path("../home/books/bookrelay.yaml"), env={})
    assert config.database_url == f"sqlite:///{home / 'data' / 'store.db'}"
    assert config.global_.secret_key_file == home / "keys" / "secret.key"
    result = runner.invoke(app, ["status", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert (home / "data" / "store.db").is_file() and (home / "keys" / "secret.key").is_file()
    assert list(elsewhere.iterdir()) == []  # nothing created where the command was run


def test_an_environment_database_path_stays_relative_to_the_working_folder(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "bookrelay.yaml"
    (path.parent / "keys").mkdir(parents=True)
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path, env={"DATABASE_PATH": "here.db"})
    assert config.database_url == f"sqlite:///{tmp_path / 'here.db'}"


def test_P10_the_files_time_zone_wins_over_the_containers_TZ(tmp_path: Path) -> None:
    path = tmp_path / "bookrelay.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    (tmp_path / "keys").mkdir()
    assert str(load_config(path, env={"TZ": "America/Chicago"}).timezone_for("alice")) == "Europe/Berlin"
    assert zone_in_force(path, {"TZ": "America/Chicago"}) == ("Europe/Berlin", f"{path}:2")
    # $TIMEZONE is bookrelay's own variable: it still overrides the file, and says so.
    assert str(load_config(path, env={"TIMEZONE": "Asia/Tokyo"}).timezone_for("alice")) == "Asia/Tokyo"
    assert zone_in_force(path, {"TIMEZONE": "Asia/Tokyo"}) == ("Asia/Tokyo", "$TIMEZONE")
    # Without a zone in the file, TZ is taken, and the origin says why.
    path.write_text(CONFIG.replace("  timezone: Europe/Berlin\n", ""), encoding="utf-8")
    assert str(load_config(path, env={"TZ": ":America/Chicago"}).timezone_for("alice")) == "America/Chicago"
    zone, origin = zone_in_force(path, {"TZ": "America/Chicago"})
    assert zone == "America/Chicago" and origin.startswith("$TZ")
    assert zone_in_force(path, {})[0] == "UTC"


def test_P10_config_check_says_which_zone_is_in_force_and_from_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bookrelay.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    (tmp_path / "keys").mkdir()
    monkeypatch.setenv("TZ", "America/Chicago")
    result = runner.invoke(app, ["config", "check", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert f"time zone Europe/Berlin (from {path}:2)" in " ".join(result.output.split())


def test_the_readmes_first_screen_goes_from_nothing_to_a_first_dry_run() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    first_screen = readme[: readme.index("## Quick start for developers")]
    block = first_screen[
        first_screen.index("```sh") : first_screen.index("```", first_screen.index("```sh") + 5)
    ]
    commands = [line.split("#")[0].strip() for line in block.splitlines()[1:] if line.strip()]
    commands = [c for c in commands if c]
    steps = ["pipx install .", "bookrelay init", "bookrelay doctor", "bookrelay sync --dry-run"]
    assert [c for c in commands if c in steps] == steps  # in this order
    assert readme.index("make demo") > readme.index("bookrelay sync --dry-run")  # dev quick start below
    for command in commands:
        if command.startswith("bookrelay "):
            args = command.split()[1:]
            result = runner.invoke(app, [*[a for a in args if not a.startswith("-")], "--help"])
            assert result.exit_code == 0, command  # every command shown exists
