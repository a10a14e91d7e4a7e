"""Hardcover connector: GraphQL session (auth, budget), operations and mapper; the HTTP policy is
``connectors/http.py``."""

from bookrelay.connectors.hardcover.api import CatalogueHits, HardcoverApi
from bookrelay.connectors.hardcover.session import (
    AmbiguousWrite,
    HardcoverSession,
    UnreadableWriteAnswer,
    normalise_token,
    outcome_unknown,
)
from bookrelay.connectors.hardcover.writes import WriteOp, WriteResult

__all__ = [
    "AmbiguousWrite",
    "CatalogueHits",
    "HardcoverApi",
    "HardcoverSession",
    "UnreadableWriteAnswer",
    "WriteOp",
    "WriteResult",
    "normalise_token",
    "outcome_unknown",
]
