"""The sandbox as the demo and ``sandbox serve`` use it: the bundled fixture with quick limits, served on
a loopback port, and a configuration of every demo user pointing at it.

``bookrelay demo`` itself (every job once, and what happened) is a command: :mod:`bookrelay.cli.demo`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from bookrelay.config import Config
from bookrelay.sandbox import demo_data
from bookrelay.sandbox.bookshelf.demo import DEMO_API_KEY, DEMO_TOKEN, WANTED_USER
from bookrelay.sandbox.server import Sandbox, load_fixture

# The free plan's 60 a minute would make the demo wait about a minute; the pacing is the same code.
DEMO_LIMITS = {"per_minute": 1200, "burst": 60, "daily": 5000}
DEMO_USER = "demo"  # the demo's reader of Audiobookshelf and Audible (WANTED_USER reads Want to Read)
SANDBOX_SERVE_KEY = "sandbox-web-key"  # the key of `bookrelay serve` in the config `sandbox serve` prints


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve_sandbox(sandbox: Sandbox) -> Iterator[str]:
    """Serve the sandbox with uvicorn on a free loopback port in a thread; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(sandbox.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _config_data(base_url: str, database: str, key_file: str, fixture: dict[str, Any]) -> dict[str, Any]:
    """Every demo user, pointing at the served sandbox: "demo" (Audiobookshelf, Audible when the
    fixture has it) for progress, "reader" (a Want to Read shelf) for wanted."""
    return {
        "global": {
            "timezone": "Europe/Berlin",
            "database": database,
            "secret_key_file": key_file,
            "hardcover": {"url": f"{base_url}/hardcover/v1/graphql", **DEMO_LIMITS},
            "bookshelf": {"url": f"{base_url}/bookshelf", "api_key": DEMO_API_KEY},
            "rreading_glasses": {"url": f"{base_url}/rreading-glasses"},
            "jobs": {"progress": True, "wanted": True},
            "audible": {"url": f"{base_url}/audible"},
        },
        "users": [
            {
                "id": DEMO_USER,
                "hardcover": {"token": demo_data.DEMO_HARDCOVER_TOKEN},
                "audiobookshelf": {
                    "url": f"{base_url}/abs",
                    "api_key": demo_data.DEMO_ABS_KEY,
                    "libraries": {"exclude": ["Podcasts"]},
                },
                **({"audible": {"locale": "us"}} if fixture.get("audible") else {}),
            },
            {"id": WANTED_USER, "hardcover": {"token": DEMO_TOKEN}},
        ],
    }


def demo_config(base_url: str, folder: Path, fixture: dict[str, Any]) -> Config:
    """A config for every demo user, pointing at the served sandbox, with a store in ``folder``."""
    data = _config_data(base_url, f"sqlite:///{folder / 'bookrelay.db'}", str(folder / "secret.key"), fixture)
    return Config.model_validate(data)


def demo_fixture(path: Path | None) -> dict[str, Any]:
    """The fixture of the demo and of ``sandbox serve``: the file given, or the bundled library (with a
    Want to Read shelf for the wanted job and an Audible account), with limits that keep the demo quick."""
    fixture = load_fixture(path)
    fixture.setdefault("hardcover", {})["limits"] = {
        **fixture.get("hardcover", {}).get("limits", {}),
        **DEMO_LIMITS,
    }
    return fixture


def sandbox_guide(base_url: str, fixture: dict[str, Any]) -> str:
    """What ``sandbox serve`` prints: where each fake is, its tokens, and a ready bookrelay.yaml for
    trying every command against it (the store goes in ./data beside the file)."""
    data = _config_data(base_url, "sqlite:///./data/sandbox.db", "./data/secret.key", fixture)
    data["users"][0].pop("audible", None)  # an Audible login is made by `bookrelay audible login`
    data["global"].pop("jobs")  # jobs follow what each user has: progress for demo, wanted for both
    data["global"]["server"] = {"api_key": SANDBOX_SERVE_KEY}
    hardcover = ", ".join(u["hardcover"]["token"] for u in data["users"])
    abs_key, shelf_key = data["users"][0]["audiobookshelf"]["api_key"], data["global"]["bookshelf"]["api_key"]
    lines = [
        f"sandbox on {base_url}",
        f"  Hardcover         {base_url}/hardcover/v1/graphql   tokens: {hardcover}",
        f"  Audiobookshelf    {base_url}/abs                    API key: {abs_key}",
        f"  Bookshelf         {base_url}/bookshelf              API key: {shelf_key}",
        f"  rreading-glasses  {base_url}/rreading-glasses",
        f"  Audible           {base_url}/audible",
        f"  traffic and data  {base_url}/_sandbox/stats, {base_url}/_sandbox/state",
        "",
        "A ready config: save the lines below as sandbox.yaml, then try for example",
        "  bookrelay sync --dry-run -c sandbox.yaml        (user demo: Audiobookshelf → Hardcover)",
        "  bookrelay wanted --dry-run -c sandbox.yaml      (user reader: Want to Read → Bookshelf)",
        "  bookrelay doctor -c sandbox.yaml;  bookrelay conflicts list -c sandbox.yaml",
        f"  bookrelay serve -c sandbox.yaml                 (http://127.0.0.1:8080, key {SANDBOX_SERVE_KEY})",
        "",
        "# --- sandbox.yaml ---",
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip(),
        "# --- end ---",
    ]
    return "\n".join(lines)
