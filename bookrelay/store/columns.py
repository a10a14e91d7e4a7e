"""Column types the tables share: aware UTC timestamps, and enums stored as checked text.

The enums are the domain's (``matching/outcome.py``) or the store's own (``store/models.py``); this
module says only how a value is kept, so that the stored bytes stay what the migrations created.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Dialect, Enum, TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite keeps no zone, so it is put back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to the store: pass an aware one (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stored_enum(kind: type[StrEnum], name: str, stored: Sequence[StrEnum] | None = None) -> Enum:
    """A column of ``kind`` kept as its values in text with a CHECK constraint (portable: a new value
    needs no PostgreSQL type change). ``stored`` keeps only those members, in that order: a value
    outside them is refused on writing, and a stored value reads back as its member."""
    if stored is None:
        return Enum(
            kind,
            name=name,
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
        )
    # Members are str: each is its own stored value, and a value read back finds its member by equality.
    return Enum(
        *stored, name=name, native_enum=False, create_constraint=True, length=16, validate_strings=True
    )
