"""Parse the ``audible`` section of the sandbox fixture into the fake's records.

The format is documented in ``docs/sandbox-audible.md``. Every malformed value raises ``ValueError``
naming the key path (``audible.accounts[0].library[3].asin``), so a typo in a demo fixture is found at
start-up. :func:`new_device_auth` makes auth data of the shape the ``audible`` package stores, with a
fresh device key, for fixtures written by tests and the demo.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_RATE_LIMIT_PER_MINUTE = 120
DEFAULT_ACCESS_TOKEN_TTL = 3600  # seconds; Amazon access tokens live 60 minutes (audible.auth docstring)
DEFAULT_FINISHED_PAGE_SIZE = 50
MAX_NUM_RESULTS = 1000  # ref Part C.3
MAX_POSITION_ASINS = 25  # ref Part C.4


@dataclass
class AccountRec:
    """One Audible account: its registered device's auth data and its library."""

    name: str
    auth: dict[str, Any]
    library: list[dict[str, Any]]
    positions: dict[str, dict[str, Any]]
    finished_events: list[dict[str, Any]]
    public_key: rsa.RSAPublicKey | None = None


@dataclass
class FixtureData:
    """The parsed ``audible`` section."""

    accounts: list[AccountRec] = field(default_factory=list)
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE
    access_token_ttl: int = DEFAULT_ACCESS_TOKEN_TTL
    finished_page_size: int = DEFAULT_FINISHED_PAGE_SIZE


def new_device_auth(
    locale: str = "us", *, expires: float = 0.0, key_size: int = 2048, name: str = "bookrelay"
) -> dict[str, Any]:
    """Auth data shaped like ``audible.Authenticator.to_dict()`` for a new fake device (fresh RSA key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()

    def part() -> str:
        return base64.b64encode(secrets.token_bytes(24)).decode()

    # The package validates these shapes (audible/utils.py test_convert), so the fake's tokens match them.
    adp_token = f"{{enc:{part()}}}{{key:{part()}}}{{iv:{part()}}}{{name:{name}}}{{serial:Mg==}}"
    return {
        "website_cookies": None,
        "adp_token": adp_token,
        "access_token": "Atna|" + secrets.token_urlsafe(48),
        "refresh_token": "Atnr|" + secrets.token_urlsafe(48),
        "device_private_key": pem,
        "store_authentication_cookie": None,
        "device_info": {"device_name": f"{name}'s Audible for iPhone", "device_type": "A2CZJZGLK2JJVM"},
        "customer_info": {"name": name, "user_id": "amzn1.account." + secrets.token_hex(8).upper()},
        "expires": expires,
        "locale_code": locale,
        "with_username": False,
        "activation_bytes": None,
    }


def _int(value: Any, place: str, default: int, minimum: int = 1) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{place}: expected an integer >= {minimum}, got {value!r}")
    return value


def _dict(value: Any, place: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{place}: expected an object")
    return value


def _list(value: Any, place: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{place}: expected a list")
    return value


def _public_key(pem: Any, place: str) -> rsa.RSAPublicKey | None:
    if pem is None:
        return None
    if not isinstance(pem, str):
        raise ValueError(f"{place}: expected a PEM string")
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except ValueError as exc:
        raise ValueError(f"{place}: not a readable PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{place}: the device key must be an RSA key")
    return key.public_key()


def _auth(value: Any, place: str) -> dict[str, Any]:
    auth = dict(_dict(value, place))
    for key in ("adp_token", "access_token", "refresh_token"):
        if auth.get(key) is not None and not isinstance(auth[key], str):
            raise ValueError(f"{place}.{key}: expected a string")
    if not auth.get("adp_token") and not auth.get("access_token"):
        raise ValueError(f"{place}: needs an adp_token (signed requests) or an access_token (bearer)")
    if auth.get("adp_token") and not auth.get("device_private_key"):
        raise ValueError(f"{place}.device_private_key: needed to check signatures made with the adp_token")
    expires = auth.get("expires", 0)
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise ValueError(f"{place}.expires: expected epoch seconds")
    auth.setdefault("locale_code", "us")
    return auth


def _library_item(value: Any, place: str) -> dict[str, Any]:
    item = dict(_dict(value, place))
    if not isinstance(item.get("asin"), str) or not item["asin"]:
        raise ValueError(f"{place}.asin: expected a non-empty string")
    for key in ("percent_complete", "runtime_length_min"):
        number = item.get(key)
        if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
            raise ValueError(f"{place}.{key}: expected a number or null")
    item.setdefault("status", "Active")
    return item


def _positions(value: Any, place: str) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    positions = {}
    for asin, pos in _dict(value, place).items():
        pos = _dict(pos, f"{place}.{asin}")
        ms = pos.get("position_ms")
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 0:
            raise ValueError(f"{place}.{asin}.position_ms: expected a non-negative integer")
        if not isinstance(pos.get("last_updated"), str):
            raise ValueError(f"{place}.{asin}.last_updated: expected a timestamp string")
        positions[asin] = pos
    return positions


def _finished_event(value: Any, place: str) -> dict[str, Any]:
    event = dict(_dict(value, place))
    if not isinstance(event.get("asin"), str):
        raise ValueError(f"{place}.asin: expected a string")
    if not isinstance(event.get("event_timestamp"), str):
        raise ValueError(f"{place}.event_timestamp: expected an ISO timestamp string")
    event.setdefault("is_marked_as_finished", True)
    return event


def parse_fixture(section: dict[str, Any]) -> FixtureData:
    """Validate the ``audible`` section; ValueError names the first bad key path."""
    root = "audible"
    _dict(section, root)
    data = FixtureData(
        rate_limit_per_minute=_int(
            section.get("rate_limit_per_minute"),
            f"{root}.rate_limit_per_minute",
            DEFAULT_RATE_LIMIT_PER_MINUTE,
        ),
        access_token_ttl=_int(
            section.get("access_token_ttl"), f"{root}.access_token_ttl", DEFAULT_ACCESS_TOKEN_TTL
        ),
        finished_page_size=_int(
            section.get("finished_page_size"), f"{root}.finished_page_size", DEFAULT_FINISHED_PAGE_SIZE
        ),
    )
    names: set[str] = set()
    for i, raw in enumerate(_list(section.get("accounts"), f"{root}.accounts")):
        place = f"{root}.accounts[{i}]"
        raw = _dict(raw, place)
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{place}.name: expected a non-empty string")
        if name in names:
            raise ValueError(f"{place}.name: {name!r} is used twice")
        names.add(name)
        auth = _auth(raw.get("auth"), f"{place}.auth")
        library = [
            _library_item(item, f"{place}.library[{j}]")
            for j, item in enumerate(_list(raw.get("library"), f"{place}.library"))
        ]
        events = [
            _finished_event(ev, f"{place}.finished_events[{j}]")
            for j, ev in enumerate(_list(raw.get("finished_events"), f"{place}.finished_events"))
        ]
        data.accounts.append(
            AccountRec(
                name=name,
                auth=auth,
                library=library,
                positions=_positions(raw.get("positions"), f"{place}.positions"),
                finished_events=events,
                public_key=_public_key(auth.get("device_private_key"), f"{place}.auth.device_private_key"),
            )
        )
    return data
