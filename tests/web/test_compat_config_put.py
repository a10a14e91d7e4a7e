"""Seed 004 (the Audible auto-tracker): ``PUT /api/config`` changes the configuration file the way editing
it would (S2 auth, S1 no secret in the answer, S3 a bad value named and nothing half-written), and
``bookrelay serve`` starts again from the changed file."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bookrelay.app import serving
from bookrelay.config import load_config
from bookrelay.config import writer as config_writer
from bookrelay.store.facade import Store
from bookrelay.web import create_app
from tests.web.conftest import API_KEY, HC_TOKEN, StandInRunner, web_config

ABS_KEY = "abs-key-kept-in-the-file-0042"
FILE = f"""\
# bookrelay settings for the living room server
global:
  timezone: Europe/Berlin   # where "today" is
  schedule:
    progress: "0 3 * * *"
  audible:
    daily_cap: 600  # Amazon's patience
  server:
    api_key: {API_KEY}
users:
  - id: alice
    hardcover:
      token: {HC_TOKEN}
    audiobookshelf:
      url: http://abs.local:13378
      api_key: {ABS_KEY}
"""
# Variables the loader reads: none may leak in from the machine that runs the tests.
_LOADER_VARIABLES = (
    "BOOKRELAY_CONFIG", "TIMEZONE", "TZ", "HARDCOVER_URL", "HARDCOVER_TOKEN", "HARDCOVER_API_KEY",
    "HARDCOVER_CLIENT_ID", "HARDCOVER_CLIENT_SECRET", "HARDCOVER_REDIRECT_URI", "ABS_URL", "ABS_TOKEN",
    "AUDIOBOOKSHELF_URL", "AUDIOBOOKSHELF_API_KEY", "ABS_USERNAME", "ABS_PASSWORD", "AUDIBLE_LOCALE",
    "BOOKRELAY_SECRET_KEY", "ENCRYPTION_KEY", "BOOKRELAY_API_KEY", "API_SECRET", "BOOKRELAY_PORT", "PORT",
    "BOOKRELAY_WEB_PASSWORD", "DATABASE_URL", "DATABASE_PATH", "BOOKSHELF_URL", "BOOKSHELF_API_KEY",
    "RREADING_GLASSES_URL", "SYNC_INTERVAL",
)  # fmt: skip


@dataclass
class ConfigApi:
    app: FastAPI
    client: httpx.AsyncClient
    file: Path
    reloads: list[str]

    key = {"X-API-Secret": API_KEY}  # the tracker's header


def _folder(tmp_path: Path) -> Path:
    """A folder of its own for the config file (the store's files are in tmp_path)."""
    folder = tmp_path / "conf"
    folder.mkdir()
    return folder


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _LOADER_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _app(config_file: Path | None, store: Store, *, reloads: list[str] | None = None) -> FastAPI:
    config = load_config(config_file, os.environ)
    app = create_app(config, store, runner=StandInRunner(store))
    app.state.config_file = config_file
    if reloads is not None:
        app.state.reload_config = lambda: reloads.append("reload")
    return app


@pytest.fixture
async def api(tmp_path: Path, store: Store, clean_env: None) -> AsyncIterator[ConfigApi]:
    file = _folder(tmp_path) / "bookrelay.yaml"
    file.write_text(FILE, encoding="utf-8")
    file.chmod(0o640)
    reloads: list[str] = []
    app = _app(file, store, reloads=reloads)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield ConfigApi(app, client, file, reloads)


async def test_S2_put_config_needs_the_key(api: ConfigApi) -> None:
    refused = await api.client.put("/api/config", json={"sync_interval": 30})
    assert refused.status_code == 401
    wrong = await api.client.put("/api/config", json={"sync_interval": 30}, headers={"X-API-Secret": "nope"})
    assert wrong.status_code == 401
    assert api.file.read_text(encoding="utf-8") == FILE and api.reloads == []


async def test_put_then_get_round_trip_keeps_comments_mode_and_a_backup(api: ConfigApi, store: Store) -> None:
    changes = {"sync_interval": 30, "global": {"audible": {"daily_cap": 400}, "sync": {"min_progress": 0.02}}}
    put = await api.client.put("/api/config", json=changes, headers=api.key)
    assert put.status_code == 200, put.text
    answer = put.json()
    assert answer["global"]["schedule"]["progress"] == "every 30m"
    assert answer["global"]["audible"] == {
        **answer["global"]["audible"],
        "daily_cap": 400,
        "min_interval_minutes": 30,
    }
    assert answer["global"]["sync"]["min_progress"] == 0.02
    assert put.headers["Bookrelay-Changed"] == (
        "global.schedule.progress, global.audible.min_interval_minutes, global.audible.daily_cap, "
        "global.sync.min_progress"
    )
    assert "starts again" in put.headers["Bookrelay-Reload"] and api.reloads == ["reload"]

    text = api.file.read_text(encoding="utf-8")
    for comment in (
        "# bookrelay settings for the living room server",
        '# where "today" is',
        "# Amazon's patience",
    ):
        assert comment in text
    assert text.index("timezone:") < text.index("schedule:") < text.index("audible:") < text.index("users:")
    assert "  - id: alice" in text  # the list keeps its indentation
    assert stat.S_IMODE(api.file.stat().st_mode) == 0o640
    assert (api.file.parent / "bookrelay.yaml.bak").read_text(encoding="utf-8") == FILE
    assert _names(api.file.parent) == ["bookrelay.yaml", "bookrelay.yaml.bak"]

    # What the service answers once it has started again from the file: the same as the PUT's answer;
    # GET's answer sent back is no change.
    restarted = _app(api.file, store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=restarted), base_url="http://t") as client:
        shown = await client.get("/api/config", headers=api.key)
        assert shown.json() == answer
        again = await client.put("/api/config", json=answer, headers=api.key)
    assert again.status_code == 200 and again.json() == answer
    assert "Bookrelay-Changed" not in again.headers and "nothing changed" in again.headers["Bookrelay-Reload"]
    assert api.file.read_text(encoding="utf-8") == text


async def test_S3_bad_values_and_unknown_keys_are_named_and_the_file_is_untouched(api: ConfigApi) -> None:
    bad = await api.client.put(
        "/api/config",
        json={"global": {"audible": {"daily_cap": 0}, "sync": {"finish_at": 2}}},
        headers=api.key,
    )
    assert bad.status_code == 422, bad.text
    fields = {d["field"] for d in bad.json()["details"]}
    assert fields == {"global.audible.daily_cap", "global.sync.finish_at"}
    unknown = await api.client.put(
        "/api/config", json={"auto_sync": True, "global": {"audible": {"pace": 3}}}, headers=api.key
    )
    assert unknown.status_code == 422
    assert {(d["field"], d["message"]) for d in unknown.json()["details"]} == {
        ("auto_sync", "unknown key"),
        ("global.audible.pace", "unknown key"),
    }
    interval = await api.client.put("/api/config", json={"sync_interval": 0}, headers=api.key)
    assert interval.status_code == 422 and interval.json()["details"][0]["field"] == "sync_interval"
    schedule = await api.client.put(
        "/api/config", json={"global": {"schedule": {"progress": "now and then"}}}, headers=api.key
    )
    assert schedule.status_code == 422
    assert schedule.json()["details"][0]["field"] == "global.schedule.progress"
    assert api.file.read_text(encoding="utf-8") == FILE
    assert _names(api.file.parent) == ["bookrelay.yaml"]  # no .bak, no temporary file
    assert api.reloads == []


async def test_S1_secrets_are_not_in_the_answer_and_not_changed_over_the_api(api: ConfigApi) -> None:
    put = await api.client.put("/api/config", json={"global": {"timezone": "UTC"}}, headers=api.key)
    assert put.status_code == 200
    for secret in (API_KEY, HC_TOKEN, ABS_KEY):
        assert secret not in put.text and secret not in str(put.headers)
    assert put.json()["users"][0]["hardcover"]["token"] == "***"
    assert HC_TOKEN in api.file.read_text(encoding="utf-8")  # kept in the file

    new_token = "hc_pat_sent_over_the_wire_77"
    refused = await api.client.put(
        "/api/config", json={"users": [{"id": "alice", "hardcover": {"token": new_token}}]}, headers=api.key
    )
    assert refused.status_code == 422
    assert refused.json()["details"][0]["field"] == "users[0].hardcover.token"
    assert new_token not in refused.text and new_token not in api.file.read_text(encoding="utf-8")


async def test_S3_a_failed_write_keeps_the_previous_file(
    api: ConfigApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(src: object, dst: object) -> None:
        raise OSError(errno.EBUSY, "Device or resource busy")

    monkeypatch.setattr(config_writer.os, "replace", busy)
    failed = await api.client.put("/api/config", json={"sync_interval": 45}, headers=api.key)
    assert failed.status_code == 500
    body = failed.json()
    assert (
        body["error"] == "WriteFailed"
        and "unchanged" in body["message"]
        and "mount its folder" in body["message"]
    )
    assert api.file.read_text(encoding="utf-8") == FILE
    # No temporary file is left; the copy made before the rename is of the same, unchanged, file.
    assert _names(api.file.parent) == ["bookrelay.yaml", "bookrelay.yaml.bak"]
    assert (api.file.parent / "bookrelay.yaml.bak").read_text(encoding="utf-8") == FILE
    assert api.reloads == []


async def test_a_key_the_environment_sets_is_refused_naming_the_variable(
    tmp_path: Path, store: Store, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "bookrelay.yaml"
    file.write_text(FILE, encoding="utf-8")
    monkeypatch.setenv("TIMEZONE", "Europe/Paris")
    app = _app(file, store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        put = await client.put("/api/config", json={"global": {"timezone": "UTC"}}, headers=ConfigApi.key)
    assert put.status_code == 422
    assert put.json()["details"] == [
        {
            "field": "global.timezone",
            "message": "is set by $TIMEZONE, which wins over the file: change it there",
        }
    ]
    assert file.read_text(encoding="utf-8") == FILE


async def test_settings_from_the_environment_only_answer_409_naming_the_variables(
    tmp_path: Path, store: Store, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    monkeypatch.chdir(folder)  # no ./bookrelay.yaml
    monkeypatch.setenv("HARDCOVER_TOKEN", HC_TOKEN)
    monkeypatch.setenv("API_SECRET", API_KEY)
    app = _app(None, store)
    app.state.config_file = config_writer.config_file_path(None, os.environ)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        put = await client.put("/api/config", json={"sync_interval": 30}, headers=ConfigApi.key)
    assert put.status_code == 409, put.text
    message = put.json()["message"]
    assert "no configuration file to write" in message and "$API_SECRET" in message
    assert "$HARDCOVER_TOKEN" in message and HC_TOKEN not in put.text
    assert _names(folder) == []


def test_S1_a_new_section_carrying_a_secret_and_schedules_under_SYNC_INTERVAL_are_refused(
    clean_env: None,
) -> None:
    config = web_config()  # alice and bob, neither with Audiobookshelf
    section = {"url": "http://abs.local:13378", "api_key": ABS_KEY}
    with pytest.raises(config_writer.ChangeRefused) as refused:
        config_writer.plan_changes(config, {"users": [{"id": "bob", "audiobookshelf": section}]}, {})
    assert [p.field for p in refused.value.problems] == ["users[1].audiobookshelf"]
    assert ABS_KEY not in str(refused.value)
    with pytest.raises(config_writer.ChangeRefused) as interval:
        config_writer.plan_changes(config, {"sync_interval": 30}, {"SYNC_INTERVAL": "600"})
    assert [(p.field, p.message) for p in interval.value.problems] == [
        ("global.schedule.progress", "$SYNC_INTERVAL replaces every schedule: unset it first")
    ]
    daily = config_writer.plan_changes(
        config, {"global": {"audible": {"daily_cap": 9}}}, {"SYNC_INTERVAL": "600"}
    )
    assert config_writer.changed_keys(daily) == ["global.audible.daily_cap"]


def test_serve_starts_again_from_the_file_after_a_change(
    tmp_path: Path, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "bookrelay.yaml"
    file.write_text(FILE.replace("global:\n", "global:\n  database: sqlite:///./br.db\n"), encoding="utf-8")
    served: list[dict[str, Any]] = []

    class FakeServer:
        """uvicorn.Server's part that serve uses: the first run changes the file and asks for a reload."""

        def __init__(self, config: Any) -> None:
            self.app, self.should_exit, self.started = config.app, False, True

        def run(self) -> None:
            served.append(self.app.state.web.config.redacted_dict())
            if len(served) == 1:
                plan = config_writer.plan_changes(
                    self.app.state.web.config, {"sync_interval": 20}, os.environ
                )
                config_writer.write_changes(self.app.state.config_file, plan, os.environ)
                self.app.state.reload_config()
                assert self.should_exit

    import uvicorn

    monkeypatch.setattr(uvicorn, "Server", FakeServer)
    serving.serve(file)
    assert len(served) == 2
    assert served[0]["global"]["schedule"]["progress"] == "0 3 * * *"
    assert served[1]["global"]["schedule"]["progress"] == "every 20m"
