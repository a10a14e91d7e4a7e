"""The secret key, credential encryption, and that no credential is stored in clear (S1)."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bookrelay.errors import ConfigError
from bookrelay.store import SecretBox, Store, load_or_create_key
from tests.store_fixtures import TEST_KEY

PLAINTEXT = "hc_pat_plaintext-that-must-never-be-stored-7f3a"


def test_S1_key_file_is_created_with_mode_0600_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "secret.key"
    key = load_or_create_key({}, key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    Fernet(key)  # a usable key
    assert load_or_create_key({}, key_file) == key
    assert [p.name for p in key_file.parent.iterdir()] == ["secret.key"]  # no temp file left behind


def test_S1_environment_key_wins_over_the_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    file_key = load_or_create_key({}, key_file)
    env_key = Fernet.generate_key()
    assert load_or_create_key({"BOOKRELAY_SECRET_KEY": env_key.decode()}, key_file) == env_key != file_key


def test_S1_malformed_key_is_a_config_error_without_the_value(tmp_path: Path) -> None:
    bad = "not-a-fernet-key-but-private-words"
    with pytest.raises(ConfigError) as caught:
        load_or_create_key({"BOOKRELAY_SECRET_KEY": bad}, tmp_path / "k")
    assert "BOOKRELAY_SECRET_KEY" in str(caught.value)
    assert bad not in str(caught.value)


def test_S1_secret_box_round_trips_and_hides_plaintext() -> None:
    box = SecretBox(TEST_KEY)
    ciphertext = box.encrypt(PLAINTEXT)
    assert PLAINTEXT not in ciphertext
    assert box.decrypt(ciphertext) == PLAINTEXT
    assert "not a secret" not in repr(box)


def test_S1_wrong_key_is_a_config_error_naming_the_mismatch() -> None:
    ciphertext = SecretBox(TEST_KEY).encrypt(PLAINTEXT)
    with pytest.raises(ConfigError, match="does not match the stored credentials") as caught:
        SecretBox(Fernet.generate_key()).decrypt(ciphertext)
    assert PLAINTEXT not in str(caught.value)


def test_S1_credentials_are_never_stored_in_clear(store: Store, db_url: str) -> None:
    store.credentials.set("alice", "hardcover", "token", PLAINTEXT)
    with store.db.engine.connect() as conn:
        stored = conn.execute(text("SELECT ciphertext FROM credentials")).scalar_one()
    assert PLAINTEXT not in stored
    assert base64.urlsafe_b64encode(PLAINTEXT.encode()).decode()[:20] not in stored
    assert store.credentials.get("alice", "hardcover", "token") == PLAINTEXT
    if db_url.startswith("sqlite"):
        database = Path(db_url.removeprefix("sqlite:///"))
        for path in database.parent.glob(database.name + "*"):  # the file, its WAL and shm
            assert PLAINTEXT.encode() not in path.read_bytes()


def test_S1_credentials_replace_list_and_delete(store: Store) -> None:
    store.credentials.set("alice", "audiobookshelf", "api_key", "first-value")
    store.credentials.set("alice", "audiobookshelf", "api_key", "second-value")
    store.credentials.set("alice", "hardcover", "token", "third-value")
    assert store.credentials.get("alice", "audiobookshelf", "api_key") == "second-value"
    assert store.credentials.names("alice") == [("audiobookshelf", "api_key"), ("hardcover", "token")]
    assert store.credentials.delete("alice", "hardcover", "token") is True
    assert store.credentials.delete("alice", "hardcover", "token") is False
    assert store.credentials.get("alice", "hardcover", "token") is None


def test_S1_store_opened_with_another_key_cannot_read_credentials(store: Store, db_url: str) -> None:
    store.credentials.set("alice", "hardcover", "token", PLAINTEXT)
    other = Store.open(db_url, secret_key=Fernet.generate_key())
    try:
        with pytest.raises(ConfigError, match="secret key does not match"):
            other.credentials.get("alice", "hardcover", "token")
    finally:
        other.close()


def test_store_without_a_key_refuses_credentials(db_url: str) -> None:
    keyless = Store.open(db_url, secret_key=None)
    try:
        with pytest.raises(ConfigError, match="no secret key"):
            keyless.credentials.get("alice", "hardcover", "token")
    finally:
        keyless.close()
