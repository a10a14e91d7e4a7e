"""The composition root's own rules: which users a command acts for (said once, the default named by
each command), one user's clients opened and closed by one context manager, the store's public clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bookrelay.app.clients import user_clients
from bookrelay.app.common import chosen_users, single_user
from bookrelay.config import Config
from bookrelay.errors import ConfigError
from bookrelay.store.facade import Store


def _config(*users: dict[str, Any]) -> Config:
    return Config.model_validate({"users": list(users)})


ALICE = {"id": "alice", "hardcover": {"token": "hc-token-alice-1111"}}
BOB = {
    "id": "bob",
    "hardcover": {"token": "hc-token-bob-2222"},
    "audiobookshelf": {"url": "http://abs:13378", "api_key": "abs-key-bob-3333"},
}


def test_a_named_user_is_taken_whatever_the_default() -> None:
    config = _config(ALICE, BOB)
    assert chosen_users(config, "bob", default="only") == ["bob"]
    assert chosen_users(config, "bob", default="every") == ["bob"]


def test_one_user_commands_take_the_only_user_and_every_user_commands_take_everyone() -> None:
    assert single_user(_config(ALICE), None) == "alice"
    assert chosen_users(_config(ALICE, BOB), None, default="every") == ["alice", "bob"]


def test_every_user_of_a_job_leaves_out_the_users_it_does_not_run_for() -> None:
    # Only bob has a source for the progress job (sync's default: a Want-to-Read-only user is no failure).
    assert chosen_users(_config(ALICE, BOB), None, default="every", job="progress") == ["bob"]


def test_S3_several_users_without_user_is_an_error_naming_the_arguments_and_the_way_out() -> None:
    config = _config(ALICE, BOB)
    with pytest.raises(ConfigError, match=r"give --user ID$") as plain:
        single_user(config, None)
    assert plain.value.place == "arguments"
    with pytest.raises(ConfigError, match="give --user ID or --all-users"):
        chosen_users(config, None, default="only", all_users=False)
    assert chosen_users(config, None, default="only", all_users=True) == ["alice", "bob"]


def test_S3_user_and_all_users_together_is_an_error() -> None:
    with pytest.raises(ConfigError, match="not both"):
        chosen_users(_config(ALICE, BOB), "alice", default="every", all_users=True)


def test_S3_an_unknown_user_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"no user 'carol'.*alice, bob"):
        chosen_users(_config(ALICE, BOB), "carol", default="every")


def test_no_user_configured_is_an_error_unless_the_command_can_do_without() -> None:
    with pytest.raises(ConfigError, match="no users configured"):
        chosen_users(_config(), None, default="every")
    assert chosen_users(_config(), None, default="every", required=False) == []


async def test_user_clients_are_closed_when_the_block_ends_even_by_an_error() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    config = _config(BOB)
    with pytest.raises(RuntimeError):
        async with user_clients(config, config.user("bob"), transport=transport) as clients:
            assert clients.audiobookshelf is not None and not clients.http.is_closed
            raise RuntimeError("the job failed")
    assert clients.http.is_closed


def test_the_store_clock_is_public_and_is_the_one_its_repositories_use() -> None:
    moment = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    store = Store.open("sqlite://", secret_key=None, clock=lambda: moment)
    try:
        assert store.clock() == moment
        store.users.ensure("alice")
        assert store.runs.start("alice", "progress").started_at.replace(tzinfo=UTC) == moment
    finally:
        store.close()
