"""A database file another program left at the same path (the seed's DATABASE_PATH, say) is never
half-migrated (S3): bookrelay adds its tables beside foreign ones of other names and keeps their rows, and
refuses, naming the tables, a file that holds tables of its own names."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bookrelay.errors import ConfigError
from bookrelay.store.db import create_engine_for, current_revision, shipped_head, upgrade


def _foreign(path: Path, table: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE {table} (hardcover_id INTEGER PRIMARY KEY, note TEXT)")
        db.execute(f"INSERT INTO {table} VALUES (7, 'sent by the old job')")


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_S3_a_foreign_table_of_another_name_is_kept_and_bookrelay_migrates_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "hardcover-sync.db"
    _foreign(path, "synced_books")
    upgrade(f"sqlite:///{path}")
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        assert current_revision(engine) == shipped_head()
    finally:
        engine.dispose()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT * FROM synced_books").fetchall() == [(7, "sent by the old job")]
    assert {"wanted", "runs", "synced_books"} <= _tables(path)


def test_S3_a_foreign_table_of_bookrelays_name_is_refused_naming_it_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hardcover-sync.db"
    _foreign(path, "wanted")
    with pytest.raises(ConfigError, match=r"database: .*another program \(wanted\)"):
        upgrade(f"sqlite:///{path}")
    assert _tables(path) == {"wanted"}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT * FROM wanted").fetchall() == [(7, "sent by the old job")]
