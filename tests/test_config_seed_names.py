"""The names other tools use for the same settings: the metadata workflow's ``.env`` and the Audible
auto-tracker's ENCRYPTION_KEY, API_SECRET and PORT; messages that name where a value came from."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import textwrap
from pathlib import Path

import pytest

from bookrelay.app.clients import build_user_clients
from bookrelay.app.common import check_configuration, load_settings, secret_key_for
from bookrelay.config import check_config, dotenv, load_config
from bookrelay.config.keyfile import as_fernet_key
from bookrelay.healthcheck import serve_port
from bookrelay.store.crypto import SecretBox, load_or_create_key

TWO_USERS = """\
users:
  - id: alice
    hardcover: {token: hc-token-alice-1111}
  - id: bob
    hardcover: {token: hc-token-bob-2222}
    audiobookshelf: {url: "http://abs:13378", api_key: abs-key-bob-3333}
"""


SET_BY_TESTS = ("HARDCOVER_TOKEN", "ABS_URL", "ABS_TOKEN", "PORT")


@pytest.fixture(autouse=True)
def _empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every variable a .env file of these tests may set is put back as it was (setenv records the
    # state before; delenv alone would not when the variable was absent).
    monkeypatch.chdir(tmp_path)
    for name in (*SET_BY_TESTS, "HARDCOVER_API_KEY", "BOOKRELAY_CONFIG", "BOOKRELAY_SECRET_KEY"):
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    monkeypatch.setattr(dotenv, "ORIGINS", {})


def test_encryption_key_of_64_hex_digits_is_the_same_32_bytes_as_a_fernet_key(tmp_path: Path) -> None:
    raw = secrets.token_bytes(32)
    config = load_config(None, env={"HARDCOVER_TOKEN": "hc-1", "ENCRYPTION_KEY": raw.hex()})
    assert config.global_.secret_key is not None
    key = config.global_.secret_key.get_secret_value()
    assert base64.urlsafe_b64decode(key) == raw
    box = SecretBox(key.encode())
    assert box.decrypt(box.encrypt("audible-login")) == "audible-login"
    # The store's own reading of the variable agrees with the loader's.
    assert load_or_create_key({"BOOKRELAY_SECRET_KEY": raw.hex()}, tmp_path / "unused.key") == key.encode()
    assert as_fernet_key("not-hex") == "not-hex"


def test_a_wrong_encryption_key_names_the_variable() -> None:
    problems = check_config(None, env={"HARDCOVER_TOKEN": "hc-1", "ENCRYPTION_KEY": "abc123"})
    assert len(problems) == 1
    assert problems[0].key == "global.secret_key"
    assert "$ENCRYPTION_KEY" in problems[0].message and "64 hex digits" in problems[0].message


def test_bookrelay_names_win_over_the_audible_trackers_names() -> None:
    env = {
        "HARDCOVER_TOKEN": "hc-1",
        "API_SECRET": "seed-api-secret-1234",
        "PORT": "9100",
    }
    config = load_config(None, env=env)
    assert config.global_.server.api_key is not None
    assert config.global_.server.api_key.get_secret_value() == "seed-api-secret-1234"
    assert config.global_.server.port == 9100
    assert serve_port(env) == 9100
    both = {**env, "BOOKRELAY_API_KEY": "own-key-5678", "BOOKRELAY_PORT": "9200"}
    config = load_config(None, env=both)
    assert config.global_.server.api_key is not None
    assert config.global_.server.api_key.get_secret_value() == "own-key-5678"
    assert config.global_.server.port == 9200
    assert serve_port(both) == 9200
    bad = check_config(None, env={**env, "PORT": "http"})
    assert [p.key for p in bad] == ["global.server.port"] and "$PORT" in bad[0].message


def test_dotenv_beside_the_config_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "bookrelay.yaml").write_text("global: {timezone: UTC}\n", encoding="utf-8")
    (folder / ".env").write_text(
        "HARDCOVER_TOKEN=hc-from-dotenv-3333\nABS_URL=http://abs.example:13378\nABS_TOKEN=abs-dotenv\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ABS_URL", "http://abs.from-process:13378")
    config = load_settings(folder / "bookrelay.yaml")
    user = config.users[0]
    assert user.hardcover.token is not None
    assert user.hardcover.token.get_secret_value() == "hc-from-dotenv-3333"
    assert user.audiobookshelf is not None
    assert user.audiobookshelf.url == "http://abs.from-process:13378"  # the process environment wins
    assert config.hardcover_token_name(user.id) == f"$HARDCOVER_TOKEN in {folder / '.env'}"


def test_dotenv_in_the_working_folder_is_read_without_a_config_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("HARDCOVER_TOKEN=hc-from-cwd-4444\nPORT=nonsense\n", encoding="utf-8")
    problems, where = check_configuration(None)
    assert where == "environment variables"
    assert [p.key for p in problems] == ["global.server.port"]
    assert f"$PORT in {tmp_path / '.env'}" in problems[0].message
    assert os.environ["HARDCOVER_TOKEN"] == "hc-from-cwd-4444"


def test_a_token_from_the_file_is_named_by_its_key_not_as_hardcover_token(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "bookrelay.yaml"  # not the working folder's default file
    path.write_text(textwrap.dedent(TWO_USERS), encoding="utf-8")
    config = load_config(path, env={})
    assert config.hardcover_token_name("bob") == f"users[1].hardcover.token in {path}:5"
    clients = build_user_clients(config, config.user("bob"))
    assert clients.hardcover_session.token_name == f"users[1].hardcover.token in {path}:5"
    assert clients.audiobookshelf is not None
    assert clients.audiobookshelf.session.credential_name == f"users[1].audiobookshelf.api_key in {path}:6"
    asyncio.run(clients.aclose())
    env_config = load_config(None, env={"HARDCOVER_API_KEY": "hc-5"})
    assert env_config.hardcover_token_name("default") == "$HARDCOVER_API_KEY"
    with_abs = load_config(None, env={"HARDCOVER_TOKEN": "hc-5", "ABS_URL": "http://abs", "ABS_TOKEN": "k"})
    assert with_abs.abs_key_name("default") == "$ABS_TOKEN"


def test_a_missing_hardcover_token_names_hardcover_token_not_the_abs_variable(tmp_path: Path) -> None:
    path = tmp_path / "bookrelay.yaml"
    path.write_text("global: {timezone: UTC}\n", encoding="utf-8")
    problems = check_config(path, env={"AUDIOBOOKSHELF_URL": "http://abs:13378", "ABS_TOKEN": "t"})
    assert len(problems) == 1
    assert "set $HARDCOVER_TOKEN" in problems[0].message
    assert "AUDIOBOOKSHELF_URL" not in problems[0].message


def test_secret_key_for_uses_the_converted_encryption_key(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = secrets.token_bytes(32)
    monkeypatch.delenv("BOOKRELAY_SECRET_KEY", raising=False)
    config = load_config(None, env={"HARDCOVER_TOKEN": "hc-1", "ENCRYPTION_KEY": raw.hex()})
    assert base64.urlsafe_b64decode(secret_key_for(config)) == raw
