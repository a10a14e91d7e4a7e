"""A real Audiobookshelf 2.36 server for the ``real_abs`` tests: found (or built once per tarball hash by
``.ci/abs-server``), started on a free loopback port with a fresh config folder, and set up the way a
person would: root user, a second non-root user, a book library of small generated audio files and a
podcast library, both scanned, and an active API key (the vendor README says what the server did by hand).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = PROJECT_ROOT / ".ci" / "abs-server"
ROOT_USER, ROOT_PASSWORD = "root", "root-password-for-tests"
# Access tokens of this server live 4 s (ACCESS_TOKEN_EXPIRY), so that a test can see a real expiry and
# bookrelay's refresh; everything that lasts (setup, the tests' users) signs in with API keys instead.
ACCESS_TOKEN_SECONDS = 4
READER, READER_PASSWORD = "reader", "reader-password-for-tests"


@dataclass(frozen=True)
class Title:
    """One book of the test library: its folder metadata (``metadata.json``) and its length in seconds."""

    key: str
    title: str
    author: str
    seconds: int
    isbn: str | None = None
    asin: str | None = None
    series: str | None = None
    narrator: str | None = None
    year: str | None = None

    def metadata(self) -> dict[str, Any]:
        """The ``metadata.json`` ABS reads from the item's folder."""
        data: dict[str, Any] = {"title": self.title, "authors": [self.author]}
        for key, value in (("isbn", self.isbn), ("asin", self.asin), ("publishedYear", self.year)):
            if value is not None:
                data[key] = value
        if self.series:
            data["series"] = [self.series]
        if self.narrator:
            data["narrators"] = [self.narrator]
        return data


# Each test that writes owns its titles, so that the tests of one session never see each other's writes.
LIBRARY = (
    Title("phm", "Project Hail Mary", "Andy Weir", 150, "9780593135204", "B08G9PRS1K", None, "Ray Porter",
          "2021"),
    Title("asr", "All Systems Red", "Martha Wells", 180, "9780765397539", "B06XKWD7CP",
          "Murderbot Diaries #1"),
    Title("hobbit", "The Hobbit", "J. R. R. Tolkien", 200),
    Title("dune", "Dune", "Frank Herbert", 240, None, "B002V1OF70"),
    Title("circe", "Circe", "Madeline Miller", 160, None, "B07BNFLLBN"),
    Title("piranesi", "Piranesi", "Susanna Clarke", 130, "9781635575637"),
    Title("leviathan", "Leviathan Wakes", "James S. A. Corey", 170, "9780316129084"),
)  # fmt: skip
PODCAST, EPISODE_SECONDS = "A Show About Books", 30


@dataclass
class Book:
    """A library item of the running server."""

    title: Title
    item_id: str
    duration: float  # as ABS measured the generated file (a little longer than asked)


@dataclass(frozen=True)
class AbsUser:
    """A user of the running server, with its password and an active API key (and that key's id)."""

    id: str
    username: str
    password: str
    api_key: str
    key_id: str


@dataclass
class RealAbs:
    """The running, set-up server and what the tests need to reach it."""

    url: str
    api_key: str  # root's active API key, for the setup and for looking at the server's state
    reader_id: str
    library_id: str
    podcast_library_id: str
    podcast_item_id: str
    episode_id: str
    library_dir: Path
    books: dict[str, Book] = field(default_factory=dict)
    log_path: Path | None = None

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client on the server, signed in with ``token`` (root's API key by default)."""
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token or self.api_key}"}, timeout=30
        )

    def item(self, key: str, token: str | None = None) -> dict[str, Any]:
        """A book's expanded item, as the server holds it now."""
        with self.client(token) as http:
            answer = http.get(f"/api/items/{self.books[key].item_id}", params={"expanded": 1})
            answer.raise_for_status()
            return dict(answer.json())

    def progress(self, key: str, token: str | None = None) -> dict[str, Any] | None:
        """A book's progress for the token's user, or None when there is none."""
        with self.client(token) as http:
            answer = http.get(f"/api/me/progress/{self.books[key].item_id}")
            if answer.status_code == 404:
                return None
            answer.raise_for_status()
            return dict(answer.json())

    def patch_progress(self, key: str, body: dict[str, Any], token: str | None = None) -> None:
        """What a player does: ``PATCH /api/me/progress/:id`` (answers text ``OK``)."""
        with self.client(token) as http:
            answer = http.patch(f"/api/me/progress/{self.books[key].item_id}", json=body)
            answer.raise_for_status()
            assert answer.text == "OK", answer.text

    def new_key(self, user_id: str, name: str, *, active: bool = True) -> dict[str, Any]:
        """``POST /api/api-keys`` for a user; ``active=False`` leaves ``isActive`` out, as a person might."""
        body: dict[str, Any] = {"name": name, "userId": user_id, "expiresIn": 0}
        if active:
            body["isActive"] = True
        with self.client() as http:
            return dict(_json(http.post("/api/api-keys", json=body))["apiKey"])

    def new_user(self, username: str, *, kind: str = "admin") -> AbsUser:
        """A new user with a password and an active API key of its own: a test's progress stays its own."""
        password = f"{username}-password"
        with self.client() as http:
            body = {"username": username, "password": password, "type": kind, "isActive": True}
            user = _json(http.post("/api/users", json=body))["user"]
        key = self.new_key(user["id"], f"key-{username}")
        return AbsUser(user["id"], username, password, key["apiKey"], key["id"])

    def login(self, username: str = READER, password: str = READER_PASSWORD) -> dict[str, Any]:
        """``POST /login`` with ``x-return-tokens``: the user with its access and refresh tokens."""
        answer = httpx.post(
            f"{self.url}/login",
            json={"username": username, "password": password},
            headers={"x-return-tokens": "true"},
            timeout=30,
        )
        answer.raise_for_status()
        return dict(answer.json()["user"])


def locate_build() -> Path:
    """The built server: ``BOOKRELAY_ABS_SERVER`` (set by ``.ci/run``) or ``.ci/abs-server``'s folder,
    built there first when missing. RuntimeError with the build's last words when it cannot be had."""
    given = os.environ.get("BOOKRELAY_ABS_SERVER")
    if given:
        if not (Path(given) / "run-abs.sh").is_file():
            raise RuntimeError(f"BOOKRELAY_ABS_SERVER={given} holds no run-abs.sh")
        return Path(given)
    done = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f".ci/abs-server failed (exit {done.returncode}): {last}")
    return Path(done.stdout.strip().splitlines()[-1])


def missing_tools() -> list[str]:
    """The programs the real server needs that this machine lacks (node >= 20, ffmpeg, ffprobe)."""
    missing = [tool for tool in ("node", "ffmpeg", "ffprobe") if shutil.which(tool) is None]
    if "node" not in missing:
        major = subprocess.run(
            ["node", "-p", "process.versions.node.split('.')[0]"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if not major.isdigit() or int(major) < 20:
            missing.append(f"node >= 20 (found {major or 'none'})")
    return missing


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def silence(path: Path, seconds: int) -> None:
    """A small mp3 of ``seconds`` of silence (8 kHz mono, 8 kbit/s: 1 KB a second)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono",
         "-t", str(seconds), "-c:a", "libmp3lame", "-b:a", "8k", str(path)],
        check=True,
    )  # fmt: skip


def write_library(root: Path) -> tuple[Path, Path]:
    """Folders ``Author/Title/`` with a silent mp3 and a ``metadata.json`` each, and one podcast."""
    books, podcasts = root / "books", root / "podcasts"
    for title in LIBRARY:
        folder = books / title.author / title.title
        silence(folder / f"{title.key}.mp3", title.seconds)
        (folder / "metadata.json").write_text(json.dumps(title.metadata()), encoding="utf-8")
    silence(podcasts / PODCAST / "episode-1.mp3", EPISODE_SECONDS)
    return books, podcasts


@dataclass
class Process:
    """The server process; stopped by :meth:`stop`."""

    popen: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        """Terminate the server (it exits on SIGTERM), kill it if it lingers."""
        self.popen.terminate()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def tail(self) -> str:
        """The end of the server's log, for a failure message."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]


def start(build: Path, run_dir: Path) -> tuple[Process, str]:
    """Start the server on a free loopback port with ``run_dir`` as its config; wait for ``/healthcheck``."""
    port = _free_port()
    log_path = run_dir / "server.log"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ACCESS_TOKEN_EXPIRY": str(ACCESS_TOKEN_SECONDS)}
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            [str(build / "run-abs.sh"), str(port), str(run_dir)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process, url = Process(popen, log_path), f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"Audiobookshelf exited with {popen.returncode}:\n{process.tail()}")
        try:
            if httpx.get(f"{url}/healthcheck", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.stop()
    raise RuntimeError(f"Audiobookshelf did not answer /healthcheck within 60 s:\n{process.tail()}")


def _json(answer: httpx.Response) -> Any:
    if answer.status_code >= 400:
        raise RuntimeError(
            f"{answer.request.method} {answer.request.url.path}: {answer.status_code} {answer.text}"
        )
    return answer.json()


def _scan(http: httpx.Client, library_id: str, expected: int) -> list[dict[str, Any]]:
    """Start a scan (it runs in the background) and wait until the library holds ``expected`` items."""
    http.post(f"/api/libraries/{library_id}/scan").raise_for_status()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        results = _json(http.get(f"/api/libraries/{library_id}/items"))["results"]
        if len(results) >= expected:
            return list(results)
        time.sleep(0.3)
    raise RuntimeError(f"the scan of library {library_id} did not find {expected} items within 60 s")


def set_up(url: str, library_root: Path) -> RealAbs:
    """Init, root and reader users, the two libraries scanned, root's active API key."""
    books_dir, podcasts_dir = write_library(library_root)
    assert (
        httpx.post(f"{url}/init", json={"newRoot": {"username": ROOT_USER, "password": ROOT_PASSWORD}}).text
        == "OK"
    )
    root = _json(httpx.post(f"{url}/login", json={"username": ROOT_USER, "password": ROOT_PASSWORD}))["user"]
    body = {"name": "bookrelay-tests", "userId": root["id"], "expiresIn": 0, "isActive": True}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {root['accessToken']}"}) as http:
        key = _json(http.post("/api/api-keys", json=body))["apiKey"]  # before the access token expires
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key['apiKey']}"}, timeout=30) as http:
        body: dict[str, Any] = {"name": "Audiobooks", "mediaType": "book"}
        library = _json(http.post("/api/libraries", json={**body, "folders": [{"fullPath": str(books_dir)}]}))
        body = {"name": "Podcasts", "mediaType": "podcast", "folders": [{"fullPath": str(podcasts_dir)}]}
        podcasts = _json(http.post("/api/libraries", json=body))
        body = {"username": READER, "password": READER_PASSWORD, "type": "user", "isActive": True}
        reader = _json(http.post("/api/users", json=body))["user"]
        items = _scan(http, library["id"], len(LIBRARY))
        (podcast,) = _scan(http, podcasts["id"], 1)
        episode = _json(http.get(f"/api/items/{podcast['id']}"))["media"]["episodes"][0]
    by_title = {t.title: t for t in LIBRARY}
    server = RealAbs(
        url=url,
        api_key=key["apiKey"],
        reader_id=reader["id"],
        library_id=library["id"],
        podcast_library_id=podcasts["id"],
        podcast_item_id=podcast["id"],
        episode_id=episode["id"],
        library_dir=books_dir,
    )
    for item in items:
        title = by_title[item["media"]["metadata"]["title"]]
        server.books[title.key] = Book(title, item["id"], float(item["media"]["duration"]))
    return server


def running_server(build: Path, base: Path) -> Iterator[RealAbs]:
    """A set-up server for the length of the generator; stopped afterwards, whatever happened."""
    process, url = start(build, base / "run")
    try:
        server = set_up(url, base / "media")
        server.log_path = process.log_path
        yield server
    finally:
        process.stop()
