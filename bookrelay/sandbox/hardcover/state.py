"""The fake Hardcover's data and bookkeeping: tables, tokens, budgets, counters and injected faults."""

from __future__ import annotations

import copy
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from bookrelay.sandbox.hardcover.fixture import Row, Tables, dump_tables, load_tables, parse_limits
from bookrelay.sandbox.hardcover.limits import Bucket, Limits, new_bucket

T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """Who a request comes from: the user id behind the token, its scopes, and a log-safe label."""

    user_id: int
    scopes: tuple[str, ...]
    label: str  # the username: per-token stats are keyed by it, never by the token itself


@dataclass(frozen=True)
class Fault:
    """One injected HTTP failure (see :meth:`HardcoverState.fail_next`)."""

    status: int
    retry_after: int | None


def _counters() -> dict[str, int]:
    return {"requests": 0, "units": 0, "writes": 0, "rate_limited": 0, "rejected": 0, "depth_refused": 0}


class HardcoverState:
    """All data of one fake Hardcover, loaded from a fixture section; one instance per sandbox."""

    def __init__(self, section: dict[str, Any], *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._fixture = copy.deepcopy(section)
        self._load()

    @classmethod
    def from_fixture(
        cls, section: dict[str, Any], *, clock: Callable[[], float] = time.time
    ) -> HardcoverState:
        """State from the ``"hardcover"`` fixture section; ``ValueError`` names the bad key if malformed."""
        return cls(section, clock=clock)

    def _load(self) -> None:
        section = copy.deepcopy(self._fixture)
        if not isinstance(section, dict):
            raise ValueError("hardcover: expected an object")
        self.limits = Limits(**parse_limits(section.get("limits")))
        today = section.get("today")
        if today is not None:
            try:
                datetime.strptime(today, "%Y-%m-%d")
            except (TypeError, ValueError):
                raise ValueError(f"hardcover.today: expected a date YYYY-MM-DD, got {today!r}") from None
        self._today: str | None = today
        self.tables: Tables
        self.tables, self._tokens = load_tables(section)
        self._next_id = {name: max(rows, default=0) + 1 for name, rows in self.tables.items()}
        self._buckets: dict[str, Bucket] = {}
        self._faults: list[Fault] = []
        self._totals = _counters()
        self._per_token: dict[str, dict[str, int]] = defaultdict(_counters)
        # Derived data (indexes, search documents) is rebuilt lazily when a table it reads changed:
        # a write to user_books must not throw away the catalogue's indexes (10,000s of rows).
        self._versions: dict[str, int] = defaultdict(int)
        self._indexes: dict[tuple[str, str], dict[Any, list[Row]]] = {}
        self._derived: dict[str, tuple[tuple[int, ...], Any]] = {}

    # ------------------------------------------------------------------ public controls

    def reset(self) -> None:
        """Back to the fixture as loaded: data, limits, budgets, faults and counters."""
        self._load()

    def fail_next(self, status: int, count: int = 1, *, retry_after: int | None = None) -> None:
        """Make the next ``count`` HTTP requests answer ``status`` (e.g. 503, 500, 429), before any check."""
        if count < 1:
            raise ValueError("count must be at least 1")
        self._faults.extend(Fault(status, retry_after) for _ in range(count))

    def stats(self) -> dict[str, Any]:
        """Counters as a JSON-able dict; ``per_token`` is keyed by username (tokens are secrets)."""
        return {**self._totals, "per_token": {k: dict(v) for k, v in self._per_token.items()}}

    def snapshot(self) -> dict[str, Any]:
        """All data in the fixture's format (reads nested under user_books), JSON-able."""
        out: dict[str, Any] = {"limits": asdict(self.limits)}
        if self._today is not None:
            out["today"] = self._today
        # OAuth access tokens (add_token) are not fixture data: the users keep their own token.
        fixture_tokens = {t: i for t, i in self._tokens.items() if "expires_at" not in i}
        out.update(dump_tables(self.tables, fixture_tokens))
        return out

    # ------------------------------------------------------------------ used by the app

    def today(self) -> str:
        """Hardcover's "today" (YYYY-MM-DD): the fixture's ``today`` if given, else the clock's UTC date."""
        if self._today is not None:
            return self._today
        return datetime.fromtimestamp(self.clock(), UTC).date().isoformat()

    def now_iso(self) -> str:
        """The clock's time as an ISO timestamp (UTC), for ``created_at``-style columns."""
        return datetime.fromtimestamp(self.clock(), UTC).isoformat()

    def caller_for(self, token: str) -> Caller | None:
        """The caller behind a bearer token, or None for an unknown token."""
        info = self._tokens.get(token)
        if info is None:
            return None
        expires_at = info.get("expires_at")
        if expires_at is not None and expires_at <= self.clock():
            return None  # an expired OAuth access token answers like an unknown one (ref §2)
        user = self.tables["users"][info["user_id"]]
        return Caller(user_id=user["id"], scopes=tuple(info["scopes"]), label=str(user["username"]))

    def add_token(
        self, token: str, username: str, expires_at: float | None = None, scopes: tuple[str, ...] = ("all",)
    ) -> None:
        """Accept ``token`` for ``username`` until ``expires_at`` (clock seconds): OAuth access tokens."""
        user = next((u for u in self.tables["users"].values() if u["username"] == username), None)
        if user is None:
            raise ValueError(f"add_token: unknown user {username!r}")
        self._tokens[token] = {"user_id": user["id"], "scopes": list(scopes), "expires_at": expires_at}

    def remove_token(self, token: str) -> None:
        """Stop accepting ``token`` (revoked)."""
        self._tokens.pop(token, None)

    def bucket(self, caller: Caller) -> Bucket:
        """The budget of a caller's token, created full on first use."""
        if caller.label not in self._buckets:
            self._buckets[caller.label] = new_bucket(self.limits, self.clock())
        return self._buckets[caller.label]

    def take_fault(self) -> Fault | None:
        """The next injected failure, if one is queued (consumes it)."""
        return self._faults.pop(0) if self._faults else None

    def count(self, caller: Caller | None, **deltas: int) -> None:
        """Add to the global counters and, when the caller is known, to its own."""
        for key, delta in deltas.items():
            self._totals[key] += delta
            if caller is not None:
                self._per_token[caller.label][key] += delta

    # ------------------------------------------------------------------ data access

    def rows(self, table: str) -> dict[int, Row]:
        """The live rows of a table, keyed by id."""
        return self.tables[table]

    def index(self, table: str, column: str) -> dict[Any, list[Row]]:
        """Rows of ``table`` grouped by ``column`` (each group in table order); built on first use, then
        kept up to date by :meth:`insert`, :meth:`delete` and :meth:`update`. Treat it as read-only."""
        key = (table, column)
        grouped = self._indexes.get(key)
        if grouped is None:
            building: dict[Any, list[Row]] = defaultdict(list)
            for row in self.tables[table].values():
                building[row.get(column)].append(row)
            grouped = self._indexes[key] = dict(building)
        return grouped

    def derived(self, name: str, tables: tuple[str, ...], build: Callable[[], T]) -> T:
        """``build()``'s value, cached under ``name`` until a row of one of ``tables`` changes."""
        stamp = tuple(self._versions[t] for t in tables)
        cached = self._derived.get(name)
        if cached is None or cached[0] != stamp:
            cached = (stamp, build())
            self._derived[name] = cached
        value: T = cached[1]
        return value

    def insert(self, table: str, row: Row) -> Row:
        """Store a new row under the next free id and return it."""
        row["id"] = self._next_id[table]
        self._next_id[table] += 1
        self.tables[table][row["id"]] = row
        self._versions[table] += 1
        for (name, column), grouped in self._indexes.items():
            if name == table:
                # A new list, not an append: a caller may be iterating the old group right now.
                value = row.get(column)
                grouped[value] = [*grouped.get(value, ()), row]
        return row

    def delete(self, table: str, row_id: int) -> Row | None:
        """Remove a row; return it, or None if it was not there."""
        row = self.tables[table].pop(row_id, None)
        if row is None:
            return None
        self._versions[table] += 1
        for (name, column), grouped in self._indexes.items():
            if name == table:
                value = row.get(column)
                rest = [r for r in grouped.get(value, ()) if r is not row]
                if rest:
                    grouped[value] = rest
                else:
                    grouped.pop(value, None)
        return row

    def update(self, table: str, row: Row, values: dict[str, Any]) -> None:
        """Change ``values`` of a stored row in place; an index over a column whose value changes is
        rebuilt on next use (cheaper to rebuild than to keep the groups' table order by hand)."""
        for key in [k for k in self._indexes if k[0] == table]:
            column = key[1]
            if column in values and values[column] != row.get(column):
                del self._indexes[key]
        row.update(values)
        self._versions[table] += 1

    def changed(self, *tables: str) -> None:
        """Note that rows of ``tables`` were changed behind the state's back (tests editing rows): their
        indexes and what was derived from them are rebuilt on next use. No names: every table."""
        for table in tables or tuple(self.tables):
            self._versions[table] += 1
            for key in [k for k in self._indexes if k[0] == table]:
                del self._indexes[key]
