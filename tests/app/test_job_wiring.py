"""How the app's job modules are wired: one Audiobookshelf session builder (the user's clients and the
real-time trigger's socket sign-in), the wanted ledger's users chosen as every command chooses them, and
``bookrelay worker``'s options given through app without loading the queue worker elsewhere."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest

from bookrelay.app.clients import abs_session
from bookrelay.app.wanted import wanted_ledger
from bookrelay.config import Config
from bookrelay.errors import ConfigError

BOTH = {
    "id": "bob",
    "hardcover": {"token": "hc-token-bob-2222"},
    "audiobookshelf": {
        "url": "http://abs:13378",
        "api_key": "abs-key-bob-3333",
        "username": "bob-abs",
        "password": "abs-password-bob-4444",
    },
}


def _config(*users: dict[str, Any]) -> Config:
    return Config.model_validate({"users": list(users)})


async def test_S1_the_socket_sign_in_session_uses_the_password_and_never_the_api_key() -> None:
    config = _config(BOTH)
    user = config.user("bob")
    async with httpx.AsyncClient() as http:
        with_key = abs_session(config, user, http)
        sign_in = abs_session(config, user, http, sign_in=True)
    # An error names the credential in use, never its value.
    assert with_key.credential_name == config.abs_key_name("bob")
    assert sign_in.credential_name == "ABS password for bob-abs"


def test_S3_a_user_without_audiobookshelf_has_no_session_and_the_error_names_the_place() -> None:
    config = _config({"id": "alice", "hardcover": {"token": "hc-token-alice-1111"}})
    with pytest.raises(ConfigError, match="audiobookshelf") as caught:
        abs_session(config, config.user("alice"), httpx.AsyncClient())
    assert caught.value.place == "users.alice"


def test_S3_the_wanted_ledger_of_an_unknown_user_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="bob"):
        wanted_ledger(_config(BOTH), "carol")


def test_the_worker_options_come_through_app_and_serving_does_not_load_the_queue_worker() -> None:
    from bookrelay.app import WorkerOptions
    from bookrelay.queue.worker import WorkerOptions as Original

    assert WorkerOptions is Original
    code = "import sys, bookrelay.app.serving; print('bookrelay.queue.worker' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"
