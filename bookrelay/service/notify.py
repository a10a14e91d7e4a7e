"""Notifications through Apprise: a failed run, new conflicts, a book added to Bookshelf, a book finished.

Apprise URLs carry secrets in any of their parts (a Telegram bot token sits where a host would), so
every URL and each of its parts is registered with :mod:`bookrelay.redact` before anything can log
it, and error messages name a URL by its position only. Sending never fails a run: a notification
that cannot be delivered is logged and counted, nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import apprise

from bookrelay.errors import ConfigError
from bookrelay.redact import redact, register_secret
from bookrelay.service.results import RunResult

log = logging.getLogger(__name__)

EVENTS = ("failed_run", "new_conflicts", "added_to_bookshelf", "finished_book")
_MIN_PART = 6  # shorter URL parts (ports, "api", "v1") would mask ordinary words
_LISTED = 10  # titles named in one message before "and N more"


@dataclass(frozen=True, slots=True)
class Message:
    """One notification: which event it is for, its title and body."""

    event: str
    title: str
    body: str


def register_url_secrets(url: str) -> None:
    """Mask the URL and every part of it that may be a credential (user, password, host, path, query)."""
    register_secret(url)
    try:
        parts = urlsplit(url)
        pieces = [parts.username, parts.password, parts.hostname, parts.netloc]
        pieces += parts.path.split("/")
        pieces += [value for _, value in parse_qsl(parts.query)]
    except ValueError:
        return
    for piece in pieces:
        if piece and len(piece) >= _MIN_PART:
            register_secret(piece)


def _titles(titles: Sequence[str]) -> str:
    shown = ", ".join(titles[:_LISTED])
    rest = len(titles) - _LISTED
    return f"{shown} and {rest} more" if rest > 0 else shown


def messages_for(result: RunResult, events: Iterable[str] = EVENTS) -> list[Message]:
    """The messages one run calls for, limited to ``events``; a dry run calls for none."""
    wanted = set(events)
    if result.dry_run:
        return []
    who, job = result.user_id, result.job
    messages: list[Message] = []
    if "failed_run" in wanted and result.status == "failed":
        run = f" (run {result.run_id})" if result.run_id is not None else ""
        messages.append(
            Message(
                "failed_run",
                f"bookrelay: the {job} run for {who} failed",
                redact(f"The {job} run{run} for {who} stopped: {result.error or 'unknown error'}"),
            )
        )
    if "new_conflicts" in wanted and result.conflicts_opened > 0:
        count = result.conflicts_opened
        messages.append(
            Message(
                "new_conflicts",
                f"bookrelay: {count} new conflict{'s' if count != 1 else ''} for {who}",
                f"{count} doubtful match{'es' if count != 1 else ''} wait for {who} to settle them "
                "on the web page (Conflicts) or with `bookrelay conflicts list`.",
            )
        )
    if "added_to_bookshelf" in wanted and result.added_to_bookshelf:
        titles = result.added_to_bookshelf
        messages.append(
            Message(
                "added_to_bookshelf",
                f"bookrelay: {len(titles)} book{'s' if len(titles) != 1 else ''} added to Bookshelf",
                f"Added for {who}: {_titles(titles)}",
            )
        )
    if "finished_book" in wanted and result.finished_books:
        titles = result.finished_books
        messages.append(
            Message(
                "finished_book",
                f"bookrelay: {who} finished {titles[0] if len(titles) == 1 else f'{len(titles)} books'}",
                f"Marked as read on Hardcover: {_titles(titles)}",
            )
        )
    return messages


class Notifier:
    """Sends the messages of finished runs to the configured Apprise URLs."""

    def __init__(self, urls: Sequence[str], events: Iterable[str] = EVENTS) -> None:
        for url in urls:
            register_url_secrets(url)
        self.events = frozenset(events)
        unknown = self.events - set(EVENTS)
        if unknown:
            raise ConfigError(
                f"unknown events {sorted(unknown)} (known: {', '.join(EVENTS)})", place="notify.on"
            )
        self._apprise = apprise.Apprise()
        for index, url in enumerate(urls):
            if not self._apprise.add(url):
                # Never the URL itself: it holds the secret.
                raise ConfigError("is not a URL Apprise understands", place=f"global.notify.urls[{index}]")
        self.sent = 0
        self.failed = 0

    @property
    def enabled(self) -> bool:
        """True when there is at least one URL to send to."""
        return len(self._apprise) > 0

    async def notify(self, result: RunResult) -> list[Message]:
        """Send the messages ``result`` calls for; returns them. Delivery failures are logged only."""
        messages = messages_for(result, self.events) if self.enabled else []
        for message in messages:
            try:
                delivered = bool(await self._apprise.async_notify(body=message.body, title=message.title))
            except Exception as exc:  # a broken plugin must not fail the run
                delivered = False
                log.warning("notification %s could not be sent: %s", message.event, redact(str(exc)))
            if delivered:
                self.sent += 1
            else:
                self.failed += 1
                log.warning("notification %s was not delivered to every URL", message.event)
        return messages
