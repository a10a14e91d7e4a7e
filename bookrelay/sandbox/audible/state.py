"""The fake Audible's state: accounts with their device auth, libraries, positions and finished events.

Requests authenticate the way the ``audible`` package sends them (ref Part C.1): signed with the
device key (``x-adp-token``, ``x-adp-alg``, ``x-adp-signature``) or with ``x-amz-access-token``.
Access tokens expire by the injected ``clock`` and are renewed at ``/auth/token`` with the refresh
token; the rate limit is a sliding minute per account on the same clock, so tests never sleep.
"""

from __future__ import annotations

import base64
import binascii
import copy
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bookrelay.sandbox.audible import shapes
from bookrelay.sandbox.audible.fixture import AccountRec, FixtureData, parse_fixture

SIGNATURE_ALG = "SHA256withRSA:1.0"


@dataclass
class AuthResult:
    """Who a request authenticated as, or why it did not (``reason`` is safe to show)."""

    account: AccountRec | None
    reason: str = ""


def parse_iso(value: str) -> datetime | None:
    """An ISO-8601 timestamp (``…Z`` or with offset) as an aware UTC datetime; None when unreadable."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class AudibleState:
    """Everything the fake Audible remembers; one instance per sandbox (or per test)."""

    def __init__(self, section: dict[str, Any], *, clock: Callable[[], float] = time.time) -> None:
        self._section = copy.deepcopy(section)
        self._clock = clock
        self._load(parse_fixture(self._section))

    @classmethod
    def from_fixture(cls, section: dict[str, Any], *, clock: Callable[[], float] = time.time) -> AudibleState:
        """Build the state from the ``audible`` fixture section; ValueError names a bad key."""
        return cls(section, clock=clock)

    def _load(self, data: FixtureData) -> None:
        self.config = data
        self.accounts = {a.name: a for a in data.accounts}
        self._by_adp = {a.auth["adp_token"]: a for a in data.accounts if a.auth.get("adp_token")}
        # access token → (account, expiry in clock seconds); old tokens stay valid until they expire
        self._access: dict[str, tuple[AccountRec, float]] = {
            a.auth["access_token"]: (a, float(a.auth.get("expires") or 0))
            for a in data.accounts
            if a.auth.get("access_token")
        }
        self._refresh = {a.auth["refresh_token"]: a for a in data.accounts if a.auth.get("refresh_token")}
        self._calls: dict[str, deque[float]] = {a.name: deque() for a in data.accounts}
        self._failures: list[int] = []
        self.counters: Counter[str] = Counter()

    # -- test controls ---------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Traffic counters: requests, library, lastpositions, finished, refreshes, auth_failures, …"""
        base = {
            "requests": 0,
            "library": 0,
            "lastpositions": 0,
            "finished": 0,
            "refreshes": 0,
            "auth_failures": 0,
            "rate_limited": 0,
            "injected_failures": 0,
        }
        return {**base, **self.counters}

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able view of each account's data (no secrets): library ASINs, positions, events."""
        return {
            "accounts": {
                a.name: {
                    "library": [item["asin"] for item in a.library],
                    "positions": copy.deepcopy(a.positions),
                    "finished_events": copy.deepcopy(a.finished_events),
                }
                for a in self.accounts.values()
            }
        }

    def reset(self) -> None:
        """Back to the fixture as loaded: tokens, counters, rate windows and queued failures."""
        self._load(parse_fixture(self._section))

    def fail_next(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` requests with ``status`` before doing anything else."""
        self._failures.extend([status] * count)

    def take_failure(self) -> int | None:
        """The status of the next injected failure, consumed; None when none is queued."""
        return self._failures.pop(0) if self._failures else None

    # -- authentication --------------------------------------------------------------------------

    def authenticate(
        self, method: str, signed_paths: list[str], body: bytes, headers: Mapping[str, str]
    ) -> AuthResult:
        """The account a request stands for: a valid signature over one of ``signed_paths``, or a live
        access token."""
        adp_token = headers.get("x-adp-token")
        if adp_token:
            return self._check_signature(method, signed_paths, body, adp_token, headers)
        access = headers.get("x-amz-access-token")
        if access:
            entry = self._access.get(access)
            if entry is None:
                return AuthResult(None, "unknown access token")
            account, expires = entry
            if expires <= self._clock():
                return AuthResult(None, "access token expired")
            return AuthResult(account)
        return AuthResult(None, "no credentials")

    def _check_signature(
        self, method: str, paths: list[str], body: bytes, adp_token: str, headers: Mapping[str, str]
    ) -> AuthResult:
        account = self._by_adp.get(adp_token)
        if account is None or account.public_key is None:
            return AuthResult(None, "unknown adp token")
        if headers.get("x-adp-alg") != SIGNATURE_ALG:
            return AuthResult(None, "unsupported signature algorithm")
        # "<base64 signature>:<date>"; base64 has no colon, the date has several.
        signature_b64, _, date = headers.get("x-adp-signature", "").partition(":")
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except (binascii.Error, ValueError):
            return AuthResult(None, "malformed signature")
        # The signing date is not checked for freshness: the client signs with the wall clock and the
        # fake may run on a test clock.
        for path in paths:
            data = f"{method}\n{path}\n{date}\n{body.decode('utf-8', 'replace')}\n{adp_token}".encode()
            try:
                account.public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                continue
            return AuthResult(account)
        return AuthResult(None, "bad signature")

    def refresh(self, refresh_token: str | None) -> tuple[str, int] | None:
        """A new access token and its lifetime in seconds for a known refresh token, else None."""
        account = self._refresh.get(refresh_token or "")
        if account is None:
            return None
        token = "Atna|" + secrets.token_urlsafe(48)
        ttl = self.config.access_token_ttl
        self._access[token] = (account, self._clock() + ttl)
        self.counters["refreshes"] += 1
        return token, ttl

    def over_rate_limit(self, account: AccountRec) -> float | None:
        """Record a call; when the account made too many in the last minute, the seconds to wait."""
        now = self._clock()
        window = self._calls[account.name]
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.config.rate_limit_per_minute:
            return max(1.0, window[0] + 60 - now)
        window.append(now)
        return None

    # -- data ------------------------------------------------------------------------------------

    def library_page(
        self, account: AccountRec, page: int, num_results: int, groups: list[str]
    ) -> tuple[list[dict[str, Any]], int]:
        """One page (1-based) of the account's library rendered for ``groups``, and the total count."""
        items = [it for it in account.library if it.get("status", "Active") == "Active"]
        start = (page - 1) * num_results
        chosen = items[start : start + num_results]
        return [shapes.library_item(it, groups) for it in chosen], len(items)

    def last_positions(self, account: AccountRec, asins: list[str]) -> list[dict[str, Any]]:
        """The last-position entries for ``asins``; titles never played (or not owned) do not exist."""
        return [shapes.last_position(asin, account.positions.get(asin)) for asin in asins]

    def finished_page(
        self, account: AccountRec, start: datetime, offset: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Finished events since ``start`` oldest first, one page from ``offset``, and the next offset."""
        events = []
        for ev in account.finished_events:
            at = parse_iso(ev["event_timestamp"])
            if at is not None and at >= start:
                events.append((at, ev))
        events.sort(key=lambda pair: pair[0])
        size = self.config.finished_page_size
        chosen = [copy.deepcopy(ev) for _, ev in events[offset : offset + size]]
        following = offset + size
        return chosen, following if following < len(events) else None
