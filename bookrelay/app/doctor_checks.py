"""``bookrelay doctor``: checks that say *what* is wrong with a connection, and how to fix it.

A wrong URL, a refused connection, a missing token, a bad token, a missing scope and a server error
look alike from inside a sync ("HTTP 404", "batch request failed"), so the doctor sends its own small
probes and looks at the raw answers: the status, the content type, the body's error code. The sync's
sessions translate failures for running jobs; they deliberately drop the details a diagnosis needs.

Each check is an async function returning :class:`Check` rows; nothing here reads the config file
(``app.run_doctor`` hands in the settings) and nothing writes anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx

from bookrelay.config import ConfigProblem
from bookrelay.connectors.hardcover.session import normalise_token
from bookrelay.connectors.http import PROBE_TIMEOUT, parse_rate_limit_headers
from bookrelay.errors import ConfigError
from bookrelay.http_defaults import HARDCOVER_URL
from bookrelay.redact import redact, register_secret

HARDCOVER_SCOPES = ("read:catalog", "read:library", "write:library", "read:me:content")
TOKEN_PAGE = "https://hardcover.app/account/api"
TOKEN_LINK = "https://hardcover.app/account/api/keys/new?scope=" + "%20".join(HARDCOVER_SCOPES)
HARDCOVER_FIX = (
    f"create one at {TOKEN_PAGE.removeprefix('https://')} with the scopes {' '.join(HARDCOVER_SCOPES)} "
    f"({TOKEN_LINK} pre-selects them)"
)

_ME = "query DoctorMe { me { id username } }"
_CATALOG = "query DoctorCatalog { editions(limit: 1) { id } }"
_LIBRARY = "query DoctorLibrary { user_books(limit: 1) { id } }"
_LIBRARY_OF = "query DoctorLibrary($u: Int!) { user_books(where: {user_id: {_eq: $u}}, limit: 1) { id } }"


class Failure(StrEnum):
    """The six kinds of connection failure, each with its own message."""

    WRONG_URL = "wrong URL or path"
    REFUSED = "connection refused"
    MISSING_TOKEN = "missing token"
    BAD_TOKEN = "bad token"
    MISSING_SCOPE = "missing scope"
    SERVER_ERROR = "server error"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the doctor's table; ``info`` marks a line that reports without passing judgement."""

    service: str
    user: str
    name: str
    ok: bool
    detail: str
    fix: str = ""
    info: bool = False
    failure: Failure | None = None


def passed(service: str, user: str, name: str, detail: str, *, info: bool = False) -> Check:
    """A passing check."""
    return Check(service, user, name, True, redact(detail), info=info)


def failed(service: str, user: str, name: str, failure: Failure | None, detail: str, fix: str) -> Check:
    """A failing check; ``detail`` starts with what kind of failure it is, so the six read differently."""
    return Check(service, user, name, False, redact(detail), redact(fix), failure=failure)


def _hostport(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def transport_failure(
    service: str, user: str, name: str, url: str, exc: httpx.HTTPError, setting: str
) -> Check:
    """A refused (or otherwise failed) connection, naming the host and port that did not answer."""
    if isinstance(exc, httpx.ConnectError):
        detail = f"connection refused: nothing answers at {_hostport(url)} ({type(exc).__name__})"
        kind: Failure | None = Failure.REFUSED
    else:
        detail = f"no answer from {_hostport(url)}: {type(exc).__name__}"
        kind = Failure.REFUSED if isinstance(exc, httpx.ConnectTimeout) else None
    fix = f"check {setting} (host and port) and that {service} is running and reachable from here"
    return failed(service, user, name, kind, detail, fix)


def server_error(service: str, user: str, name: str, response: httpx.Response) -> Check:
    """A 5xx answer: the service is there but failing."""
    detail = f"server error: {service} answered HTTP {response.status_code} {response.reason_phrase}"
    fix = f"a problem on {service}'s side: try again later; if it stays, look at {service}'s logs or status"
    return failed(service, user, name, Failure.SERVER_ERROR, detail, fix)


def wrong_url(
    service: str, user: str, name: str, url: str, response: httpx.Response, want: str, setting: str
) -> Check:
    """An answer that is not from the expected server (404, an HTML page, JSON of another shape)."""
    kind = response.headers.get("content-type", "no content type").split(";")[0]
    detail = f"wrong URL or path: {url} answered HTTP {response.status_code} ({kind}), which is not {want}"
    return failed(service, user, name, Failure.WRONG_URL, detail, f"set {setting} to {want}")


def json_of(response: httpx.Response) -> Any:
    """The JSON body, or None when it is not JSON."""
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None


# -- Hardcover ------------------------------------------------------------------------------------


@dataclass
class _Answer:
    check: Check | None  # a failure that ends the Hardcover checks, or a scope failure
    data: dict[str, Any] | None
    response: httpx.Response | None


async def _ask(
    http: httpx.AsyncClient, url: str, token: str, user: str, name: str, query: str, variables: dict[str, Any]
) -> _Answer:
    service, setting = "hardcover", "global.hardcover.url"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        response = await http.post(
            url, json={"query": query, "variables": variables}, headers=headers, timeout=PROBE_TIMEOUT
        )
    except httpx.HTTPError as exc:
        return _Answer(transport_failure(service, user, name, url, exc, setting), None, None)
    body = json_of(response)
    code = body.get("error") if isinstance(body, dict) else None
    if response.status_code >= 500:
        return _Answer(server_error(service, user, name, response), None, response)
    if response.status_code == 401:
        detail = f"Hardcover answered 401 {code or 'Unauthorized'}: the token is wrong or expired"
        return _Answer(failed(service, user, name, Failure.BAD_TOKEN, detail, HARDCOVER_FIX), None, response)
    if response.status_code == 403 and code == "insufficient_scope":
        return _Answer(_scope_missing(user, name, str(body.get("scope") or "")), None, response)
    if response.status_code == 429:
        message = (body or {}).get("message") if isinstance(body, dict) else None
        detail = f"rate limited (429): {message or 'the budget is spent for now'}"
        fix = "wait: the per-minute budget refills in a minute, the daily one at midnight UTC"
        return _Answer(failed(service, user, name, None, detail, fix), None, response)
    want = f"Hardcover's GraphQL endpoint, {HARDCOVER_URL}"
    if response.status_code != 200 or not isinstance(body, dict) or not ("data" in body or "errors" in body):
        return _Answer(wrong_url(service, user, name, url, response, want, setting), None, response)
    errors = " ".join(str(e.get("message", e)) for e in body.get("errors") or [] if isinstance(e, dict))
    if "scope" in errors.lower() or "not found" in errors.lower():
        scope = {"me": "read:me:content", "editions": "read:catalog"}.get(name.split()[0], "read:library")
        return _Answer(_scope_missing(user, name, scope), None, response)
    if errors:
        return _Answer(
            failed(service, user, name, None, f"GraphQL errors: {errors}", "report this"), None, response
        )
    return _Answer(None, body.get("data") or {}, response)


def _scope_missing(user: str, name: str, scope: str) -> Check:
    detail = f"missing scope: the token lacks {scope} (Hardcover answered 403 insufficient_scope)"
    return failed("hardcover", user, name, Failure.MISSING_SCOPE, detail, HARDCOVER_FIX)


async def check_hardcover(
    http: httpx.AsyncClient,
    url: str,
    token: str | None,
    user: str,
    *,
    token_setting: str = "HARDCOVER_TOKEN",  # noqa: S107 (a name)
) -> list[Check]:
    """Reachability, the token, one cheap query per needed scope, and the budget left today.

    Costs at most three Hardcover units (one per scope probe). ``write:library`` is not probed:
    that would need a write, so the check says so instead of pretending.
    """
    if not token or not token.strip():
        detail = f"missing token: no Hardcover token is configured ({token_setting})"
        return [failed("hardcover", user, "token", Failure.MISSING_TOKEN, detail, HARDCOVER_FIX)]
    try:
        bare = normalise_token(token, token_setting)
    except ConfigError:
        detail = f"missing token: the Hardcover token is empty ({token_setting})"
        return [failed("hardcover", user, "token", Failure.MISSING_TOKEN, detail, HARDCOVER_FIX)]
    register_secret(bare)
    me = await _ask(http, url, bare, user, "me (read:me:content)", _ME, {})
    if me.check is not None and me.check.failure is not Failure.MISSING_SCOPE:
        return [me.check]
    checks = [passed("hardcover", user, "connection", f"Hardcover GraphQL at {url}; token accepted")]
    user_id = None
    if me.check is not None:
        checks.append(me.check)
    else:
        rows = (me.data or {}).get("me") or [{}]
        user_id = rows[0].get("id") if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None
        checks.append(
            passed("hardcover", user, "me (read:me:content)", f"token of {rows[0].get('username')!r}")
        )
    last = me.response
    for name, query, variables in (
        ("editions (read:catalog)", _CATALOG, {}),
        (
            "user_books (read:library)",
            _LIBRARY_OF if user_id else _LIBRARY,
            {"u": user_id} if user_id else {},
        ),
    ):
        answer = await _ask(http, url, bare, user, name, query, variables)
        last = answer.response or last
        checks.append(answer.check or passed("hardcover", user, name, "allowed"))
        if answer.check is not None and answer.check.failure is not Failure.MISSING_SCOPE:
            return checks
    checks.append(
        passed(
            "hardcover",
            user,
            "write:library",
            "not checked: only a write could prove it; without it the first sync stops with "
            "'missing scope: write:library'",
            info=True,
        )
    )
    checks.append(_budget(user, last))
    return checks


def _budget(user: str, response: httpx.Response | None) -> Check:
    daily = parse_rate_limit_headers(response.headers).daily if response is not None else None
    if daily is None or daily.remaining is None:
        return passed(
            "hardcover", user, "budget today", "unknown (no RateLimit headers in the answer)", info=True
        )
    of = f" of {daily.quota}" if daily.quota else ""
    resets = (
        f"; resets in {int(daily.reset_in) // 3600}h {int(daily.reset_in) % 3600 // 60}m"
        if daily.reset_in
        else ""
    )
    detail = f"{daily.remaining}{of} requests left today{resets}"
    if daily.remaining <= 0:
        return failed("hardcover", user, "budget today", None, detail, "runs continue after the daily reset")
    return passed("hardcover", user, "budget today", detail)


# -- config problems ------------------------------------------------------------------------------

_TOKEN_PLACE = re.compile(r"(users\[(\d+)\]\.(hardcover|audiobookshelf))")


def checks_from_config_problems(problems: list[ConfigProblem]) -> list[Check]:
    """The configuration's problems as failed checks; a missing or empty credential is a *missing token*."""
    checks = []
    for problem in problems:
        where = str(problem.file or "environment") + (f":{problem.line}" if problem.line else "")
        text = f"{problem.key} {problem.message}".strip()
        place = _TOKEN_PLACE.search(text)
        missing = any(m in problem.message for m in ("is required", "is empty", "is needed", "needs api_key"))
        if place is not None and missing and problem.key in ("", place.group(1), f"{place.group(1)}.token"):
            service, user = place.group(3), place.group(2)
            fix = HARDCOVER_FIX if service == "hardcover" else "add api_key (or username and password)"
            detail = f"missing token: {text} ({where})"
            checks.append(failed(service, f"users[{user}]", "token", Failure.MISSING_TOKEN, detail, fix))
        else:
            checks.append(
                failed("config", "", "configuration", None, f"{text} ({where})", "see bookrelay config check")
            )
    return checks
