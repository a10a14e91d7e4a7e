"""Checks of the secret key that encrypts stored credentials, made by ``config check`` (S1, S3).

The store checks the key again when it opens; checking here too means a wrong key or key file is
reported with its line before anything runs, instead of passing the check and failing in a sync.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path

NOT_A_FERNET_KEY = (
    "is not a Fernet key (32 url-safe base64-encoded bytes, or 64 hex digits; make one with "
    "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
)


_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


def as_fernet_key(key: str) -> str:
    """``key`` in Fernet's form: a 64-hex-digit key (the Audible auto-tracker's ``ENCRYPTION_KEY``, 32
    bytes written in hex) is the same 32 bytes in url-safe base64; any other text is returned as it is."""
    key = key.strip()
    if _HEX_KEY.fullmatch(key):
        return base64.urlsafe_b64encode(bytes.fromhex(key)).decode("ascii")
    return key


def is_fernet_key(key: str | bytes) -> bool:
    """Whether ``key`` has a Fernet key's shape: 32 bytes in url-safe base64."""
    try:
        return len(base64.urlsafe_b64decode(key)) == 32
    except (binascii.Error, ValueError):
        return False


def key_file_problem(path: Path, *, written_out: bool) -> str | None:
    """What is wrong with the key file at ``path``, or ``None``.

    An existing file must be readable and hold a Fernet key. A missing one is made on first use, but
    only when ``written_out`` is false (the default path) may its folder be missing too: a folder
    named in the configuration that does not exist is most likely a typing error, and a new key made
    there could not read the credentials stored with the old one."""
    path = path.expanduser()
    if path.is_dir():
        return f"{path} is a folder, not a key file"
    if path.exists():
        try:
            raw = path.read_bytes().strip()
        except OSError as exc:
            return f"cannot read {path} ({exc.strerror})"
        return None if is_fernet_key(raw) else f"{path} {NOT_A_FERNET_KEY}"
    folder = path.parent
    if not folder.exists():
        if written_out:
            return f"the folder {folder} does not exist: create it, or correct the path"
        folder = next((p for p in folder.parents if p.exists()), Path("/"))
    if not folder.is_dir():
        return f"{folder} is not a folder, so the key file cannot be made there"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the key file cannot be made: {folder} is not writable"
    return None
