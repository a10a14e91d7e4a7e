"""The doctor's checks of Audiobookshelf, Bookshelf, rreading-glasses and Audible, and the run over a
whole configuration. The first probe of each service is raw (to tell the six failures apart); once the
server is known to be the right one, the real connectors read libraries, root folders and profiles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from bookrelay.app.doctor_checks import (
    Check,
    Failure,
    check_hardcover,
    failed,
    json_of,
    passed,
    server_error,
    transport_failure,
    wrong_url,
)
from bookrelay.config import Config, UserConfig
from bookrelay.config.jobs import enabled_jobs, jobs_for
from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.connectors.bookshelf.api import BookshelfApi
from bookrelay.connectors.bookshelf.session import BookshelfSession
from bookrelay.connectors.http import PROBE_TIMEOUT
from bookrelay.errors import AuthError, BadResponse, BookrelayError, NotFound

ABS_KEY_FIX = (
    "create an API key in Audiobookshelf (Settings → API Keys, switched active) and put it in "
    "users[].audiobookshelf.api_key or ABS_TOKEN"
)


async def _get(
    http: httpx.AsyncClient, url: str, headers: Mapping[str, str] | None = None
) -> httpx.Response | httpx.HTTPError:
    try:
        return await http.get(url, headers=dict(headers or {}), timeout=PROBE_TIMEOUT)
    except httpx.HTTPError as exc:
        return exc


def _connector_failure(service: str, user: str, name: str, exc: BookrelayError, fix: str) -> Check:
    """A failure of a later, authenticated call, classified by the connector's error."""
    if isinstance(exc, AuthError):
        return failed(service, user, name, Failure.BAD_TOKEN, f"bad token: {exc.message}", fix)
    if isinstance(exc, BadResponse | NotFound):
        return failed(service, user, name, Failure.WRONG_URL, f"wrong URL or path: {exc.message}", fix)
    return failed(
        service, user, name, Failure.SERVER_ERROR, f"server error: {exc.message}", "try again later"
    )


async def check_audiobookshelf(
    http: httpx.AsyncClient,
    url: str,
    user: str,
    *,
    api_key: str | None,
    username: str | None = None,
    password: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    needs_update: bool = False,
) -> list[Check]:
    """The server (``GET /status``: Audiobookshelf? which version?), the credential, the book libraries."""
    service, setting = "audiobookshelf", "users[].audiobookshelf.url"
    want = "the Audiobookshelf server root (like http://host:13378, without /api)"
    answer = await _get(http, f"{url.rstrip('/')}/status")
    if isinstance(answer, httpx.HTTPError):
        return [transport_failure(service, user, "server", url, answer, setting)]
    if answer.status_code >= 500:
        return [server_error(service, user, "server", answer)]
    status = json_of(answer)
    if answer.status_code != 200 or not isinstance(status, dict) or "serverVersion" not in status:
        return [wrong_url(service, user, "server", f"{url}/status", answer, want, setting)]
    checks = [passed(service, user, "server", f"Audiobookshelf {status['serverVersion']} at {url}")]
    if not api_key and not (username and password):
        detail = "missing token: no API key (or username and password) is configured"
        return [*checks, failed(service, user, "credential", Failure.MISSING_TOKEN, detail, ABS_KEY_FIX)]
    session = AbsSession(url, api_key=api_key, username=username, password=password, client=http, retries=0)
    api = AbsApi(session)
    try:
        me = await api.me()
    except AuthError:
        what = "API key" if api_key else "username or password"
        detail = f"Audiobookshelf answered 401 Unauthorized: the {what} is wrong, expired or inactive"
        return [*checks, failed(service, user, "credential", Failure.BAD_TOKEN, detail, ABS_KEY_FIX)]
    except BookrelayError as exc:
        return [*checks, _connector_failure(service, user, "credential", exc, ABS_KEY_FIX)]
    checks.append(passed(service, user, "credential", f"accepted; user {me.get('username')!r}"))
    can_update = bool((me.get("permissions") or {}).get("update"))  # type: ignore[attr-defined]
    if can_update or not needs_update:
        detail = "can update items" if can_update else "cannot update items (enrich --apply would get 403)"
        checks.append(passed(service, user, "update permission", detail, info=not can_update))
    else:
        detail = "missing scope: the user lacks the Update permission that enrich --apply needs"
        fix = "give the user 'Can Update' in Audiobookshelf (Settings → Users), or use an admin's API key"
        checks.append(failed(service, user, "update permission", Failure.MISSING_SCOPE, detail, fix))
    try:
        books = await api.book_libraries(list(include) or None, list(exclude) or None)
    except BookrelayError as exc:
        return [*checks, _connector_failure(service, user, "libraries", exc, ABS_KEY_FIX)]
    if not books:
        fix = "check users[].audiobookshelf.libraries include/exclude and the user's library access"
        return [*checks, failed(service, user, "libraries", None, "no book library is visible", fix)]
    names = ", ".join(str(lib.get("name")) for lib in books)
    return [
        *checks,
        passed(
            service,
            user,
            "libraries",
            f"{len(books)} book librar{'y' if len(books) == 1 else 'ies'}: {names}",
        ),
    ]


async def check_bookshelf(http: httpx.AsyncClient, config: Config) -> list[Check]:
    """Bookshelf's status with the API key, its root folders and profiles (and the configured ones exist)."""
    settings, service, setting = config.global_.bookshelf, "bookshelf", "global.bookshelf.url"
    fix_key = (
        "copy the API key from Bookshelf (Settings → General) to global.bookshelf.api_key "
        "or BOOKSHELF_API_KEY"
    )
    if settings.api_key is None:
        detail = "missing token: no Bookshelf API key is configured (global.bookshelf.api_key)"
        return [failed(service, "", "API key", Failure.MISSING_TOKEN, detail, fix_key)]
    key = settings.api_key.get_secret_value()
    url = f"{settings.url}/api/v1/system/status"
    answer = await _get(http, url, {"X-Api-Key": key})
    if isinstance(answer, httpx.HTTPError):
        return [transport_failure(service, "", "server", settings.url, answer, setting)]
    if answer.status_code >= 500:
        return [server_error(service, "", "server", answer)]
    if answer.status_code == 401:
        detail = "Bookshelf answered 401 Unauthorized: the API key is wrong"
        return [failed(service, "", "API key", Failure.BAD_TOKEN, detail, fix_key)]
    body = json_of(answer)
    if answer.status_code != 200 or not isinstance(body, dict) or "version" not in body:
        return [
            wrong_url(
                service, "", "server", url, answer, "the Bookshelf root (like http://host:8787)", setting
            )
        ]
    checks = [
        passed(
            service, "", "server", f"{body.get('appName') or 'Bookshelf'} {body['version']}; API key accepted"
        )
    ]
    api = BookshelfApi(BookshelfSession(http, key, url=settings.url, max_retries=0))
    try:
        folders = await api.root_folders()
        quality = await api.quality_profiles()
        metadata = await api.metadata_profiles()
    except BookrelayError as exc:
        return [*checks, _connector_failure(service, "", "root folders and profiles", exc, fix_key)]
    checks.append(
        _listed(
            "root folders", [f.path for f in folders], settings.root_folder, "global.bookshelf.root_folder"
        )
    )
    checks.append(
        _listed(
            "quality profiles",
            [p.name for p in quality],
            settings.quality_profile,
            "global.bookshelf.quality_profile",
            [p.id for p in quality],
        )
    )
    checks.append(
        _listed(
            "metadata profiles",
            [p.name for p in metadata],
            settings.metadata_profile,
            "global.bookshelf.metadata_profile",
            [p.id for p in metadata],
        )
    )
    return checks


def _listed(name: str, values: list[str], chosen: Any, setting: str, ids: Sequence[int] = ()) -> Check:
    if not values:
        return failed(
            "bookshelf", "", name, None, "none defined in Bookshelf", "add one in Bookshelf's settings"
        )
    shown = ", ".join(values)
    if chosen is not None and str(chosen) not in values and chosen not in ids:
        return failed(
            "bookshelf",
            "",
            name,
            None,
            f"{setting} = {chosen!r} is not one of: {shown}",
            f"set {setting} to one of them",
        )
    return passed("bookshelf", "", name, shown)


async def check_rreading_glasses(http: httpx.AsyncClient, config: Config) -> list[Check]:
    """rreading-glasses answers its cheapest route (``/author/changed``, no upstream call)."""
    url, service, setting = (
        config.global_.rreading_glasses.url,
        "rreading-glasses",
        "global.rreading_glasses.url",
    )
    answer = await _get(http, f"{url}/author/changed?since=2000-01-01T00:00:00Z")
    if isinstance(answer, httpx.HTTPError):
        return [transport_failure(service, "", "server", url, answer, setting)]
    if answer.status_code >= 500:
        return [server_error(service, "", "server", answer)]
    body = json_of(answer)
    if answer.status_code != 200 or not isinstance(body, dict) or "Limited" not in body:
        return [wrong_url(service, "", "server", url, answer, "the rreading-glasses root", setting)]
    return [passed(service, "", "server", f"reachable at {url}")]


def check_audible(user: UserConfig, logged_in: bool) -> list[Check]:
    """Whether a user with an ``audible`` section has a stored login (checked without calling Amazon)."""
    if user.audible is None or not user.audible.enabled:
        return []
    if logged_in:
        return [passed("audible", user.id, "login", f"stored login for marketplace {user.audible.locale}")]
    detail = f"missing token: no Audible login is stored for {user.id}"
    fix = f"run bookrelay audible login --user {user.id}"
    return [failed("audible", user.id, "login", Failure.MISSING_TOKEN, detail, fix)]


async def run_all(
    http: httpx.AsyncClient, config: Config, users: Sequence[UserConfig], audible_logins: Mapping[str, bool]
) -> list[Check]:
    """Every check for these users, and the shared services when the config uses them."""
    checks: list[Check] = []
    hardcover = config.global_.hardcover
    for i, user in enumerate(users):
        token = user.hardcover.token
        if token is None and hardcover.auth == "oauth":
            detail = "signs in with OAuth: the token lives in the store and is not probed here"
            checks.append(passed("hardcover", user.id, "token", detail, info=True))
        else:
            checks += await check_hardcover(
                http,
                str(hardcover.url),
                token.get_secret_value() if token is not None else None,
                user.id,
                token_setting=f"users[{i}].hardcover.token",
            )
        account = user.audiobookshelf
        if account is not None:
            checks += await check_audiobookshelf(
                http,
                str(account.url),
                user.id,
                api_key=account.api_key.get_secret_value() if account.api_key else None,
                username=account.username,
                password=account.password.get_secret_value() if account.password else None,
                include=account.libraries.include,
                exclude=account.libraries.exclude,
                needs_update="enrich" in jobs_for(config, user),
            )
        checks += check_audible(user, audible_logins.get(user.id, False))
    explicit = config.global_.model_fields_set
    wanted = "wanted" in enabled_jobs(config)
    if wanted or "bookshelf" in explicit:
        checks += await check_bookshelf(http, config)
    if wanted or "rreading_glasses" in explicit:
        checks += await check_rreading_glasses(http, config)
    return checks
