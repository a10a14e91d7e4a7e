"""``bookrelay init`` answered through a pty (as a person would type), and with flags: the config it writes
passes ``bookrelay config check`` and ``bookrelay doctor`` against the sandbox served on loopback."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from typer.testing import CliRunner

from bookrelay.cli.main import app
from bookrelay.demo import serve_sandbox
from bookrelay.sandbox.server import build_sandbox

HC_TOKEN = "hc_pat_init_alice"
ABS_KEY = "abs-init-key"
FIXTURE = {
    "hardcover": {
        "limits": {"per_minute": 60_000, "burst": 1_000, "daily": 5_000},
        "users": [{"id": 1, "username": "alice", "token": HC_TOKEN, "scopes": ["all"]}],
        "books": [],
        "editions": [],
    },
    "audiobookshelf": {
        "users": [{"username": "alice", "password": "pw", "type": "admin"}],
        "api_keys": [{"name": "sync", "key": ABS_KEY, "username": "alice", "isActive": True}],
        "libraries": [{"name": "Audiobooks", "mediaType": "book", "items": [{"title": "Anathem"}]}],
    },
}
ENV_NAMES = (
    "HARDCOVER_TOKEN",
    "HARDCOVER_API_KEY",
    "ABS_URL",
    "ABS_TOKEN",
    "BOOKRELAY_CONFIG",
    "TZ",
    "TIMEZONE",
)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_sandbox(build_sandbox(FIXTURE)) as url:
        yield url


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env.update(COLUMNS="400", TERM="xterm", NO_COLOR="1", BOOKRELAY_SECRET_KEY="")
    env["HOME"] = str(tmp_path)
    return env


def _accepted(config: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str] | None = None) -> None:
    """``config check`` and ``doctor`` both exit 0 on the written file."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(config.parent)  # the default SQLite path is relative to the working folder
    runner = CliRunner()
    check = runner.invoke(app, ["config", "check", "--config", str(config)])
    assert check.exit_code == 0, check.output
    doctor = runner.invoke(app, ["doctor", "--config", str(config)])
    assert doctor.exit_code == 0, doctor.output
    assert "all checks passed" in doctor.output


@pytest.mark.slow
def test_init_answered_through_a_pty_writes_a_config_doctor_accepts(
    base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "bookrelay.yaml"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bookrelay", "init", "--output", str(output)],
        env=_clean_env(tmp_path),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 400),
    )
    try:
        child.expect("Your user id")
        child.sendline("alice")
        child.expect("Your time zone")
        child.sendline("Europe/Berlin")
        child.expect("Hardcover API URL")
        child.sendline(f"{base_url}/hardcover/v1/graphql")
        child.expect("Hardcover token")
        child.sendline("hc_pat_typo")  # a wrong token first: the check says so and asks again
        child.expect("401 invalid_token")
        child.expect("Hardcover API URL")
        child.sendline("")  # keep the URL given before
        child.expect("Hardcover token")
        child.sendline(HC_TOKEN)
        child.expect("token accepted")
        child.expect("Audiobookshelf URL")
        child.sendline(f"{base_url}/abs")
        child.expect("Audiobookshelf API key")
        child.sendline(ABS_KEY)
        child.expect("Audiobookshelf 2.36.0")
        child.expect(f"wrote {output}")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    text = output.read_text()
    assert text.startswith("# bookrelay configuration")  # commented
    assert "hc_pat_typo" not in text and stat.S_IMODE(output.stat().st_mode) == 0o600
    _accepted(output, monkeypatch)


def test_init_with_flags_puts_secrets_in_an_env_file(
    base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, env_file = tmp_path / "bookrelay.yaml", tmp_path / "bookrelay.env"
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(
        app,
        [
            "init", "--non-interactive", "--output", str(output), "--secrets-to-env", str(env_file),
            "--user-id", "alice", "--hardcover-url", f"{base_url}/hardcover/v1/graphql",
            "--hardcover-token", HC_TOKEN, "--abs-url", f"{base_url}/abs", "--abs-api-key", ABS_KEY,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert HC_TOKEN not in output.read_text() and ABS_KEY not in output.read_text()
    secrets = dict(
        line.split("=", 1) for line in env_file.read_text().splitlines() if line and not line.startswith("#")
    )
    assert secrets == {"HARDCOVER_TOKEN": HC_TOKEN, "ABS_TOKEN": ABS_KEY}
    _accepted(output, monkeypatch, env=secrets)


def test_init_with_flags_refuses_to_write_when_a_check_fails(base_url: str, tmp_path: Path) -> None:
    output = tmp_path / "bookrelay.yaml"
    args = ["init", "--non-interactive", "--output", str(output), "--hardcover-url"]
    result = CliRunner().invoke(app, [*args, f"{base_url}/hardcover/v1/graphql", "--hardcover-token", ""])
    assert result.exit_code == 1
    assert "missing token" in " ".join(result.output.split()) and not output.exists()
