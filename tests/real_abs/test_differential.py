"""The differential check: the same library loaded into the real server and into the fake, every request
bookrelay makes sent to both, and the answers compared by shape (keys, types, nullability, paging fields,
status, JSON or text). A difference is fixed in the fake or listed, with its reason, in
docs/sandbox-audiobookshelf.md ("Differences from the real server"); anything else fails this test, and so
does a listed difference that is no longer seen."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bookrelay.connectors.audiobookshelf.api import AbsApi
from bookrelay.connectors.audiobookshelf.session import AbsSession
from bookrelay.sandbox.audiobookshelf import AbsState, build_abs_app
from tests.real_abs.server import EPISODE_SECONDS, PODCAST, AbsUser, RealAbs
from tests.real_abs.shapes import Answer, Recorder, differences

DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox-audiobookshelf.md"
_LISTED = re.compile(r"^- `(?P<call>[A-Z]+ [^`]+)` `(?P<path>[^`]+)`")
_PROGRESS_KEYS = (
    "libraryItemId", "episodeId", "currentTime", "duration", "progress", "isFinished", "ebookProgress",
    "ebookLocation", "hideFromContinueListening", "startedAt", "lastUpdate", "finishedAt",
)  # fmt: skip


# The requests bookrelay's Audiobookshelf client makes (connectors/audiobookshelf/api.py and session.py).
EVERY_CALL = {
    "GET /status",
    "POST /login",
    "POST /auth/refresh",
    "GET /api/me",
    "GET /api/libraries",
    "GET /api/libraries/:id/items ?limit,page,sort",
    "GET /api/items/:id ?expanded,include",
    "GET /api/items/:id ?expanded",
    "POST /api/items/batch/get",
    "GET /api/me/items-in-progress ?limit",
    "GET /api/me/progress/:id",
    "PATCH /api/me/progress/:id",
    "PATCH /api/items/:id/media",
    "GET /api/collections",
    "POST /api/collections",
    "POST /api/collections/:id/batch/add",
    "POST /api/collections/:id/batch/remove",
}


def listed_differences() -> set[tuple[str, str]]:
    """The deliberate differences the fake's documentation lists: ``(call, path)``."""
    section = DOC.read_text(encoding="utf-8").split("\n## Differences from the real server", 1)[1]
    section = section.split("\n## ", 1)[0]
    return {(m["call"], m["path"]) for line in section.splitlines() if (m := _LISTED.match(line))}


def covers(entry: tuple[str, str], found: tuple[str, str]) -> bool:
    """A listed ``(call, path)`` covers that path and everything under it."""
    (call, path), (found_call, found_path) = entry, found
    return call == found_call and (found_path == path or found_path.startswith((f"{path}.", f"{path}[")))


def fake_fixture(real_abs: RealAbs, user: AbsUser) -> dict[str, Any]:
    """The real server's library and the user's progress, as the fake's fixture."""
    items = []
    for key in real_abs.books:
        raw = real_abs.item(key)
        md = raw["media"]["metadata"]
        items.append(
            {
                **{
                    k: md[k]
                    for k in ("title", "subtitle", "narrators", "genres", "publishedYear", "isbn", "asin")
                },
                **{k: md[k] for k in ("publishedDate", "publisher", "description", "language", "explicit")},
                "id": raw["id"],
                "abridged": md["abridged"],
                "authors": [a["name"] for a in md["authors"]],
                "series": [{"name": s["name"], "sequence": s["sequence"]} for s in md["series"]],
                "duration": raw["media"]["duration"],
                "addedAt": raw["addedAt"],
            }
        )
    with real_abs.client(user.api_key) as http:
        progress = http.get("/api/me").json()["mediaProgress"]
    episode = {"id": real_abs.episode_id, "title": "episode-1", "duration": EPISODE_SECONDS}
    podcast = {"id": real_abs.podcast_item_id, "title": PODCAST, "episodes": [episode]}
    return {
        "users": [{"username": user.username, "password": user.password, "type": "admin", "id": user.id}],
        "api_keys": [{"name": "diff", "key": user.api_key, "username": user.username, "isActive": True}],
        "libraries": [
            {"id": real_abs.library_id, "name": "Audiobooks", "mediaType": "book", "items": items},
            {
                "id": real_abs.podcast_library_id,
                "name": "Podcasts",
                "mediaType": "podcast",
                "items": [podcast],
            },
        ],
        "progress": [{"username": user.username, **{k: p[k] for k in _PROGRESS_KEYS}} for p in progress],
    }


async def exercise(url: str, transport: httpx.AsyncBaseTransport, real_abs: RealAbs, user: AbsUser) -> None:
    """Every call bookrelay's Audiobookshelf client makes, in one fixed order."""
    ids = {key: book.item_id for key, book in real_abs.books.items()}
    async with httpx.AsyncClient(transport=transport) as http:
        await http.get(f"{url}/status")  # the doctor's first look
        api = AbsApi(AbsSession(url, api_key=user.api_key, client=http))
        await api.me()
        await api.libraries()
        await api.library_items(real_abs.library_id, page_size=3)  # three pages, the last one short
        await api.library_items(real_abs.library_id)
        await api.item(ids["phm"], include_progress=True)  # with progress
        await api.item(ids["hobbit"], include_progress=True)  # userMediaProgress null
        await api.item(real_abs.podcast_item_id)
        await api.items_batch(sorted(ids.values()))
        await api.items_in_progress()
        await api.progress(ids["phm"])
        await api.progress(ids["hobbit"])  # 404
        await api.update_progress(ids["dune"], {"currentTime": 60.0, "duration": 240.0, "progress": 0.25})
        isbn = real_abs.books["piranesi"].title.isbn
        await api.update_media(ids["piranesi"], {"isbn": isbn})  # the same value: changes nothing
        await api.collections()
        created = await api.create_collection(real_abs.library_id, "Differential Check", [ids["dune"]])
        await api.add_to_collection(created["id"], [ids["circe"]])
        await api.remove_from_collection(created["id"], [ids["dune"]])
        await api.collections()
        password = AbsApi(AbsSession(url, username=user.username, password=user.password, client=http))
        await password.me()  # POST /login with x-return-tokens, then the access token
        refresh = password.session._refresh_token  # what the session sends to /auth/refresh
        await http.post(f"{url}/auth/refresh", headers={"x-refresh-token": refresh or ""})


async def _run(
    go: Callable[[str, httpx.AsyncBaseTransport], Awaitable[None]], url: str, inner: httpx.AsyncBaseTransport
) -> list[Answer]:
    recorder = Recorder(inner)
    await go(url, recorder)
    return recorder.answers


def compare(real: list[Answer], fake: list[Answer]) -> set[tuple[str, str]]:
    """Every ``(call, path)`` where the fake answered in another shape than the real server."""
    assert [a.call for a in real] == [a.call for a in fake], "bookrelay made other requests to the fake"
    found: set[tuple[str, str]] = set()
    for r, f in zip(real, fake, strict=True):
        if (r.status, r.kind) != (f.status, f.kind):
            found.add((r.call, f"(status) real {r.status} {r.kind}, fake {f.status} {f.kind}"))
            continue
        found |= {(r.call, path) for path, _ in differences(r.body, f.body)}
    return found


def explain(real: list[Answer], fake: list[Answer], keys: set[tuple[str, str]]) -> str:
    """The differences with what each side had, one a line."""
    lines = []
    for r, f in zip(real, fake, strict=True):
        for path, what in differences(r.body, f.body):
            if (r.call, path) in keys:
                lines.append(f"- `{r.call}` `{path}` {what}")
        if (r.status, r.kind) != (f.status, f.kind) and any(c == r.call for c, _ in keys):
            lines.append(f"- `{r.call}` status: real {r.status} {r.kind}, fake {f.status} {f.kind}")
    return "\n".join(sorted(set(lines)))


async def test_the_fake_answers_every_request_in_the_real_servers_shape(
    real_abs: RealAbs, abs_user: AbsUser
) -> None:
    for key, at in (("leviathan", 0.4), ("asr", 0.9)):
        duration = real_abs.books[key].duration
        real_abs.patch_progress(
            key, {"currentTime": duration * at, "duration": duration, "progress": at}, abs_user.api_key
        )
    real_abs.patch_progress("circe", {"isFinished": True}, abs_user.api_key)
    with real_abs.client(abs_user.api_key) as http:
        episode = f"/api/me/progress/{real_abs.podcast_item_id}/{real_abs.episode_id}"
        http.patch(episode, json={"currentTime": 10.0, "duration": 30.0, "progress": 0.33}).raise_for_status()
    fake = AbsState.from_fixture(fake_fixture(real_abs, abs_user))  # loaded before any call changes the real

    async def go(url: str, transport: httpx.AsyncBaseTransport) -> None:
        await exercise(url, transport, real_abs, abs_user)

    real_answers = await _run(go, real_abs.url, httpx.AsyncHTTPTransport())
    fake_answers = await _run(go, "http://fake", httpx.ASGITransport(app=build_abs_app(fake)))
    found = compare(real_answers, fake_answers)
    listed = listed_differences()
    unlisted = {f for f in found if not any(covers(entry, f) for entry in listed)}
    stale = {entry for entry in listed if not any(covers(entry, f) for f in found)}
    assert not unlisted, "differences not listed in docs/sandbox-audiobookshelf.md:\n" + explain(
        real_answers, fake_answers, unlisted
    )
    assert not stale, f"listed in docs/sandbox-audiobookshelf.md but no longer seen: {sorted(stale)}"
    made = {a.call for a in real_answers}
    assert made == {a.call for a in fake_answers}
    assert made >= EVERY_CALL, f"not compared: {sorted(EVERY_CALL - made)}"
