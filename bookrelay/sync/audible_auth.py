"""A user's Audible login: obtained through the connector's login helpers, kept only encrypted in the
store (``credentials``, service "audible", Fernet: S1), written back when the session renews tokens,
and removed (with the device deregistered at Amazon) on logout. Passwords pass through once and are
never stored; the auth data never reaches a log, an error or the screen.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bookrelay.connectors.audible import login
from bookrelay.connectors.audible.session import register_auth_secrets
from bookrelay.errors import AuthError, ConfigError
from bookrelay.store.facade import Store

SERVICE = "audible"
AUTH_NAME = "auth"


@dataclass(frozen=True, slots=True)
class AudibleLogin:
    """What may be shown about a stored login: no token, key or cookie."""

    user_id: str
    locale: str | None
    device_name: str | None
    account_name: str | None
    signing: bool  # requests signed with the device key (preferred) rather than bearer tokens


def describe(user_id: str, auth_data: Mapping[str, Any]) -> AudibleLogin:
    """The showable facts of ``auth_data``."""
    device = auth_data.get("device_info") if isinstance(auth_data.get("device_info"), dict) else {}
    customer = auth_data.get("customer_info") if isinstance(auth_data.get("customer_info"), dict) else {}
    return AudibleLogin(
        user_id=user_id,
        locale=auth_data.get("locale_code"),
        device_name=(device or {}).get("device_name"),
        account_name=(customer or {}).get("name"),
        signing=bool(auth_data.get("adp_token") and auth_data.get("device_private_key")),
    )


def save_auth(store: Store, user_id: str, auth_data: Mapping[str, Any]) -> AudibleLogin:
    """Store ``auth_data`` encrypted for ``user_id`` (replacing any earlier login)."""
    register_auth_secrets(auth_data)
    store.credentials.set(user_id, SERVICE, AUTH_NAME, json.dumps(dict(auth_data), sort_keys=True))
    return describe(user_id, auth_data)


def load_auth(store: Store, user_id: str) -> dict[str, Any]:
    """The stored auth data of ``user_id``; AuthError telling how to log in when there is none,
    ConfigError when the stored value is not auth data (never showing it)."""
    raw = store.credentials.get(user_id, SERVICE, AUTH_NAME)
    if raw is None:
        raise AuthError(
            f"no Audible login is stored: run `bookrelay audible login --user {user_id}`",
            service=SERVICE,
            user=user_id,
        )
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConfigError("the stored Audible login is unreadable: log in again", place=f"user {user_id}")
    register_auth_secrets(data)
    return data


def auth_saver(store: Store, user_id: str) -> Callable[[dict[str, Any]], None]:
    """The ``on_auth_changed`` hook of a session: renewed tokens replace the stored ones at once, so a
    crash later in the run cannot leave only an expired token behind."""

    def save(auth_data: dict[str, Any]) -> None:
        save_auth(store, user_id, auth_data)

    return save


def login_in_browser(
    store: Store, user_id: str, locale: str, url_callback: Callable[[str], str]
) -> AudibleLogin:
    """External-browser login: ``url_callback`` shows Amazon's login URL and returns the address the
    browser ends on; the new device's auth data is stored encrypted."""
    return save_auth(store, user_id, login.login_external(locale, url_callback))


def login_with_password(
    store: Store,
    user_id: str,
    locale: str,
    email: str,
    password: str,
    *,
    captcha: Callable[[str], str] | None = None,
    otp: Callable[[], str] | None = None,
    cvf: Callable[[], str] | None = None,
    approval: Callable[[], Any] | None = None,
) -> AudibleLogin:
    """Direct login with e-mail and password (used for this call only, never stored), asking the
    callbacks for a captcha, one-time code, verification code or approval when Amazon wants one."""
    data = login.login_with_password(
        email, password, locale, captcha_cb=captcha, otp_cb=otp, cvf_cb=cvf, approval_cb=approval
    )
    return save_auth(store, user_id, data)


def import_auth_file(
    store: Store, user_id: str, path: Path, password: str | None = None, locale: str | None = None
) -> AudibleLogin:
    """Import an audible-cli auth file (plain or encrypted with ``password``); a ``locale`` given
    must be the file's own marketplace."""
    data = login.import_auth_file(path, password)
    if locale is not None and data.get("locale_code") != login.check_locale(locale):
        raise ConfigError(
            f"the file is for the {data.get('locale_code')!r} marketplace, not {locale!r}", place=str(path)
        )
    return save_auth(store, user_id, data)


def logout(store: Store, user_id: str, *, deregister: bool = True) -> bool:
    """Deregister the stored login's device at Amazon (unless ``deregister`` is False) and delete it;
    whether there was one. A device Amazon already rejects is deleted all the same; any other
    failure (Amazon unreachable) keeps the login so that logging out can be tried again."""
    raw = store.credentials.get(user_id, SERVICE, AUTH_NAME)
    if raw is None:
        return False
    if deregister:
        # Rejected tokens mean the device is gone or unusable already: nothing left to deregister.
        with contextlib.suppress(AuthError):
            login.deregister(load_auth(store, user_id), user=user_id)
    return store.credentials.delete(user_id, SERVICE, AUTH_NAME)
