"""The wanted job's log lines, one per step and per book, worded so that a person can grep them.

Kubernetes users troubleshoot the job from its logs (``kubectl logs job/…``) with ``grep`` for
"hardcover", "rreading-glasses", "resolving metadata", "bookshelf" and "added book", as the guide of the
CronJob bookrelay replaces does; these words are kept on purpose. Books are named by title and author,
with the Hardcover id as small print.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

log = logging.getLogger("bookrelay.wanted")
# The CLI logs warnings only unless -v; these lines are the job's own account of what it did, and
# a CronJob's log is where people look, so they are shown at the default level.
log.setLevel(logging.INFO)


def book_name(title: str, authors: Sequence[str], book_id: int) -> str:
    """``"Title" by Author (Hardcover book 123)``, or the id alone when the shelf gave no title."""
    by = f" by {', '.join(authors)}" if authors else ""
    return f'"{title}"{by} (Hardcover book {book_id})' if title else f"Hardcover book {book_id}"


def fetching_shelf(user_id: str) -> None:
    """Before the Want to Read shelf is read."""
    log.info("hardcover: fetching the Want-to-Read list of %s", user_id)


def shelf_fetched(user_id: str, size: int) -> None:
    """After the shelf was read."""
    log.info("hardcover: %d book(s) on the Want-to-Read list of %s", size, user_id)


def resolving(name: str) -> None:
    """Before rreading-glasses is asked for a book's work."""
    log.info("rreading-glasses: resolving metadata for %s", name)


_WORDS = {
    "added": "bookshelf: added book {name}, monitored",
    "present": "bookshelf: already in Bookshelf: {name}",
    "monitored": "bookshelf: already in Bookshelf, now monitored: {name}",
    "done": "bookshelf: already in Bookshelf (sent on an earlier run): {name}",
    "would_add": "bookshelf: dry run, would add book {name}",
    "would_monitor": "bookshelf: dry run, would monitor {name}",
    "would_unmonitor": "bookshelf: dry run, would unmonitor {name} (it left Want to Read)",
    "unmonitored": "bookshelf: unmonitored {name}: it left Want to Read unread",
    "kept": "bookshelf: kept {name} monitored: {reason}",
    "deferred": "deferred {name}: {reason}",
    "waiting": "waiting: {name} failed before ({reason}); tried again after {retry}",
    "failed": "failed to add {name}: {reason}; tried again after {retry}",
}


def outcome(name: str, what: str, reason: str | None, next_retry_at: datetime | None) -> None:
    """What happened to one book; failures are warnings, the rest information."""
    retry = f"{next_retry_at:%Y-%m-%d %H:%M} UTC" if next_retry_at is not None else "the next run"
    template = _WORDS.get(what, "{what}: {name}")
    line = template.format(name=name, reason=reason or "", retry=retry, what=what)
    log.log(logging.WARNING if what == "failed" else logging.INFO, "%s", line)


def finished(user_id: str, summary: str, stopped: str | None) -> None:
    """The run's summary line, and why it stopped early when it did."""
    if stopped:
        log.warning("wanted for %s stopped early: %s", user_id, stopped)
    log.info("wanted for %s: %s", user_id, summary)


def run_failed(user_id: str, error: Exception) -> None:
    """The error that ended the run before its books were done (a service down, a refused key)."""
    log.error("wanted for %s failed: %s", user_id, error)
