"""Thin wrappers over the ``audible`` package's login, auth-file import and device deregistration
(ref Part C.1); each returns or takes auth data as a dict (``Authenticator.to_dict()`` shape) and
raises only ``bookrelay.errors``. Passwords are used once, registered for redaction, never returned.

These functions block (the package's login and deregistration are synchronous): front ends call them
in a worker thread. Logging in registers a new device with Amazon; :func:`deregister` removes it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bookrelay.connectors.audible.session import (
    SERVICE,
    audible_exceptions,
    audible_module,
    auth_problem,
    build_authenticator,
    register_auth_secrets,
)
from bookrelay.errors import AuthError, BookrelayError, ConfigError, ServiceUnavailable
from bookrelay.redact import redact, register_secret

if TYPE_CHECKING:
    import audible

# Marketplaces of audible.localization (ref Part C.1).
LOCALES = ("us", "uk", "de", "fr", "ca", "it", "au", "in", "jp", "es", "br")


def check_locale(locale: str) -> str:
    """The locale in lower case, or ConfigError naming ``--locale`` when Audible has no such marketplace."""
    code = (locale or "").strip().lower()
    if code not in LOCALES:
        raise ConfigError(
            f"unknown Audible marketplace {locale!r}; one of {', '.join(LOCALES)}", place="--locale"
        )
    return code


def _login_error(exc: Exception, what: str) -> BookrelayError:
    if isinstance(exc, BookrelayError):
        return exc
    if isinstance(exc, httpx.HTTPError):
        return ServiceUnavailable(
            f"{what}: Amazon could not be reached ({type(exc).__name__})", service=SERVICE
        )
    return AuthError(f"{what} failed: {redact(str(exc)) or type(exc).__name__}", service=SERVICE)


def _finish(auth: audible.Authenticator, what: str) -> dict[str, Any]:
    data = auth.to_dict()
    register_auth_secrets(data)
    problem = auth_problem(auth)
    if problem:
        raise AuthError(f"{what}: Amazon's answer is unusable: {problem}", service=SERVICE)
    return data


def login_external(locale: str, url_callback: Callable[[str], str]) -> dict[str, Any]:
    """Log in through an external browser: ``url_callback`` gets the Amazon login URL and returns the
    address the browser ends on; a new device is registered and its auth data returned."""
    code = check_locale(locale)
    try:
        auth = audible_module().Authenticator.from_login_external(
            locale=code, login_url_callback=url_callback
        )
    except KeyError:
        # external_login reads openid.oa2.authorization_code from the pasted address.
        raise AuthError(
            "external login: the address has no authorization code; paste the full address the browser "
            "ends on (a 'page not found' page)",
            service=SERVICE,
        ) from None
    except Exception as exc:
        raise _login_error(exc, "external login") from None
    return _finish(auth, "external login")


def login_with_password(
    email: str,
    password: str,
    locale: str,
    captcha_cb: Callable[[str], str] | None = None,
    otp_cb: Callable[[], str] | None = None,
    cvf_cb: Callable[[], str] | None = None,
    approval_cb: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Log in with e-mail and password (the package's direct login, asking the callbacks for a captcha,
    one-time code, verification code or approval when Amazon wants one); returns new device auth data."""
    register_secret(password)
    code = check_locale(locale)
    try:
        auth = audible_module().Authenticator.from_login(
            username=email,
            password=password,
            locale=code,
            captcha_callback=captcha_cb,
            otp_callback=otp_cb,
            cvf_callback=cvf_cb,
            approval_callback=approval_cb,
        )
    except Exception as exc:
        raise _login_error(exc, "password login") from None
    return _finish(auth, "password login")


def import_auth_file(path: str | Path, password: str | None = None) -> dict[str, Any]:
    """The auth data of an audible-cli / ``audible`` auth file, plain or encrypted (``json`` or
    ``bytes`` style, needing ``password``); ConfigError naming the file when it cannot be used."""
    file = Path(path)
    place = str(file)
    if password:
        register_secret(password)
    if not file.is_file():
        raise ConfigError("no such file", place=place)
    try:
        auth = audible_module().Authenticator.from_file(file, password=password)
    except audible_exceptions().FileEncryptionError:
        raise ConfigError("the file is encrypted: give its password", place=place) from None
    except Exception as exc:
        # A wrong password decrypts to garbage, which fails as padding, text or JSON errors.
        reason = "wrong password, or not an audible auth file" if password else "not an audible auth file"
        raise ConfigError(f"cannot read it ({reason}): {redact(str(exc))[:200]}", place=place) from None
    data = auth.to_dict()
    register_auth_secrets(data)
    problem = auth_problem(auth)
    if problem:
        raise ConfigError(problem, place=place)
    return data


def deregister(auth_data: Mapping[str, Any], *, user: str = "?") -> None:
    """Deregister the device of ``auth_data`` with Amazon, so its tokens stop working."""
    auth = build_authenticator(copy.deepcopy(dict(auth_data)), user=user)
    try:
        auth.deregister_device()
    except Exception as exc:
        raise _login_error(exc, "deregister") from None
