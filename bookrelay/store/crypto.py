"""Encryption of stored credentials (S1) with Fernet, and the key it uses.

The key comes from ``BOOKRELAY_SECRET_KEY`` when set, else from a key file that is created with mode
0600 on first use. Errors name the place of the key, never the key or a plaintext.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bookrelay.config.keyfile import as_fernet_key
from bookrelay.errors import ConfigError
from bookrelay.redact import register_secret

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

ENV_NAME = "BOOKRELAY_SECRET_KEY"
KEY_BYTES = 32  # a Fernet key: 32 bytes, url-safe base64 (16 signing + 16 encryption)


def load_or_create_key(env: Mapping[str, str] | None, key_file: Path) -> bytes:
    """The Fernet key: $BOOKRELAY_SECRET_KEY if set, else the key file, else a new key written
    to the key file (mode 0600) atomically; raises ConfigError for a malformed key."""
    environment = os.environ if env is None else env
    from_env = environment.get(ENV_NAME, "").strip()
    if from_env:
        register_secret(from_env)  # the hex form too, when it is converted below
        return _checked(as_fernet_key(from_env).encode(), f"${ENV_NAME}")
    key_file = key_file.expanduser()
    if key_file.exists():
        return _read_key(key_file)
    return _create_key(key_file)


def _read_key(key_file: Path) -> bytes:
    try:
        raw = key_file.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"cannot read the secret key file ({exc.strerror})", place=str(key_file)) from None
    return _checked(raw, str(key_file))


def _create_key(key_file: Path) -> bytes:
    key = base64.urlsafe_b64encode(os.urandom(KEY_BYTES))  # what Fernet.generate_key() makes
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = key_file.with_name(f".{key_file.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            # link() refuses to replace: if another process created the key meanwhile, theirs wins.
            os.link(temp, key_file)
        except FileExistsError:
            return _read_key(key_file)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the secret key file ({exc.strerror})", place=str(key_file)
        ) from None
    register_secret(key.decode())
    return key


def _checked(key: bytes, place: str) -> bytes:
    """The key when it has Fernet's shape (checked here, so that cryptography loads only when a credential
    is actually encrypted or decrypted: a sync with tokens from the configuration never needs it)."""
    try:
        valid = len(base64.urlsafe_b64decode(key)) == KEY_BYTES
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise ConfigError(
            "is not a Fernet key (32 url-safe base64-encoded bytes; make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)",
            place=place,
        ) from None
    register_secret(key.decode("ascii", errors="replace"))
    return key


class SecretBox:
    """Encrypts and decrypts short texts (tokens, passwords) with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        self._key = _checked(key, "secret key")
        self._loaded: Fernet | None = None

    @property
    def _fernet(self) -> Fernet:
        if self._loaded is None:
            from cryptography.fernet import Fernet  # cryptography: only when a credential is read or stored

            self._loaded = Fernet(self._key)
        return self._loaded

    def encrypt(self, plaintext: str) -> str:
        """The ciphertext of ``plaintext`` as url-safe text."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext; raises ConfigError when the key does not match (never showing either)."""
        from cryptography.fernet import InvalidToken  # cryptography: loaded by _fernet already

        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise ConfigError("the secret key does not match the stored credentials") from None

    def __repr__(self) -> str:
        return "SecretBox(***)"
