"""The wanted job (Want to Read → Bookshelf) and its ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from bookrelay.app.clients import user_clients
from bookrelay.app.common import chosen_users, open_store, single_user, store_for
from bookrelay.config import Config
from bookrelay.connectors.bookshelf.api import BookshelfApi
from bookrelay.connectors.bookshelf.session import BookshelfSession
from bookrelay.connectors.rreading_glasses.api import RrgApi
from bookrelay.connectors.rreading_glasses.session import RrgSession
from bookrelay.errors import BookrelayError, ConfigError, unexpected_error_text
from bookrelay.store.facade import Store
from bookrelay.store.models import Wanted
from bookrelay.sync.runs import RunRecorder
from bookrelay.sync.wanted import WantedReport, WantedSettings, run_wanted


async def run_wanted_job(
    config: Config,
    user_ids: list[str],
    *,
    dry_run: bool = False,
    limit: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> list[tuple[str, WantedReport | None, str | None]]:
    """Run the wanted job (Want to Read → Bookshelf) for these users; (user, report, error) each."""
    _bookshelf_key(config)  # a missing key stops every user's run: say so once
    results: list[tuple[str, WantedReport | None, str | None]] = []
    with store_for(config, store) as active:
        for user_id in user_ids:
            try:
                report = await wanted_for_user(
                    config, user_id, active, dry_run=dry_run, limit=limit, transport=transport
                )
                results.append((user_id, report, report.error))
            except BookrelayError as exc:
                results.append((user_id, None, str(exc)))
    return results


async def wanted_for_user(
    config: Config,
    user_id: str,
    store: Store,
    *,
    dry_run: bool = False,
    limit: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    runs: RunRecorder | None = None,
) -> WantedReport:
    """One user's wanted run, recorded in ``store`` (by ``runs`` when given); a report whose ``error``
    says why a spent budget ended it early, or the error (recorded on the run first) that stopped it
    before it could report."""
    bookshelf_settings = config.global_.bookshelf
    api_key = _bookshelf_key(config)
    user = config.user(user_id)
    recorder = runs or RunRecorder(store)
    async with user_clients(config, user, transport=transport) as clients:
        run_id = recorder.start(user_id, "wanted", dry_run=dry_run)
        try:
            bookshelf = BookshelfApi(BookshelfSession(clients.http, api_key, url=str(bookshelf_settings.url)))
            metadata = RrgApi(RrgSession(clients.http, url=str(config.global_.rreading_glasses.url)))
            report = await run_wanted(
                hardcover=clients.hardcover,
                bookshelf=bookshelf,
                metadata=metadata,
                store=store,
                user_id=user_id,
                settings=WantedSettings.from_config(bookshelf_settings),
                dry_run=dry_run,
                limit=limit,
                now=datetime.now(UTC),
            )
        except BookrelayError as exc:
            recorder.fail(run_id, str(exc))
            raise
        except Exception as exc:  # a bug or an unforeseen case: recorded as a failed run, then raised
            recorder.fail(run_id, unexpected_error_text(exc))
            raise
    report.run_id = run_id
    recorder.finish(run_id, report)
    return report


def _bookshelf_key(config: Config) -> str:
    key = config.global_.bookshelf.api_key
    if key is None:
        raise ConfigError(
            "the wanted job needs a Bookshelf API key (BOOKSHELF_API_KEY)", place="global.bookshelf.api_key"
        )
    return key.get_secret_value()


def wanted_ledger(config: Config, user_id: str | None) -> list[Wanted]:
    """The wanted ledger of a user (or of every user)."""
    users = chosen_users(config, user_id, default="every", required=False)
    with open_store(config) as store:
        return [row for u in users for row in store.wanted.list_for_user(u)]


def retry_wanted(config: Config, user_id: str | None, hardcover_book_id: int) -> Wanted:
    """Make a failed wanted book due for retry on the next run (W4)."""
    with open_store(config) as store:
        return store.wanted.retry_now(single_user(config, user_id), hardcover_book_id)
