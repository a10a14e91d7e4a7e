"""The web pages through an httpx client: sign-in, CSRF, escaping, forms that change the store."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from bookrelay.store.models import ConflictStatus
from bookrelay.store.repositories import BookFacts, ItemFacts
from bookrelay.web import create_app
from bookrelay.web.audible_bridge import BrowserLoginBridge
from tests.web.conftest import API_KEY, CANDIDATES, PASSWORD, StandInRunner, Web, web_config


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def _sign_in(client: httpx.AsyncClient, secret: str = PASSWORD) -> str:
    token = _csrf((await client.get("/login")).text)
    answer = await client.post("/login", data={"secret": secret, "csrf_token": token, "next": "/links"})
    assert answer.status_code == 303 and answer.headers["location"] == "/links"
    return _csrf((await client.get("/")).text)


async def test_S2_pages_redirect_to_sign_in_and_a_wrong_secret_is_refused(web: Web) -> None:
    for path in ("/", "/runs", "/conflicts", "/links", "/wanted", "/stats", "/audible", "/runs/1"):
        answer = await web.client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
    token = _csrf((await web.client.get("/login")).text)
    wrong = await web.client.post("/login", data={"secret": "guess", "csrf_token": token})
    assert wrong.status_code == 401 and "neither the API key nor the password" in wrong.text
    assert (await web.client.get("/")).status_code == 303


async def test_sign_in_with_the_api_key_or_the_password_and_sign_out(web: Web) -> None:
    for secret in (API_KEY, PASSWORD):
        csrf = await _sign_in(web.client, secret)
        page = await web.client.get("/")
        assert page.status_code == 200 and "Dashboard: alice" in page.text
        assert API_KEY not in page.text and PASSWORD not in page.text
        out = await web.client.post("/logout", data={"csrf_token": csrf})
        assert out.status_code == 303 and (await web.client.get("/")).status_code == 303


async def test_sign_in_never_redirects_off_site(web: Web) -> None:
    token = _csrf((await web.client.get("/login")).text)
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        answer = await web.client.post(
            "/login", data={"secret": PASSWORD, "csrf_token": token, "next": target}
        )
        assert answer.headers["location"] == "/"
        token = _csrf((await web.client.get("/login")).text)


async def test_S2_forms_without_the_csrf_token_are_refused_and_change_nothing(web: Web) -> None:
    await _sign_in(web.client)
    conflict = web.store.conflicts.open("alice", "abs", "item-9", "Dune", "M4", CANDIDATES)
    for path, data in [
        (f"/conflicts/{conflict.id}/resolve", {"book_id": "101"}),
        ("/links/pin", {"user_id": "alice", "item_id": "item-1", "book_id": "5"}),
        ("/runs/trigger", {"user_id": "alice"}),
    ]:
        for token in (None, "forged"):
            body = {**data, **({"csrf_token": token} if token else {})}
            answer = await web.client.post(path, data=body)
            assert answer.status_code == 403, (path, token)
    assert web.store.conflicts.get(conflict.id).status == ConflictStatus.OPEN
    assert web.store.links.list_for_user("alice") == [] and web.runner.calls == []


async def test_conflict_page_escapes_titles_and_settles_with_an_edition(web: Web) -> None:
    csrf = await _sign_in(web.client)
    conflict = web.store.conflicts.open(
        "alice", "abs", "item-9", "<script>alert(1)</script>", "M4", CANDIDATES
    )
    page = await web.client.get("/conflicts")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "Audible Audio · 21 h 00 min" in page.text and "604 pages" in page.text
    assert "https://assets.hardcover.app/dune.jpg" in page.text

    bad = await web.client.post(
        f"/conflicts/{conflict.id}/resolve", data={"book_id": "101", "edition_id": "x1", "csrf_token": csrf}
    )
    assert bad.status_code == 422 and "edition_id" in bad.text
    answer = await web.client.post(
        f"/conflicts/{conflict.id}/resolve", data={"book_id": "101", "edition_id": "1001", "csrf_token": csrf}
    )
    assert answer.status_code == 303
    link = web.store.links.get("alice", "abs", "item-9")
    assert link is not None and link.pinned and link.hardcover_edition_id == 1001
    assert "linked to “Dune” (Hardcover book 101)" in (await web.client.get("/conflicts")).text


async def test_M1_the_page_refuses_a_pin_hardcover_does_not_confirm(web: Web) -> None:
    csrf = await _sign_in(web.client)
    conflict = web.store.conflicts.open("alice", "abs", "item-9", "Dune", "M4", CANDIDATES)
    unknown = await web.client.post(
        f"/conflicts/{conflict.id}/resolve", data={"book_id": "999", "csrf_token": csrf}
    )
    assert unknown.status_code == 404 and "Hardcover has no book 999" in unknown.text
    foreign = await web.client.post(
        "/links/pin",
        data={
            "user_id": "alice",
            "item_id": "item-1",
            "book_id": "102",
            "edition_id": "1001",
            "csrf_token": csrf,
        },
    )
    assert foreign.status_code == 422
    assert "edition 1001 is not an edition of “Dune Messiah” by Frank Herbert" in foreign.text
    assert web.store.conflicts.get(conflict.id).status == ConflictStatus.OPEN
    assert web.store.links.list_for_user("alice") == []


async def test_links_page_searches_pins_toggles_and_unpins(web: Web) -> None:
    csrf = await _sign_in(web.client)
    found = await web.client.get("/links", params={"user": "alice", "q": "messiah", "item": "item-7"})
    assert "Dune Messiah" in found.text and "Pin item-7 here" in found.text
    common = {"user_id": "alice", "item_id": "item-7", "csrf_token": csrf}
    assert (await web.client.post("/links/pin", data={**common, "book_id": "102"})).status_code == 303
    assert web.store.links.get("alice", "abs", "item-7").pinned  # type: ignore[union-attr]
    await web.client.post("/links/sync", data={**common, "enabled": "false"})
    assert web.store.links.get("alice", "abs", "item-7").sync_enabled is False  # type: ignore[union-attr]
    await web.client.post("/links/unpin", data=common)
    assert web.store.links.get("alice", "abs", "item-7").pinned is False  # type: ignore[union-attr]
    page = await web.client.get("/links", params={"user": "alice"})
    assert "item-7" in page.text and "Off → turn on" in page.text


async def test_links_page_names_items_and_books_by_title_and_author(web: Web) -> None:
    """Settle what it asks: the links page and its notices name books, not Audiobookshelf ids alone."""
    csrf = await _sign_in(web.client)
    facts = ItemFacts("abs", "uuid-4f1e", "Dune (Unabridged)", ("Frank Herbert",), metadata_hash="h")
    web.store.labels.remember("alice", [facts])
    pin = {"user_id": "alice", "item_id": "uuid-4f1e", "book_id": "101", "csrf_token": csrf}
    assert (await web.client.post("/links/pin", data=pin)).status_code == 303
    web.store.labels.set_book(
        "alice",
        "abs",
        "uuid-4f1e",
        BookFacts(101, "Dune", ("Frank Herbert",), "https://assets.example/d.jpg"),
    )
    page = (await web.client.get("/links", params={"user": "alice"})).text
    assert "“Dune (Unabridged)” pinned to “Dune” (Hardcover book 101)" in page
    row = page.split('id="link-abs-uuid-4f1e"', 1)[1].split("</tr>", 1)[0]
    assert "Dune (Unabridged)" in row and "Frank Herbert" in row
    assert 'src="https://assets.example/d.jpg"' in row and ">Dune<" in row


async def test_trigger_form_starts_a_run_and_shows_it(web: Web) -> None:
    csrf = await _sign_in(web.client)
    answer = await web.client.post("/runs/trigger", data={"user_id": "alice", "csrf_token": csrf})
    assert answer.status_code == 303
    await web.app.state.web.launcher.wait_idle()
    (run,) = web.store.runs.recent(5)
    assert answer.headers["location"] == f"/runs/{run.id}"
    page = await web.client.get(answer.headers["location"])
    assert f"Run #{run.id}" in page.text and "progress written" in page.text
    assert f"#{run.id}" in (await web.client.get("/runs")).text
    stats = await web.client.get("/stats")
    assert stats.text.count("<svg") == 3 and "Hardcover units per day" in stats.text


async def test_wanted_page_and_static_htmx(web: Web) -> None:
    from bookrelay.store.models import WantedState

    await _sign_in(web.client)
    web.store.wanted.record("alice", 7, WantedState.ADDED, title="Hyperion & <Co>")
    page = await web.client.get("/wanted")
    assert "Hyperion &amp; &lt;Co&gt;" in page.text
    script = await web.client.get("/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text[:200]


async def test_audible_page_without_a_login_hook_says_not_configured(web: Web) -> None:
    await _sign_in(web.client)
    page = await web.client.get("/audible")
    assert "not configured" in page.text


async def test_audible_page_shows_the_login_link_and_takes_back_the_final_address(store) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, str, str]] = []

    def fake_login(user_id: str, locale: str, url_callback: Callable[[str], str]) -> str:
        final = url_callback(f"https://www.amazon.de/ap/signin?user={user_id}")
        seen.append((user_id, locale, final))
        return "stored"

    app = create_app(
        web_config(), store, runner=StandInRunner(store), audible_login=BrowserLoginBridge(fake_login)
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        csrf = await _sign_in(client)
        start = await client.post(
            "/audible/start", data={"user_id": "alice", "locale": "de", "csrf_token": csrf}
        )
        assert "https://www.amazon.de/ap/signin?user=alice" in start.text
        final = "https://www.amazon.de/ap/maplanding?openid.oa2.authorization_code=abc"
        done = await client.post(
            "/audible/finish",
            data={"user_id": "alice", "locale": "de", "final_url": final, "csrf_token": csrf},
        )
        assert done.status_code == 303
        again = await client.post(
            "/audible/finish",
            data={"user_id": "alice", "locale": "de", "final_url": final, "csrf_token": csrf},
        )
        assert again.status_code == 422 and "get a new login link" in again.text
    assert seen == [("alice", "de", final)]


async def test_audible_bridge_reports_a_login_that_fails_before_its_link() -> None:
    from bookrelay.errors import AuthError

    def failing(user_id: str, locale: str, url_callback: Callable[[str], str]) -> None:
        raise AuthError("Amazon refused", service="audible")

    with pytest.raises(AuthError, match="Amazon refused"):
        await BrowserLoginBridge(failing).start("alice", "us")
