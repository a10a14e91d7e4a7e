"""Signing in to the real server: username and password, a refresh when the access token has expired, an
inactive API key; and ``bookrelay doctor`` against a healthy and a misaddressed real server."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from bookrelay.cli import setup as setup_commands
from bookrelay.cli.main import app
from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.demo import serve_sandbox
from bookrelay.sandbox.server import Sandbox
from tests.real_abs.server import ACCESS_TOKEN_SECONDS, READER, READER_PASSWORD, AbsUser, RealAbs
from tests.real_abs.wiring import wire
from tests.sync.harness import HC_TOKEN

INACTIVE = "Audiobookshelf answered 401 Unauthorized: the API key is wrong, expired or inactive"


async def test_password_login_and_a_refresh_after_the_access_token_expired(real_abs: RealAbs) -> None:
    paths: list[str] = []

    async def note(request: httpx.Request) -> None:
        paths.append(request.url.path)

    async with httpx.AsyncClient(event_hooks={"request": [note]}) as http:
        api = AbsApi(AbsSession(real_abs.url, username=READER, password=READER_PASSWORD, client=http))
        me = await api.me()
        assert (me["username"], me["type"]) == (READER, "user")  # the second, non-root user
        assert paths == ["/login", "/api/me"]
        await asyncio.sleep(ACCESS_TOKEN_SECONDS + 1.5)  # the server's access tokens live 4 s
        again = await api.me()
        assert again["id"] == me["id"]
    # The expired token got a 401; one refresh with the refresh token, then the call again: no new login.
    assert paths == ["/login", "/api/me", "/api/me", "/auth/refresh", "/api/me"]


@pytest.fixture
def hardcover(real_abs: RealAbs, abs_user: AbsUser) -> Iterator[tuple[Sandbox, str]]:
    """The fake Hardcover served on loopback (the doctor is a command: it talks over the network)."""
    sandbox = wire(real_abs, abs_user).sandbox
    with serve_sandbox(sandbox) as base:
        yield sandbox, base


def _doctor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hardcover: str, account: dict[str, Any]
) -> tuple[int, str]:
    config = {
        "global": {
            "database": f"sqlite:///{tmp_path / 'store.db'}",
            "secret_key_file": str(tmp_path / "secret.key"),
            "hardcover": {"url": f"{hardcover}/hardcover/v1/graphql"},
        },
        "users": [{"id": "alice", "hardcover": {"token": HC_TOKEN}, "audiobookshelf": account}],
    }
    path = tmp_path / "bookrelay.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    for name in ("HARDCOVER_TOKEN", "HARDCOVER_API_KEY", "ABS_URL", "ABS_TOKEN", "BOOKRELAY_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(setup_commands, "console", Console(width=1000, highlight=False))
    result = CliRunner().invoke(app, ["doctor", "--config", str(path)])
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


def test_doctor_passes_against_a_healthy_real_server(
    real_abs: RealAbs,
    abs_user: AbsUser,
    hardcover: tuple[Sandbox, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = {"url": real_abs.url, "api_key": abs_user.api_key}
    code, out = _doctor(tmp_path, monkeypatch, hardcover[1], account)
    assert code == 0, out
    assert f"Audiobookshelf 2.36.0 at {real_abs.url}" in out  # the version the real server reports
    assert f"accepted; user '{abs_user.username}'" in out
    assert "1 book library: Audiobooks" in out  # the podcast library is not a book library
    assert abs_user.api_key not in out


def test_doctor_names_an_inactive_api_key(
    real_abs: RealAbs,
    abs_user: AbsUser,
    hardcover: tuple[Sandbox, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inactive = real_abs.new_key(abs_user.id, "made-without-isActive", active=False)
    assert inactive["isActive"] is False  # what the server did with a key created without isActive
    code, out = _doctor(
        tmp_path, monkeypatch, hardcover[1], {"url": real_abs.url, "api_key": inactive["apiKey"]}
    )
    assert code != 0
    assert INACTIVE in out
    assert inactive["apiKey"] not in out


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_doctor_says_what_is_wrong_with_a_misaddressed_real_server(
    real_abs: RealAbs,
    abs_user: AbsUser,
    hardcover: tuple[Sandbox, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_api = f"{real_abs.url}/api"  # the API's path given instead of the server root
    code, out = _doctor(tmp_path, monkeypatch, hardcover[1], {"url": with_api, "api_key": abs_user.api_key})
    assert code != 0
    assert f"wrong URL or path: {with_api}/status answered HTTP" in out, out
    assert "the Audiobookshelf server root" in out

    port = _closed_port()
    nobody = {"url": f"http://127.0.0.1:{port}", "api_key": abs_user.api_key}
    code, out = _doctor(tmp_path, monkeypatch, hardcover[1], nobody)
    assert code != 0
    assert f"connection refused: nothing answers at 127.0.0.1:{port}" in out
