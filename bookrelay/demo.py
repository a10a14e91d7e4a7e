"""``bookrelay demo``: the sandbox on a loopback port, every job once against it, and what happened.

The demo uses a temporary folder for its SQLite store and secret key, so it leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from rich.console import Console
from rich.table import Table

from bookrelay.config import Config
from bookrelay.sandbox.bookshelf.demo import WANTED_USER
from bookrelay.sandbox.server import Sandbox, build_sandbox, load_fixture

# The free plan's 60 a minute would make the demo wait about a minute; the pacing is the same code.
DEMO_LIMITS = {"per_minute": 1200, "burst": 60, "daily": 5000}
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
    from bookrelay.sandbox import demo_data
    from bookrelay.sandbox.bookshelf.demo import DEMO_API_KEY, DEMO_TOKEN

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
                "id": "demo",
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
    import yaml

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


def run_demo(console: Console, fixture_path: Path | None = None) -> int:
    """Run the demo; returns the exit code (0 when every run succeeded)."""
    from bookrelay.app import open_store, run_progress
    from bookrelay.cli.render import render_plan, render_summary

    fixture = demo_fixture(fixture_path)
    sandbox = build_sandbox(fixture)
    failed = False
    with tempfile.TemporaryDirectory(prefix="bookrelay-demo-") as tmp, serve_sandbox(sandbox) as base_url:
        config = demo_config(base_url, Path(tmp), fixture)
        console.rule("[bold]bookrelay demo")
        console.print(
            f"sandbox serving on {base_url} (Hardcover, Audiobookshelf, Audible, Bookshelf,"
            f" rreading-glasses); store in {tmp}",
            soft_wrap=True,
        )
        store = open_store(config)
        try:
            if fixture.get("audible"):
                _sign_in_audible(store, fixture["audible"])
            readers = [u.id for u in config.users if u.audiobookshelf is not None]
            console.rule("progress · first run: Audiobookshelf → Hardcover")
            reports = asyncio.run(run_progress(config, readers, store=store, keep_plan=True))
            for report in reports:
                render_plan(console, report)
                render_summary(console, report)
                failed = failed or report.error is not None
            console.rule("progress · second run: nothing changed")
            for report in asyncio.run(run_progress(config, readers, store=store)):
                render_summary(console, report)
                failed = failed or report.error is not None
            _render_conflicts(console, store)
            if fixture.get("bookshelf"):
                failed = _run_wanted(console, config, store) or failed
        finally:
            store.close()
        _render_stats(console, sandbox)
    return 1 if failed else 0


def _sign_in_audible(store: Any, section: dict[str, Any]) -> None:
    """What `bookrelay audible login` would store for the demo user, and the title they turned off (A1)."""
    from bookrelay.sandbox.demo_audible import demo_audible_disabled, demo_audible_login
    from bookrelay.sync import audible_auth

    audible_auth.save_auth(store, "demo", demo_audible_login(section))
    for asin in demo_audible_disabled(section):
        store.links.upsert("demo", "audible", asin, sync_enabled=False)


def _run_wanted(console: Console, config: Config, store: Any) -> bool:
    """The wanted job, twice: the second run adds nothing. True when a run failed."""
    from bookrelay.app import run_wanted_job
    from bookrelay.cli.wanted import render_wanted

    failed = False
    for title in ("wanted · first run: Want to Read → Bookshelf", "wanted · second run: nothing new"):
        console.rule(title)
        for user_id, report, error in asyncio.run(run_wanted_job(config, [WANTED_USER], store=store)):
            if report is not None:
                render_wanted(console, user_id, report)
            if error:
                console.print(f"[bold red]{user_id}: stopped:[/] {error}", soft_wrap=True)
                failed = True
    return failed


def _render_conflicts(console: Console, store: Any) -> None:
    from bookrelay.store.models import ConflictStatus

    conflicts = store.conflicts.list(ConflictStatus.OPEN)
    table = Table(
        "id", "item", "title", "reason", "best candidate", title="open conflicts (bookrelay conflicts list)"
    )
    for c in conflicts:
        best = (c.candidates or [{}])[0]
        shown = f"{best.get('title', '')} ({best.get('score', 0):.2f})" if best else ""
        table.add_row(str(c.id), c.source_item_id, c.title, c.reason, shown)
    console.print(table)


def _render_stats(console: Console, sandbox: Sandbox) -> None:
    stats = sandbox.stats()
    hc = stats["hardcover"]
    table = Table("fake", "requests", "writes", "Hardcover units", "429s", title="sandbox traffic")
    table.add_row(
        "hardcover", str(hc["requests"]), str(hc["writes"]), str(hc["units"]), str(hc["rate_limited"])
    )
    for name in ("audiobookshelf", "audible", "bookshelf", "rreading_glasses"):
        fake = stats.get(name, {})
        table.add_row(name, str(fake.get("requests", "")), str(fake.get("writes", "")), "", "")
    console.print(table)
