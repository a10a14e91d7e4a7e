"""``bookrelay init`` answered through a pty (as a person would type), and with flags: the config it writes
passes ``bookrelay config check`` and ``bookrelay doctor`` against the sandbox served on loopback."""

from __future__ import annotations

import copy
import os
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from typer.testing import CliRunner

from bookrelay.cli.main import app
from bookrelay.config import load_config
from bookrelay.demo import serve_sandbox
from bookrelay.sandbox.bookshelf.demo import DEMO_API_KEY as BOOKSHELF_KEY
from bookrelay.sandbox.bookshelf.demo import DEMO_TOKEN as WANTED_TOKEN
from bookrelay.sandbox.bookshelf.demo import with_wanted_shelf
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


def _sourced(env_file: Path) -> dict[str, str]:
    """The variables a shell reads from ``env_file`` (``set -a; . FILE``), as a person would load it."""
    script = f"set -a; . {shlex.quote(str(env_file))}; env -0"
    before = set(
        subprocess.run(["bash", "-c", "env -0"], capture_output=True, text=True, env={}).stdout.split("\0")
    )
    after = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={}, check=True).stdout
    return dict(item.split("=", 1) for item in after.split("\0") if item and item not in before)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    # With a second Hardcover reader whose Want to Read shelf feeds the fake Bookshelf (the wanted job).
    with serve_sandbox(build_sandbox(with_wanted_shelf(copy.deepcopy(FIXTURE), count=3))) as url:
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
        child.expect("Jobs to run")
        child.sendline("")  # the default: progress
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
        child.sendline(f"{base_url}/abs".removeprefix("http://"))  # no scheme: http:// is put in front
        child.expect("no scheme given: using http://")
        child.expect("Audiobookshelf API key")
        child.sendline(ABS_KEY)
        child.expect("Audiobookshelf 2.36.0")
        child.expect("Audible marketplace")
        child.sendline("")
        child.expect("API key for `bookrelay serve`")
        child.sendline("")  # a random one is made
        child.expect("Password for the web page")
        child.sendline("")
        child.expect(f"wrote {output}")
        child.expect(f"bookrelay config check -c {output}")
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
    secrets = _sourced(env_file)
    assert {k: secrets[k] for k in ("HARDCOVER_TOKEN", "ABS_TOKEN")} == {
        "HARDCOVER_TOKEN": HC_TOKEN,
        "ABS_TOKEN": ABS_KEY,
    }
    assert len(secrets["BOOKRELAY_API_KEY"]) >= 32  # serve is never left without a key
    _accepted(output, monkeypatch, env=secrets)


def test_init_with_flags_refuses_to_write_when_a_check_fails(base_url: str, tmp_path: Path) -> None:
    output = tmp_path / "bookrelay.yaml"
    args = ["init", "--non-interactive", "--output", str(output), "--hardcover-url"]
    result = CliRunner().invoke(app, [*args, f"{base_url}/hardcover/v1/graphql", "--hardcover-token", ""])
    assert result.exit_code == 1
    assert "missing token" in " ".join(result.output.split()) and not output.exists()


def _init(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``bookrelay init --non-interactive`` in a fresh process (its own system time zone, no state)."""
    return subprocess.run(
        [sys.executable, "-m", "bookrelay", "init", "--non-interactive", *args],
        capture_output=True,
        text=True,
        env={**_clean_env(tmp_path), **(env or {})},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("flags", "place"),
    [
        (["--timezone", "Mars/Olympus"], "time zone"),
        (["--user-id", "al ice"], "user id"),
        (["--jobs", "progress,sleep"], "jobs"),
        (["--audible-locale", "xx"], "Audible marketplace"),
    ],
)
def test_init_with_flags_validates_as_the_prompts_do(tmp_path: Path, flags: list[str], place: str) -> None:
    result = CliRunner().invoke(
        app, ["init", "--non-interactive", "--output", str(tmp_path / "b.yaml"), *flags]
    )
    assert result.exit_code == 2
    assert place in result.output and not (tmp_path / "b.yaml").exists()


def test_init_defaults_the_zone_to_the_systems_and_adds_a_missing_scheme(
    base_url: str, tmp_path: Path
) -> None:
    abs_without_scheme = f"{base_url}/abs".removeprefix("http://")
    result = _init(
        tmp_path,
        "--user-id", "alice", "--hardcover-url", f"{base_url}/hardcover/v1/graphql",
        "--hardcover-token", HC_TOKEN, "--abs-url", abs_without_scheme, "--abs-api-key", ABS_KEY,
        env={"TZ": "Asia/Tokyo"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    config = load_config(tmp_path / "bookrelay.yaml", env={})
    assert config.global_.timezone == "Asia/Tokyo"
    assert config.user("alice").audiobookshelf is not None
    assert str(config.user("alice").audiobookshelf.url) == f"http://{abs_without_scheme}"
    assert "check for alice" in result.stdout  # the check tables name the user …
    assert " init " not in result.stdout  # … not a placeholder


def test_init_covers_every_service_and_its_next_step_works_with_output(base_url: str, tmp_path: Path) -> None:
    """Hardcover, Audiobookshelf, Bookshelf + rreading-glasses, serve's key and the jobs; the
    printed next step (run elsewhere, as pasted) checks the file and makes a first dry run."""
    folder = tmp_path / "conf"
    output, env_file = folder / "bookrelay.yaml", folder / ".env"
    token = f"Bearer {WANTED_TOKEN}"  # pasted with "Bearer ": the env file must keep the space
    result = _init(
        tmp_path,
        "--output", str(output), "--secrets-to-env", str(env_file), "--user-id", "reader",
        "--jobs", "progress, wanted", "--hardcover-url", f"{base_url}/hardcover/v1/graphql",
        "--hardcover-token", token, "--abs-url", f"{base_url}/abs", "--abs-api-key", ABS_KEY,
        "--bookshelf-url", f"{base_url}/bookshelf", "--bookshelf-api-key", BOOKSHELF_KEY,
        "--rreading-glasses-url", f"{base_url}/rreading-glasses", "--web-password", "open sesame",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    secrets = _sourced(env_file)
    assert secrets["HARDCOVER_TOKEN"] == token and secrets["BOOKSHELF_API_KEY"] == BOOKSHELF_KEY
    assert secrets["BOOKRELAY_WEB_PASSWORD"] == "open sesame" and secrets["BOOKRELAY_API_KEY"]
    config = load_config(output, env=secrets)
    assert config.global_.jobs.progress and config.global_.jobs.wanted
    assert str(config.global_.bookshelf.url) == f"{base_url}/bookshelf"
    assert str(config.global_.rreading_glasses.url) == f"{base_url}/rreading-glasses"
    (next_line,) = [line for line in result.stdout.splitlines() if line.startswith("next: ")]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _clean_env(tmp_path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    steps = next_line.removeprefix("next: ")
    followed = subprocess.run(
        ["bash", "-c", steps],
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
        timeout=120,
        check=False,
    )
    assert "OK" in followed.stdout and "dry run" in followed.stdout.lower(), followed.stdout + followed.stderr
    assert list(elsewhere.iterdir()) == []  # the store is beside the config file, not here
    assert (folder / "data" / "bookrelay.db").is_file()


def test_init_asks_for_audible_and_says_how_to_log_in(base_url: str, tmp_path: Path) -> None:
    output = tmp_path / "bookrelay.yaml"
    result = CliRunner().invoke(
        app,
        [
            "init", "--non-interactive", "--output", str(output), "--user-id", "alice",
            "--hardcover-url", f"{base_url}/hardcover/v1/graphql", "--hardcover-token", HC_TOKEN,
            "--audible-locale", "uk",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    alice = load_config(output, env={}).user("alice")
    assert alice.audible is not None and alice.audible.locale == "uk"
    assert "bookrelay audible login --user alice" in " ".join(result.output.split())


@pytest.mark.parametrize("value", ["Bearer hc_pat_a.b-c", "p$ss #word", 'it\'s "quoted" \\ $HOME'])
def test_env_file_values_read_back_unchanged(tmp_path: Path, value: str) -> None:
    from bookrelay.app.setup_render import env_line

    env_file = tmp_path / ".env"
    env_file.write_text(env_line("HARDCOVER_TOKEN", value) + "\n")
    assert _sourced(env_file)["HARDCOVER_TOKEN"] == value
