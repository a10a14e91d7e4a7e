"""One small repository per concern; each method is one transaction (or joins an outer one)."""

from bookrelay.store.repositories._base import Clock, utc_now
from bookrelay.store.repositories.conflicts import ConflictRepo
from bookrelay.store.repositories.enrich import EnrichChangeRepo
from bookrelay.store.repositories.labels import BookFacts, ItemFacts, ItemLabelRepo, Label
from bookrelay.store.repositories.leases import Lease, LeaseRepo
from bookrelay.store.repositories.ledger import Cached, LookupCacheRepo, WantedRepo, default_backoff
from bookrelay.store.repositories.links import LinkChanges, LinkRepo, LinkState, ProgressHistoryRepo
from bookrelay.store.repositories.runs import OutboxRepo, RunRepo
from bookrelay.store.repositories.users import CredentialRepo, UserRepo

__all__ = [
    "BookFacts",
    "Cached",
    "Clock",
    "ConflictRepo",
    "CredentialRepo",
    "EnrichChangeRepo",
    "ItemFacts",
    "ItemLabelRepo",
    "Label",
    "Lease",
    "LeaseRepo",
    "LinkChanges",
    "LinkRepo",
    "LinkState",
    "LookupCacheRepo",
    "OutboxRepo",
    "ProgressHistoryRepo",
    "RunRepo",
    "UserRepo",
    "WantedRepo",
    "default_backoff",
    "utc_now",
]
