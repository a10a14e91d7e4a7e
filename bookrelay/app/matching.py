"""The matching pipeline of one user's run (progress, enrich, scrobble): apart from the clients, so that
a job that matches nothing (wanted) never loads the scorer and the identifier checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bookrelay.app.clients import UserClients
from bookrelay.config import SyncSettings
from bookrelay.matching.pipeline import Resolver
from bookrelay.matching.score import MatchThresholds
from bookrelay.store.facade import Store


def build_resolver(clients: UserClients, store: Store, sync: SyncSettings) -> Resolver:
    """The matching pipeline of one user's run, with the thresholds and unmatched TTL of their settings."""
    return Resolver(
        clients.hardcover,
        store.lookup_cache,
        thresholds=MatchThresholds(link=sync.fuzzy_link_score, conflict=sync.fuzzy_conflict_score),
        unmatched_ttl=timedelta(hours=sync.unmatched_ttl_hours),
        no_audio_edition=sync.no_audio_edition,
        now=lambda: datetime.now(UTC),
    )
