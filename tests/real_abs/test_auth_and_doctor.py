"""Signing in to the real server: username and password, a refresh when the access token has expired, an
inactive API key; and ``bookrelay doctor`` against a healthy and a misaddressed real server."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.demo import serve_sandbox
from tests.real_abs.server import ACCESS_TOKEN_SECONDS, READER, READER_PASSWORD, AbsUser, RealAbs
from tests.real_abs.wiring import wire
from tests.sync.harness import HC_TOKEN
from tests.test_doctor import doctor

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


Doctor = Callable[[dict[str, Any]], tuple[int, str]]


@pytest.fixture
def doctor_on(
    real_abs: RealAbs, abs_user: AbsUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Doctor]:
    """``bookrelay doctor`` for an ``audiobookshelf`` section, with the fake Hardcover served on loopback
    (the doctor is a command: it talks over the network); its exit code and output."""
    with serve_sandbox(wire(real_abs, abs_user).sandbox) as base:

        def run(account: dict[str, Any]) -> tuple[int, str]:
            config = {
                "global": {
                    "database": f"sqlite:///{tmp_path / 'store.db'}",
                    "secret_key_file": str(tmp_path / "secret.key"),
                    "hardcover": {"url": f"{base}/hardcover/v1/graphql"},
                },
                "users": [{"id": "alice", "hardcover": {"token": HC_TOKEN}, "audiobookshelf": account}],
            }
            path = tmp_path / "bookrelay.yaml"
            path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
            return doctor(path, monkeypatch)

        yield run


def test_doctor_passes_against_a_healthy_real_server(
    real_abs: RealAbs, abs_user: AbsUser, doctor_on: Doctor
) -> None:
    code, out = doctor_on({"url": real_abs.url, "api_key": abs_user.api_key})
    assert code == 0, out
    assert f"Audiobookshelf 2.36.0 at {real_abs.url}" in out  # the version the real server reports
    assert f"accepted; user '{abs_user.username}'" in out
    assert "1 book library: Audiobooks" in out  # the podcast library is not a book library
    assert abs_user.api_key not in out


def test_doctor_names_an_inactive_api_key(real_abs: RealAbs, abs_user: AbsUser, doctor_on: Doctor) -> None:
    inactive = real_abs.new_key(abs_user.id, "made-without-isActive", active=False)
    assert inactive["isActive"] is False  # what the server did with a key created without isActive
    code, out = doctor_on({"url": real_abs.url, "api_key": inactive["apiKey"]})
    assert code != 0
    assert INACTIVE in out
    assert inactive["apiKey"] not in out


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_doctor_says_what_is_wrong_with_a_misaddressed_real_server(
    real_abs: RealAbs, abs_user: AbsUser, doctor_on: Doctor
) -> None:
    with_api = f"{real_abs.url}/api"  # the API's path given instead of the server root
    code, out = doctor_on({"url": with_api, "api_key": abs_user.api_key})
    assert code != 0
    assert f"wrong URL or path: {with_api}/status answered HTTP" in out, out
    assert "the Audiobookshelf server root" in out

    port = _closed_port()
    nobody = {"url": f"http://127.0.0.1:{port}", "api_key": abs_user.api_key}
    code, out = doctor_on(nobody)
    assert code != 0
    assert f"connection refused: nothing answers at 127.0.0.1:{port}" in out
