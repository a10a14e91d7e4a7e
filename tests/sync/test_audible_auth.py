"""The stored Audible login during syncs: renewed tokens are written back encrypted at once, nothing
secret reaches the database in clear or the logs, and a user without a login gets a clear error."""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

import pytest
from sqlalchemy import text

from bookrelay.store.facade import Store
from bookrelay.sync import audible_auth
from tests.sync.test_audible_rules import AudibleWorld, audio


def _bearer_world() -> tuple[AudibleWorld, dict[str, Any]]:
    """A world whose fake account's access token expired an hour ago; bookrelay holds bearer tokens only."""
    aw = AudibleWorld()
    aw.device = {**aw.device, "expires": time.time() - 3600}
    aw.world.book("Token Book", "Tim Writer", editions=[audio("B0TOKEN001", 36_000)])
    aw.title("B0TOKEN001", "Token Book", "Tim Writer", percent=30.0, position_ms=10_800_000)
    held = copy.deepcopy(aw.device)
    held.update(adp_token=None, device_private_key=None)
    return aw, held


def _ciphertexts(store: Store) -> str:
    with store.db.engine.connect() as conn:
        return " ".join(conn.execute(text("SELECT service || ':' || ciphertext FROM credentials")).scalars())


async def test_renewed_tokens_are_written_back_encrypted_and_never_logged(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    aw, held = _bearer_world()
    runner = aw.runner(store, abs_too=False, min_interval_minutes=0)
    audible_auth.save_auth(store, "alice", held)  # the bearer-only login replaces the signing one
    first = await runner.sync()
    assert first.error is None and first.written == 1
    renewed = audible_auth.load_auth(store, "alice")
    assert renewed["access_token"] != held["access_token"] and renewed["access_token"].startswith("Atna|")
    assert renewed["refresh_token"] == held["refresh_token"] and renewed["expires"] > time.time()
    stats = runner.sandbox.fakes["audible"].stats()
    assert stats["refreshes"] == 1 and stats["auth_failures"] == 0
    second = await runner.sync()  # the stored, renewed token is used: no second refresh
    assert second.error is None and runner.sandbox.fakes["audible"].stats()["refreshes"] == 1
    stored = _ciphertexts(store)
    assert stored.startswith("audible:")
    for secret in (held["access_token"], held["refresh_token"], renewed["access_token"]):
        assert secret not in stored
        assert secret not in caplog.text


async def test_sync_without_a_stored_login_says_how_to_log_in(store: Store) -> None:
    aw, _ = _bearer_world()
    runner = aw.runner(store, abs_too=False)
    store.credentials.delete("alice", "audible", "auth")
    report = await runner.sync()
    assert report.error is not None
    assert "no Audible login is stored: run `bookrelay audible login --user alice`" in report.error
    assert runner.sandbox.fakes["audible"].stats()["requests"] == 0


async def test_rejected_login_stops_the_run_naming_the_credentials(store: Store) -> None:
    aw, held = _bearer_world()
    runner = aw.runner(store, abs_too=False)
    audible_auth.save_auth(store, "alice", {**held, "refresh_token": "Atnr|" + "x" * 60})
    report = await runner.sync()
    assert report.error is not None and "audible" in report.error and "log in again" in report.error
    assert runner.hc_writes == 0
