"""The OAuth fake's state: registered clients, pending device and authorization codes, token chains.

Built from ref/hardcover.md §9 (draft docs, hardcover-docs PR #185): access tokens ``hc_at_…`` last a
week, refresh tokens ``hc_rt_…`` six months and rotate on every use; presenting a refresh token a second
time revokes its whole chain. Issued access tokens are registered in the fake Hardcover
(:meth:`HardcoverState.add_token`), so the GraphQL fake accepts exactly the live ones.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bookrelay.sandbox.hardcover.state import HardcoverState

ACCESS_TTL = 7 * 86400.0
REFRESH_TTL = 180 * 86400.0
DEVICE_TTL = 900.0
CODE_TTL = 600.0  # RFC 6749 §4.1.2: a short-lived authorization code, 10 minutes at most
POLL_INTERVAL = 5.0
VERIFICATION_URI = "https://hardcover.app/link"


@dataclass
class DeviceCode:
    """A pending device authorization."""

    device_code: str
    user_code: str
    client_id: str
    scope: str
    expires_at: float
    username: str | None = None  # set when the user approved
    denied: bool = False
    last_poll: float | None = None
    spent: bool = False


@dataclass
class AuthorizationCode:
    """A code handed to the redirect URI, spendable once by the client that asked for it."""

    client_id: str
    redirect_uri: str
    scope: str
    challenge: str
    username: str
    expires_at: float
    spent: bool = False


@dataclass
class Grant:
    """One refresh token of a chain."""

    username: str
    client_id: str
    scope: str
    chain: str
    expires_at: float
    used: bool = False
    access_tokens: list[str] = field(default_factory=list)


class OAuthState:
    """Everything the OAuth fake remembers; ``clients`` maps client id → app name."""

    def __init__(
        self,
        hardcover: HardcoverState,
        clients: dict[str, str] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        access_ttl: float = ACCESS_TTL,
        client_secrets: dict[str, str] | None = None,
    ) -> None:
        self.hardcover = hardcover
        self._clients = dict(clients if clients is not None else {"bookrelay-sandbox": "bookrelay"})
        # Confidential clients (draft docs: "secret + PKCE"); a client without a secret is public.
        self._secrets = dict(client_secrets or {})
        self.clock = clock
        self.access_ttl = access_ttl
        self.reset()

    def reset(self) -> None:
        """Forget every code and token (the registered clients stay)."""
        self.devices: dict[str, DeviceCode] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.grants: dict[str, Grant] = {}
        self.counters: Counter[str] = Counter()
        self.presented_refresh_tokens: list[str] = []  # in order, for tests of the rotation rule

    # -- controls ---------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters: device codes issued, tokens issued, refreshes, reuse detections, revocations."""
        return {
            "device_codes": 0,
            "tokens": 0,
            "refreshes": 0,
            "reuse_revoked": 0,
            "revoked": 0,
            **self.counters,
        }

    def snapshot(self) -> dict[str, Any]:
        """Pending codes and live chains, without any token value."""
        return {
            "pending": sorted(d.user_code for d in self.devices.values() if not d.spent),
            "chains": sorted({g.chain for g in self.grants.values() if not g.used}),
        }

    def approve(self, user_code: str, username: str) -> bool:
        """The user entered ``user_code`` on hardcover.app/link and allowed the app; False when unknown."""
        device = self._by_user_code(user_code)
        if device is None or username not in self._usernames():
            return False
        device.username = username
        return True

    def deny(self, user_code: str) -> bool:
        """The user refused the app."""
        device = self._by_user_code(user_code)
        if device is None:
            return False
        device.denied = True
        return True

    # -- protocol ---------------------------------------------------------------------------------

    def known_client(self, client_id: str | None) -> bool:
        """Whether ``client_id`` is a registered app."""
        return bool(client_id) and client_id in self._clients

    def app_name(self, client_id: str) -> str:
        """The registered app's name, shown on the consent page."""
        return self._clients.get(client_id, client_id)

    def client_authenticated(self, client_id: str | None, secret: str | None) -> bool:
        """A known client that, when confidential, sent its secret."""
        if not self.known_client(client_id):
            return False
        expected = self._secrets.get(str(client_id))
        return expected is None or secrets.compare_digest(expected, secret or "")

    def grant_code(
        self, client_id: str, redirect_uri: str, scope: str, challenge: str, username: str
    ) -> str | None:
        """The user allowed the app on the consent page: a one-time code; None for an unknown user."""
        if username not in self._usernames():
            return None
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(
            client_id, redirect_uri, scope, challenge, username, self.clock() + CODE_TTL
        )
        self.counters["codes"] += 1
        return code

    def exchange_code(
        self, client_id: str, code: str, redirect_uri: str, verifier: str
    ) -> tuple[int, dict[str, Any]]:
        """RFC 6749 §4.1.3 with RFC 7636 §4.6: the same client and redirect URI, the verifier matching the
        S256 challenge, once; a second use of a code revokes the tokens it gave (§4.1.2)."""
        found = self.codes.get(code)
        if found is None or found.client_id != client_id or self.clock() > found.expires_at:
            return 400, {"error": "invalid_grant"}
        if found.spent:
            self._revoke_chain(f"code:{code}")
            return 400, {"error": "invalid_grant", "error_description": "authorization code reuse"}
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if found.redirect_uri != redirect_uri or not secrets.compare_digest(digest, found.challenge):
            return 400, {
                "error": "invalid_grant",
                "error_description": "redirect_uri or code_verifier mismatch",
            }
        found.spent = True
        return 200, self._issue(found.username, client_id, found.scope, chain=f"code:{code}")

    def start_device(self, client_id: str, scope: str) -> DeviceCode:
        """A new device code and its user code (``ABCD-1234``)."""
        letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(4))
        digits = "".join(secrets.choice(string.digits) for _ in range(4))
        device = DeviceCode(
            device_code=secrets.token_urlsafe(24),
            user_code=f"{letters}-{digits}",
            client_id=client_id,
            scope=scope,
            expires_at=self.clock() + DEVICE_TTL,
        )
        self.devices[device.device_code] = device
        self.counters["device_codes"] += 1
        return device

    def poll(self, client_id: str, device_code: str) -> tuple[int, dict[str, Any]]:
        """RFC 8628 §3.5: pending, slow_down, denied, expired, or the tokens."""
        device = self.devices.get(device_code)
        if device is None or device.client_id != client_id or device.spent:
            return 400, {"error": "invalid_grant"}
        now = self.clock()
        if now > device.expires_at:
            return 400, {"error": "expired_token"}
        if device.denied:
            return 400, {"error": "access_denied"}
        too_fast = device.last_poll is not None and now - device.last_poll < POLL_INTERVAL
        device.last_poll = now
        if too_fast:
            return 400, {"error": "slow_down"}
        if device.username is None:
            return 400, {"error": "authorization_pending"}
        device.spent = True
        return 200, self._issue(device.username, client_id, device.scope, chain=secrets.token_hex(8))

    def refresh(self, client_id: str, refresh_token: str) -> tuple[int, dict[str, Any]]:
        """Rotate a refresh token; a second use of one revokes its whole chain."""
        self.presented_refresh_tokens.append(refresh_token)
        grant = self.grants.get(refresh_token)
        if grant is None or grant.client_id != client_id:
            return 400, {"error": "invalid_grant"}
        if grant.used:
            self._revoke_chain(grant.chain)
            self.counters["reuse_revoked"] += 1
            return 400, {"error": "invalid_grant", "error_description": "refresh token reuse detected"}
        if self.clock() > grant.expires_at:
            return 400, {"error": "invalid_grant", "error_description": "refresh token expired"}
        grant.used = True
        self.counters["refreshes"] += 1
        return 200, self._issue(grant.username, client_id, grant.scope, chain=grant.chain)

    def revoke(self, token: str) -> None:
        """RFC 7009: revoke a refresh token (its chain) or an access token; unknown tokens are ignored."""
        grant = self.grants.get(token)
        if grant is not None:
            self._revoke_chain(grant.chain)
        else:
            self.hardcover.remove_token(token)
        self.counters["revoked"] += 1

    # -- helpers ----------------------------------------------------------------------------------

    def _issue(self, username: str, client_id: str, scope: str, *, chain: str) -> dict[str, Any]:
        access = f"hc_at_{secrets.token_urlsafe(24)}"
        refresh = f"hc_rt_{secrets.token_urlsafe(24)}"
        now = self.clock()
        scopes = tuple(scope.split()) or ("all",)
        self.hardcover.add_token(access, username, now + self.access_ttl, scopes)
        self.grants[refresh] = Grant(
            username, client_id, scope, chain, now + REFRESH_TTL, access_tokens=[access]
        )
        self.counters["tokens"] += 1
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.access_ttl),
            "refresh_token": refresh,
            "scope": scope,
        }

    def _revoke_chain(self, chain: str) -> None:
        for grant in self.grants.values():
            if grant.chain == chain:
                grant.used = True
                for access in grant.access_tokens:
                    self.hardcover.remove_token(access)

    def _by_user_code(self, user_code: str) -> DeviceCode | None:
        wanted = user_code.strip().upper()
        return next((d for d in self.devices.values() if d.user_code == wanted and not d.spent), None)

    def _usernames(self) -> set[str]:
        return {str(u["username"]) for u in self.hardcover.rows("users").values()}
