"""The fake ABS's state: users and tokens, libraries and items, progress with ABS 2.36's quirks.

Progress follows ``MediaProgress.applyProgressUpdate`` (ref/audiobookshelf.md §8): ``progress`` is
stored, never derived; a payload carrying ``isFinished`` ignores ``progress``; un-finishing resets the
position; a position within ``markAsFinishedTimeRemaining`` of the end finishes the item.
Time comes from the injected ``clock`` (seconds), so token expiry is testable without sleeping.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import math
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from bookrelay.sandbox.audiobookshelf.fixture import (
    FixtureData,
    ItemRec,
    ProgressRec,
    UserRec,
    derived_id,
    parse_fixture,
)
from bookrelay.sandbox.audiobookshelf.media import apply_book_media_update
from bookrelay.sandbox.audiobookshelf.shapes import progress_json

_PROGRESS_COLUMNS = {
    "duration": "duration",
    "currentTime": "current_time",
    "ebookProgress": "ebook_progress",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _num(value: Any) -> float | None:
    """JavaScript's ``Number(x)`` for what a JSON body can carry; None where ABS's ``isNullOrNaN``."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _ms(value: Any) -> int | None:
    """A timestamp a client may send: epoch ms or an ISO date string."""
    number = _num(value)
    if number is not None:
        return int(number)
    if isinstance(value, str):
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            return None
    return None


class AbsState:
    """Everything the fake ABS remembers; one instance per sandbox (or per test)."""

    def __init__(self, section: dict[str, Any], *, clock: Callable[[], float] = time.time) -> None:
        self._section = copy.deepcopy(section)
        self._clock = clock
        self._load(parse_fixture(self._section))

    @classmethod
    def from_fixture(cls, section: dict[str, Any], *, clock: Callable[[], float] = time.time) -> AbsState:
        """Build the state from the ``audiobookshelf`` fixture section; ValueError names a bad key."""
        return cls(section, clock=clock)

    def _load(self, data: FixtureData) -> None:
        self.config = data
        self.users = {u.id: u for u in data.users}
        self.api_keys = {k.key: k for k in data.api_keys}
        self.libraries = {lib.id: lib for lib in data.libraries}
        self.items: dict[str, ItemRec] = {it.id: it for it in data.items}
        self.progress: dict[tuple[str, str, str | None], ProgressRec] = {
            (p.user_id, p.library_item_id, p.episode_id): p for p in data.progress
        }
        self.collections: dict[str, Any] = {}  # id → collections.CollectionRec
        self._secret = secrets.token_bytes(32)
        self._refresh_tokens: dict[str, str] = {}  # live refresh token → user id (rotated on use)
        self._auth_attempts: list[float] = []
        self._failures: list[int] = []
        self.counters: Counter[str] = Counter()

    # -- test controls ---------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Traffic counters: requests, writes, logins, refreshes, auth_failures, injected_failures, …"""
        base = {
            "requests": 0,
            "writes": 0,
            "logins": 0,
            "refreshes": 0,
            "auth_failures": 0,
            "injected_failures": 0,
        }
        return {**base, **self.counters}

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able view of what a client could have changed: progress per user and item metadata."""
        progress: dict[str, list[dict[str, Any]]] = {u.username: [] for u in self.users.values()}
        for p in sorted(self.progress.values(), key=lambda p: (p.library_item_id, p.episode_id or "")):
            progress[self.users[p.user_id].username].append(progress_json(p))
        items = {it.id: copy.deepcopy(it.metadata) for it in self.items.values()}
        keys = {
            k.name: {"isActive": k.is_active, "username": self.users[k.user_id].username}
            for k in self.api_keys.values()
        }
        return {"progress": progress, "items": items, "api_keys": keys}

    def reset(self) -> None:
        """Back to the fixture as loaded: progress, metadata, tokens, counters and queued failures."""
        self._load(parse_fixture(self._section))

    def fail_next(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` requests with ``status`` before doing anything else."""
        self._failures.extend([status] * count)

    def take_failure(self) -> int | None:
        """The status of the next injected failure, consumed; None when none is queued."""
        return self._failures.pop(0) if self._failures else None

    def now_ms(self) -> int:
        """The fake clock in epoch milliseconds."""
        return int(self._clock() * 1000)

    # -- authentication --------------------------------------------------------------------------

    def _jwt(self, payload: dict[str, Any]) -> str:
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        sig = hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{_b64(sig)}"

    def _decode(self, token: str) -> dict[str, Any] | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_b64(expected), parts[2]):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return None
        if not isinstance(payload, dict):
            return None
        exp = payload.get("exp")
        if isinstance(exp, int | float) and exp <= self._clock():
            return None
        return payload

    def issue_tokens(self, user: UserRec) -> tuple[str, str]:
        """A new access token and refresh token for ``user`` (expiries from the fixture's TTLs)."""
        now = int(self._clock())
        common = {"userId": user.id, "username": user.username, "iat": now}
        access = self._jwt(
            {**common, "jti": str(uuid.uuid4()), "type": "access", "exp": now + self.config.access_token_ttl}
        )
        refresh = self._jwt(
            {
                **common,
                "jti": str(uuid.uuid4()),
                "type": "refresh",
                "exp": now + self.config.refresh_token_ttl,
            }
        )
        self._refresh_tokens[refresh] = user.id
        return access, refresh

    def user_for_token(self, token: str | None) -> UserRec | None:
        """The active user a bearer token (legacy, access token or API key) stands for, else None."""
        if not token:
            return None
        key = self.api_keys.get(token)
        if key is not None:
            if key.is_active and key.expires_at is not None and key.expires_at <= self.now_ms():
                key.is_active = False  # ABS deactivates an expired key on first use
            user = self.users.get(key.user_id)
            return user if key.is_active and user and user.is_active else None
        for user in self.users.values():
            if hmac.compare_digest(user.legacy_token, token):
                return user if user.is_active else None
        payload = self._decode(token)
        # refresh tokens are not bearer tokens in 2.36 (isBearerAccessTokenPayload)
        if payload is None or payload.get("type") != "access":
            return None
        user = self.users.get(str(payload.get("userId")))
        return user if user and user.is_active else None

    def check_password(self, username: str, password: str) -> UserRec | None:
        """The user when the username and password match an active user, else None."""
        for user in self.users.values():
            if user.username == username and user.is_active and user.password:
                return user if hmac.compare_digest(user.password, password) else None
        return None

    def rotate_refresh(self, token: str | None) -> tuple[UserRec, str, str] | None:
        """Spend a live refresh token for new tokens (the old one stops working); None if invalid."""
        if not token or token not in self._refresh_tokens:
            return None
        payload = self._decode(token)
        user_id = self._refresh_tokens.pop(token)
        user = self.users.get(user_id)
        if payload is None or payload.get("type") != "refresh" or user is None or not user.is_active:
            return None
        access, refresh = self.issue_tokens(user)
        return user, access, refresh

    def auth_rate_limited(self) -> bool:
        """Record one auth request; True when it exceeds the limiter's budget for the window."""
        if self.config.auth_rate_limit <= 0:
            return False
        now = self._clock()
        window = self.config.auth_rate_window
        self._auth_attempts = [t for t in self._auth_attempts if now - t < window]
        self._auth_attempts.append(now)
        return len(self._auth_attempts) > self.config.auth_rate_limit

    # -- progress --------------------------------------------------------------------------------

    def progress_of(self, user: UserRec) -> list[ProgressRec]:
        """All of a user's progress entries (books, finished, ebook-only, podcast episodes)."""
        return [p for p in self.progress.values() if p.user_id == user.id]

    def apply_progress(
        self, user: UserRec, item_id: str, episode_id: str | None, payload: dict[str, Any]
    ) -> tuple[int, str]:
        """Create or update progress like ``createUpdateMediaProgressFromPayload``; (status, text body)."""
        item = self.items.get(item_id)
        if item is None:
            return 404, "Library item not found"
        if episode_id is not None:
            if all(e.id != episode_id for e in item.episodes):
                return 404, "Episode not found"
        elif item.media_type != "book":
            return 400, "Library item is not a book"
        payload = dict(payload)
        key = (user.id, item.id, episode_id)
        existing = self.progress.get(key)
        if existing is None:
            self.progress[key] = self._create_progress(user, item, episode_id, payload)
        else:
            self._update_progress(existing, payload)
        self.counters["writes"] += 1
        return 200, "OK"

    def _create_progress(
        self, user: UserRec, item: ItemRec, episode_id: str | None, payload: dict[str, Any]
    ) -> ProgressRec:
        now = self.now_ms()
        started = _ms(payload.get("createdAt")) or now
        p = ProgressRec(
            id=str(uuid.uuid4()),
            user_id=user.id,
            library_item_id=item.id,
            media_item_id=episode_id or item.media_id,
            episode_id=episode_id,
            duration=_num(payload.get("duration")) or 0.0,
            current_time=_num(payload.get("currentTime")) or 0.0,
            is_finished=bool(payload.get("isFinished")),
            hide_from_continue_listening=bool(payload.get("hideFromContinueListening")),
            ebook_location=payload.get("ebookLocation") or None,
            ebook_progress=_num(payload.get("ebookProgress")) or 0.0,
            progress=_num(payload.get("progress")) or 0.0,
            finished_at=_ms(payload.get("finishedAt")),
            started_at=started,
            last_update=_ms(payload.get("lastUpdate")) or now,
        )
        if p.is_finished:
            p.finished_at = p.finished_at or now
            p.progress = 1.0
        return p

    def _update_progress(self, p: ProgressRec, payload: dict[str, Any]) -> None:
        now = self.now_ms()
        if "isFinished" in payload:
            if payload["isFinished"] and not p.is_finished:
                p.finished_at = _ms(payload.get("finishedAt")) or now
                p.progress = 1.0
                payload.pop("finishedAt", None)
            elif not payload["isFinished"] and p.is_finished:
                p.finished_at = None
                p.progress = 0.0
                p.current_time = 0.0
                payload.pop("finishedAt", None)
                payload.pop("currentTime", None)
        else:
            sent = _num(payload.get("progress"))
            computed = max(0.0, min(p.current_time / p.duration, 1.0)) if p.duration else 0.0
            if sent is not None and sent != computed:
                p.progress = min(1.0, max(0.0, sent))
        before = p.current_time
        for key, attr in _PROGRESS_COLUMNS.items():
            if key in payload and (value := _num(payload[key])) is not None:
                setattr(p, attr, value)
        if "isFinished" in payload:
            p.is_finished = bool(payload["isFinished"])
        if "hideFromContinueListening" in payload:
            p.hide_from_continue_listening = bool(payload["hideFromContinueListening"])
        if "ebookLocation" in payload:
            p.ebook_location = payload["ebookLocation"]
        if "finishedAt" in payload:
            p.finished_at = _ms(payload["finishedAt"])
        moved = p.current_time != before
        if moved and not payload.get("hideFromContinueListening"):
            p.hide_from_continue_listening = False
        should_finish = self._should_finish(p, payload)
        if not p.is_finished and should_finish:
            p.is_finished = True
            p.finished_at = p.finished_at or now
            p.progress = 1.0
        elif p.is_finished and moved and not should_finish:
            p.is_finished = False
            p.finished_at = None
        p.last_update = _ms(payload.get("lastUpdate")) or now

    @staticmethod
    def _should_finish(p: ProgressRec, payload: dict[str, Any]) -> bool:
        if not p.duration:
            return False
        percent = _num(payload.get("markAsFinishedPercentComplete"))
        if percent is not None and percent > 0:
            return percent / 100 < max(0.0, min(p.current_time / p.duration, 1.0))
        remaining = _num(payload.get("markAsFinishedTimeRemaining"))
        return p.duration - p.current_time < (10.0 if remaining is None else remaining)

    # -- metadata --------------------------------------------------------------------------------

    def update_media(self, item: ItemRec, payload: Any) -> bool:
        """Apply a media PATCH body to a book as ABS 2.36 does (``media.py``); the server's ``updated``."""
        if item.media_type != "book":
            return False
        updated, metadata = apply_book_media_update(
            item.metadata, payload, lambda name: derived_id("series", name)
        )
        if updated:
            item.metadata.clear()
            item.metadata.update(metadata)
            item.updated_at = self.now_ms()
            self.counters["writes"] += 1
        return updated

    def describe(self) -> dict[str, Any]:
        """The parsed fixture as plain data (for debugging a demo fixture)."""
        return asdict(self.config)
