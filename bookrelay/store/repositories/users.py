"""Users and their encrypted credentials (S1)."""

from __future__ import annotations

from sqlalchemy import delete, select

from bookrelay.redact import register_secret
from bookrelay.store.crypto import SecretBox
from bookrelay.store.db import Database
from bookrelay.store.models import Credential, User
from bookrelay.store.repositories._base import Clock, Repo, ensure_user, upsert, utc_now


class UserRepo(Repo):
    """The users the store knows."""

    def ensure(self, user_id: str) -> User:
        """The user row, created when missing."""
        with self._db.transaction() as session:
            ensure_user(session, user_id, self._now())
            return session.get_one(User, user_id)

    def list(self) -> list[User]:
        """Every user, by id."""
        with self._db.reading() as session:
            return list(session.scalars(select(User).order_by(User.id)))


class CredentialRepo(Repo):
    """Secrets per user and service, stored only as Fernet ciphertext."""

    def __init__(self, db: Database, box: SecretBox, clock: Clock = utc_now) -> None:
        super().__init__(db, clock)
        self._box = box

    def set(self, user_id: str, service: str, name: str, value: str) -> None:
        """Store (or replace) the secret ``name`` of ``user_id`` for ``service``, encrypted."""
        register_secret(value)
        now = self._now()
        ciphertext = self._box.encrypt(value)
        with self._db.transaction() as session:
            ensure_user(session, user_id, now)
            row = {
                "user_id": user_id,
                "service": service,
                "name": name,
                "ciphertext": ciphertext,
                "updated_at": now,
            }
            upsert(
                session,
                Credential,
                row,
                ["user_id", "service", "name"],
                {"ciphertext": ciphertext, "updated_at": now},
            )

    def get(self, user_id: str, service: str, name: str) -> str | None:
        """The decrypted secret, ``None`` when absent; ConfigError when the key does not match."""
        with self._db.reading() as session:
            ciphertext = session.scalar(
                select(Credential.ciphertext).where(
                    Credential.user_id == user_id, Credential.service == service, Credential.name == name
                )
            )
        if ciphertext is None:
            return None
        value = self._box.decrypt(ciphertext)
        register_secret(value)
        return value

    def delete(self, user_id: str, service: str, name: str) -> bool:
        """Forget the secret; whether there was one."""
        with self._db.transaction() as session:
            result = session.execute(
                delete(Credential).where(
                    Credential.user_id == user_id, Credential.service == service, Credential.name == name
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def names(self, user_id: str) -> list[tuple[str, str]]:
        """The (service, name) pairs stored for a user, without their values."""
        with self._db.reading() as session:
            rows = session.execute(
                select(Credential.service, Credential.name)
                .where(Credential.user_id == user_id)
                .order_by(Credential.service, Credential.name)
            )
            return [(service, name) for service, name in rows]
