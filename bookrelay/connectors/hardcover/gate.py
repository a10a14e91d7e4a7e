"""The seam through which a Hardcover budget shared by several processes paces a session (N1, issue 9).

:class:`~bookrelay.connectors.hardcover.session.HardcoverSession` paces itself with a local token
bucket. When several worker processes (on several machines) sync users with the same token, each
local bucket would spend the token's minute once per process. A :class:`BudgetGate` replaces the local
bucket: the session asks it before every request, with a key derived from the token (never the token).
The store provides the PostgreSQL implementation (``bookrelay.store.repositories.hardcover_budget``).
"""

from __future__ import annotations

import hashlib
from typing import Protocol


class BudgetGate(Protocol):
    """A token bucket and a daily count kept outside this process, keyed by :func:`token_key`."""

    async def reserve(self, key: str, units: int) -> float:
        """Take ``units`` now and return the seconds to wait before sending them; QuotaExhausted
        (nothing taken) when the token's daily budget cannot cover them."""
        ...

    async def correct(self, key: str, *, minute_remaining: int | None, daily_remaining: int | None) -> None:
        """Lower the shared view to what Hardcover's headers said is left (never raise it)."""
        ...


def token_key(token: str) -> str:
    """The key of a token's shared budget: a SHA-256 hex digest, so the token itself is never stored."""
    return hashlib.sha256(b"bookrelay-hardcover-budget:" + token.encode("utf-8")).hexdigest()
