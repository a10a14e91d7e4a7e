"""``bookrelay audible``: login (auth file, external browser, e-mail and password), logout, status, and
switching titles on and off (A1). Amazon is never reached: the ``audible`` package's login and
deregistration are replaced by stand-ins that return a fake device's auth data."""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path
from typing import Any

import audible
import pytest
from typer.testing import CliRunner

from bookrelay.cli.main import app
from bookrelay.redact import RedactingFilter
from bookrelay.sandbox.audible import new_device_auth
from bookrelay.store.crypto import load_or_create_key
from bookrelay.store.facade import Store
from bookrelay.sync import audible_auth

runner = CliRunner()
FILE_PASSWORD = "file-pass-6b1d9e"
AMAZON_PASSWORD = "amazon-pw-93f1c2aa"


@pytest.fixture(scope="module")
def device() -> dict[str, Any]:
    return new_device_auth("de", expires=time.time() + 3600, name="alice-phone")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOOKRELAY_SECRET_KEY", "BOOKRELAY_CONFIG", "AUDIBLE_AUTH_PASSWORD", "AUDIBLE_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HARDCOVER_TOKEN", "HARDCOVER_API_KEY", "DATABASE_URL", "DATABASE_PATH", "TZ", "TIMEZONE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "bookrelay.yaml"
    path.write_text(
        f"""global:
  database: "sqlite:///{tmp_path / "store.db"}"
  secret_key_file: "{tmp_path / "secret.key"}"
users:
  - id: alice
    hardcover: {{token: "hc_pat_cli_test_token"}}
    audible: {{locale: de}}
""",
        encoding="utf-8",
    )
    return path


def secrets_of(auth: dict[str, Any]) -> list[str]:
    """Every secret of the auth data, plus the lines of the private key's body (a partial leak counts)."""
    values = [auth["adp_token"], auth["access_token"], auth["refresh_token"]]
    body = [line for line in auth["device_private_key"].splitlines() if line and "PRIVATE KEY" not in line]
    return values + body


def stored_bytes(folder: Path) -> bytes:
    """The SQLite database with its WAL and shared-memory files, as they lie on disk."""
    return b"".join(p.read_bytes() for p in sorted(folder.glob("store.db*")))


def stored_auth(folder: Path) -> dict[str, Any] | None:
    key = load_or_create_key({}, folder / "secret.key")
    with Store.open(f"sqlite:///{folder / 'store.db'}", secret_key=key) as store:
        raw = store.credentials.get("alice", "audible", "auth")
        return None if raw is None else audible_auth.load_auth(store, "alice")


def invoke(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, ["audible", *args], input=input, catch_exceptions=False)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG, passed through the redaction the CLI installs."""
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())
    return caplog


def test_login_from_encrypted_auth_file_stores_nothing_in_clear_text(
    tmp_path: Path, config: Path, device: dict[str, Any], logs: pytest.LogCaptureFixture
) -> None:
    auth_file = tmp_path / "audible.json"
    audible.Authenticator.from_dict(copy.deepcopy(device)).to_file(
        auth_file, password=FILE_PASSWORD, encryption="json", set_default=False
    )
    result = invoke(
        "login",
        "--config",
        str(config),
        "--user",
        "alice",
        "--auth-file",
        str(auth_file),
        "--auth-password",
        input=f"{FILE_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "logged in user alice to Audible (de) as device alice-phone's Audible for iPhone" in result.output
    assert stored_auth(tmp_path) == device
    on_disk = stored_bytes(tmp_path)
    assert b"audible" in on_disk  # the service name is there: we are looking at the right file
    for secret in [*secrets_of(device), FILE_PASSWORD]:
        assert secret.encode() not in on_disk
        assert secret not in logs.text and secret not in result.output


def test_login_with_wrong_auth_file_password_fails_naming_the_file(
    tmp_path: Path, config: Path, device: dict[str, Any]
) -> None:
    auth_file = tmp_path / "audible.json"
    audible.Authenticator.from_dict(copy.deepcopy(device)).to_file(
        auth_file, password=FILE_PASSWORD, encryption="json", set_default=False
    )
    result = invoke(
        "login", "--config", str(config), "--auth-file", str(auth_file), "--auth-password", input="not-it\n"
    )
    assert result.exit_code == 2
    assert str(auth_file) in result.output and "wrong password" in result.output
    assert stored_auth(tmp_path) is None


def test_login_in_external_browser_prints_the_url_and_reads_back_the_address(
    tmp_path: Path, config: Path, device: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def from_login_external(locale: str, login_url_callback: Any, **_: Any) -> audible.Authenticator:
        seen["locale"] = locale
        seen["address"] = login_url_callback("https://www.amazon.de/ap/signin?openid.return_to=x")
        return audible.Authenticator.from_dict(copy.deepcopy(device))

    monkeypatch.setattr(audible.Authenticator, "from_login_external", from_login_external)
    final = "https://www.amazon.de/ap/maplanding?openid.oa2.authorization_code=ANcode"
    result = invoke("login", "--config", str(config), "--user", "alice", input=f"{final}\n")
    assert result.exit_code == 0, result.output
    assert "https://www.amazon.de/ap/signin?openid.return_to=x" in result.output
    assert seen == {"locale": "de", "address": final}  # locale from the config; the pasted address
    assert stored_auth(tmp_path) == device


def test_login_with_email_asks_password_and_one_time_code_and_never_stores_the_password(
    tmp_path: Path,
    config: Path,
    device: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    logs: pytest.LogCaptureFixture,
) -> None:
    seen: dict[str, Any] = {}

    def from_login(username: str, password: str, locale: str, **callbacks: Any) -> audible.Authenticator:
        seen.update(username=username, password=password, locale=locale, otp=callbacks["otp_callback"]())
        return audible.Authenticator.from_dict(copy.deepcopy(device))

    monkeypatch.setattr(audible.Authenticator, "from_login", from_login)
    result = invoke(
        "login",
        "--config",
        str(config),
        "--email",
        "alice@example.org",
        "--locale",
        "uk",
        input=f"{AMAZON_PASSWORD}\n123456\n",
    )
    assert result.exit_code == 0, result.output
    assert seen == {
        "username": "alice@example.org",
        "password": AMAZON_PASSWORD,
        "locale": "uk",
        "otp": "123456",
    }
    assert AMAZON_PASSWORD not in result.output and AMAZON_PASSWORD not in logs.text
    assert AMAZON_PASSWORD.encode() not in stored_bytes(tmp_path)
    assert stored_auth(tmp_path) == device


def test_login_refuses_an_unknown_marketplace(config: Path) -> None:
    result = invoke("login", "--config", str(config), "--locale", "xx", "--email", "a@b.c", input="pw\n")
    assert result.exit_code == 2
    assert "--locale" in result.output and "unknown Audible marketplace 'xx'" in result.output


def test_status_logout_deregisters_the_device_and_deletes_the_login(
    tmp_path: Path, config: Path, device: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = load_or_create_key({}, tmp_path / "secret.key")
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}", secret_key=key) as store:
        audible_auth.save_auth(store, "alice", device)
    status = invoke("status", "--config", str(config))
    assert status.exit_code == 0
    assert "logged in (de) as device alice-phone's Audible for iPhone, account alice-phone" in status.output
    assert "at most one Audible sync every 15 min; last started: never" in status.output
    assert "requests today" in status.output and "0 of 600" in status.output
    deregistered: list[str | None] = []

    def deregister_device(self: audible.Authenticator, deregister_all: bool = False) -> None:
        deregistered.append(self.access_token)

    monkeypatch.setattr(audible.Authenticator, "deregister_device", deregister_device)
    result = invoke("logout", "--config", str(config), "--user", "alice")
    assert result.exit_code == 0 and "the stored login is deleted" in result.output
    assert deregistered == [device["access_token"]]
    assert stored_auth(tmp_path) is None
    assert "not logged in to Audible" in invoke("status", "--config", str(config)).output
    assert "no Audible login was stored" in invoke("logout", "--config", str(config)).output


def test_A1_disable_and_enable_a_title_from_the_command_line(tmp_path: Path, config: Path) -> None:
    off = invoke("disable", "B0KIDS0001", "--config", str(config))
    assert off.exit_code == 0 and "audible:B0KIDS0001 no longer syncs (A1)" in off.output
    key = load_or_create_key({}, tmp_path / "secret.key")
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}", secret_key=key) as store:
        link = store.links.get("alice", "audible", "B0KIDS0001")
        assert link is not None and link.sync_enabled is False
    on = invoke("enable", "B0KIDS0001", "--config", str(config))
    assert on.exit_code == 0 and "syncs again" in on.output
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}", secret_key=key) as store:
        link = store.links.get("alice", "audible", "B0KIDS0001")
        assert link is not None and link.sync_enabled is True


def test_config_check_names_a_bad_audible_section_by_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bookrelay.yaml"
    path.write_text(
        """global:
  audible: {daily_cap: 0}
users:
  - id: alice
    hardcover: {token: "hc_pat_x"}
    audible:
      locale: xx
""",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2: global.audible.daily_cap" in result.output
    assert f"{path}:7: users[0].audible.locale: Input should be 'us'" in result.output


def test_sync_summary_shows_why_a_source_was_skipped() -> None:
    from rich.console import Console

    from bookrelay.cli.render import render_summary
    from bookrelay.sync.report import ProgressReport

    console = Console(record=True, width=200)
    report = ProgressReport("alice", notes=["audible skipped: next sync allowed at 2026-11-20 12:15:00 UTC"])
    render_summary(console, report)
    assert "note: audible skipped: next sync allowed at 2026-11-20 12:15:00 UTC" in console.export_text()
