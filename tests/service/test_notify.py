"""Apprise notifications: which runs call for which message, delivery, and secrets kept out (S1)."""

from __future__ import annotations

import logging
from typing import Any

import apprise
import pytest

from bookrelay.config import Config
from bookrelay.errors import ConfigError
from bookrelay.redact import redact
from bookrelay.service.notify import Notifier, messages_for
from bookrelay.service.results import RunResult

DELIVERED: list[dict[str, Any]] = []
REFUSE = {"on": False}


@apprise.decorators.notify(on="brtest")
def _capture(body: str, title: str, notify_type: str, *args: Any, **kwargs: Any) -> bool:
    """A local Apprise plugin (brtest://…): records what it was asked to send, sends nothing."""
    DELIVERED.append({"title": title, "body": body, "url": kwargs.get("meta", {}).get("url", "")})
    return not REFUSE["on"]


@pytest.fixture(autouse=True)
def _fresh() -> None:
    DELIVERED.clear()
    REFUSE["on"] = False


def test_each_event_has_its_message_and_dry_runs_have_none() -> None:
    result = RunResult(
        "alice",
        "progress",
        "failed",
        run_id=9,
        error="hardcover: 401; token: HARDCOVER_TOKEN",
        conflicts_opened=2,
        added_to_bookshelf=("Dune",),
        finished_books=("Ubik",),
    )
    events = [m.event for m in messages_for(result)]
    assert events == ["failed_run", "new_conflicts", "added_to_bookshelf", "finished_book"]
    failed = messages_for(result, ["failed_run"])[0]
    assert "run 9" in failed.body and "HARDCOVER_TOKEN" in failed.body
    assert messages_for(RunResult("alice", "progress", "ok", finished_books=("Ubik",)), ["failed_run"]) == []
    dry = RunResult("alice", "progress", "failed", dry_run=True, conflicts_opened=1)
    assert messages_for(dry) == []


async def test_notifier_sends_through_apprise_and_never_fails_the_run() -> None:
    notifier = Notifier(["brtest://room-token-8f3a9c/general"], ["finished_book", "new_conflicts"])
    sent = await notifier.notify(RunResult("alice", "progress", "ok", finished_books=("Ubik", "Dune")))
    assert [m.event for m in sent] == ["finished_book"]
    assert len(DELIVERED) == 1
    assert DELIVERED[0]["title"] == "bookrelay: alice finished 2 books"
    assert "Ubik, Dune" in DELIVERED[0]["body"]
    assert notifier.sent == 1 and notifier.failed == 0

    REFUSE["on"] = True
    await notifier.notify(RunResult("alice", "progress", "ok", conflicts_opened=1))
    assert notifier.failed == 1  # logged and counted, not raised


async def test_url_secrets_are_masked_in_logs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    url = "brtest://bot-token-5f2e7d1c@chat-id-771133/channel-secret-9d8e"
    Notifier([url])
    for part in ("bot-token-5f2e7d1c", "chat-id-771133", "channel-secret-9d8e", url):
        assert part not in redact(f"sending to {part} failed")
    with pytest.raises(ConfigError) as caught:
        Notifier(["brtest://fine-room-1234", "nosuchscheme://private-key-31337"])
    assert "global.notify.urls[1]" in str(caught.value)
    assert "private-key-31337" not in str(caught.value)


def test_config_masks_notify_urls_and_rejects_unknown_events() -> None:
    config = Config.model_validate(
        {"global": {"notify": {"urls": ["brtest://config-secret-4455"], "on": ["failed_run"]}}}
    )
    assert "config-secret-4455" not in str(config.redacted_dict())
    assert "config-secret-4455" not in repr(config)
    with pytest.raises(ValueError, match=r"notify\.on"):
        Config.model_validate({"global": {"notify": {"on": ["every_minute"]}}})


def test_notifier_logs_through_redaction(caplog: pytest.LogCaptureFixture) -> None:
    Notifier(["brtest://logged-secret-6677"])
    with caplog.at_level(logging.WARNING):
        logging.getLogger("bookrelay.test").warning("apprise said: %s", redact("brtest://logged-secret-6677"))
    assert "logged-secret-6677" not in caplog.text
