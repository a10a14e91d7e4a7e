"""Reads and writes the ``"hardcover"`` section of a sandbox fixture (format: docs/sandbox-hardcover.md).

:func:`load_tables` turns the nested fixture into flat tables keyed by id (reads, list books, contributions
and book series become rows of their own); :func:`dump_tables` turns them back. A malformed fixture raises
``ValueError`` naming the place, e.g. ``hardcover.books[2].author_ids: unknown author 99``.
"""

from __future__ import annotations

from typing import Any

from bookrelay.sandbox.hardcover.fixture_reader import SECTION_KEYS, Reader, section_list, slugify

Row = dict[str, Any]
Tables = dict[str, dict[int, Row]]

TABLE_NAMES = (
    "users",
    "authors",
    "series",
    "books",
    "contributions",
    "book_series",
    "languages",
    "editions",
    "user_books",
    "user_book_reads",
    "lists",
    "list_books",
)

# code2 → (code3, name); ids follow this order, unknown codes are appended.
_LANGUAGES = {
    "en": ("eng", "English"),
    "de": ("deu", "German"),
    "fr": ("fra", "French"),
    "es": ("spa", "Spanish"),
    "it": ("ita", "Italian"),
    "nl": ("nld", "Dutch"),
    "pt": ("por", "Portuguese"),
    "sv": ("swe", "Swedish"),
    "pl": ("pol", "Polish"),
    "ja": ("jpn", "Japanese"),
}


def _put(table: dict[int, Row], row: Row, place: str) -> None:
    if row["id"] in table:
        raise ValueError(f"{place}.id: duplicate id {row['id']}")
    table[row["id"]] = row


def _ref(tables: Tables, name: str, value: int | None, place: str) -> None:
    if value is not None and value not in tables[name]:
        raise ValueError(f"{place}: unknown {name[:-1] if name.endswith('s') else name} {value}")


def parse_limits(raw: Any) -> dict[str, Any]:
    """Validated ``limits`` values (missing ones are absent, callers apply the free-plan defaults)."""
    if raw is None:
        return {}
    r = Reader(raw, "hardcover.limits", "limits")
    out = {
        k: r.integer(k)
        for k in ("per_minute", "burst", "daily", "max_top_level", "max_depth")
        if r.integer(k) is not None
    }
    for key, value in out.items():
        if value < 0:
            raise ValueError(f"hardcover.limits.{key}: must not be negative")
    if out.get("max_depth") == 0:
        raise ValueError("hardcover.limits.max_depth: must be at least 1 (leave it out for no limit)")
    if r.text("plan") is not None:
        out["plan"] = r.text("plan")
    return out


def load_tables(section: Any) -> tuple[Tables, dict[str, dict[str, Any]]]:
    """Flat tables from a fixture section, plus the token table ``{token: {"user_id", "scopes"}}``."""
    if not isinstance(section, dict):
        raise ValueError("hardcover: expected an object")
    unknown = sorted(set(section) - SECTION_KEYS)
    if unknown:
        raise ValueError(f"hardcover.{unknown[0]}: unknown key")
    t: Tables = {name: {} for name in TABLE_NAMES}
    tokens: dict[str, dict[str, Any]] = {}
    for i, raw in enumerate(section_list(section, "users", required=True)):
        place = f"hardcover.users[{i}]"
        r = Reader(raw, place, "users")
        token = r.text("token", required=True)
        scopes = r.items("scopes") or ["all"]
        if token in tokens:
            raise ValueError(f"{place}.token: the same token is given twice")
        if not all(isinstance(s, str) for s in scopes):
            raise ValueError(f"{place}.scopes: expected a list of strings")
        row = {
            "id": r.integer("id", required=True),
            "username": r.text("username", required=True),
            "name": r.text("name"),
            "timezone": r.text("timezone"),
            "bio": r.text("bio"),
            "account_privacy_setting_id": r.integer("account_privacy_setting_id") or 1,
            "default_reading_format_id": r.integer("default_reading_format_id"),
        }
        _put(t["users"], row, place)
        tokens[token] = {"user_id": row["id"], "scopes": list(scopes)}
    for kind in ("authors", "series"):
        for i, raw in enumerate(section_list(section, kind, required=False)):
            place = f"hardcover.{kind}[{i}]"
            r = Reader(raw, place, kind)
            name = r.text("name", required=True)
            _put(
                t[kind],
                {"id": r.integer("id", required=True), "name": name, "slug": r.text("slug") or slugify(name)},
                place,
            )
    _load_books(section, t)
    _load_editions(section, t)
    _load_user_books(section, t)
    _load_lists(section, t)
    return t, tokens


def _load_books(section: dict[str, Any], t: Tables) -> None:
    for i, raw in enumerate(section_list(section, "books", required=True)):
        place = f"hardcover.books[{i}]"
        r = Reader(raw, place, "books")
        title = r.text("title", required=True)
        alternative = r.items("alternative_titles")
        if not all(isinstance(a, str) for a in alternative):
            raise ValueError(f"{place}.alternative_titles: expected a list of strings")
        row = {
            "id": r.integer("id", required=True),
            "title": title,
            "subtitle": r.text("subtitle"),
            "slug": r.text("slug") or slugify(title),
            "release_year": r.integer("release_year"),
            "release_date": r.day("release_date"),
            "alternative_titles": list(alternative),
            "users_count": r.integer("users_count") or 0,
            "users_read_count": r.integer("users_read_count") or 0,
            "image_url": r.text("image_url"),
            "canonical_id": r.integer("canonical_id"),
            "description": r.text("description"),
            "pages": r.integer("pages"),
            "audio_seconds": r.integer("audio_seconds"),
            "rating": r.number("rating"),
        }
        _put(t["books"], row, place)
        for j, author_id in enumerate(r.items("author_ids")):
            if not isinstance(author_id, int) or author_id not in t["authors"]:
                raise ValueError(f"{place}.author_ids[{j}]: unknown author {author_id!r}")
            cid = len(t["contributions"]) + 1
            t["contributions"][cid] = {
                "id": cid,
                "author_id": author_id,
                "contributable_id": row["id"],
                "contributable_type": "Book",
                "contribution": None,
            }
        for j, raw_series in enumerate(r.items("series")):
            if not isinstance(raw_series, dict) or set(raw_series) - {"series_id", "position"}:
                raise ValueError(f"{place}.series[{j}]: expected {{series_id, position}}")
            sid = raw_series.get("series_id")
            if not isinstance(sid, int) or sid not in t["series"]:
                raise ValueError(f"{place}.series[{j}].series_id: unknown series {sid!r}")
            position = raw_series.get("position")
            if position is not None and (isinstance(position, bool) or not isinstance(position, int | float)):
                raise ValueError(f"{place}.series[{j}].position: expected a number")
            bsid = len(t["book_series"]) + 1
            t["book_series"][bsid] = {
                "id": bsid,
                "book_id": row["id"],
                "series_id": sid,
                "position": position,
            }
    for i, row in enumerate(t["books"].values()):
        _ref(t, "books", row["canonical_id"], f"hardcover.books[{i}].canonical_id")


def _language_id(t: Tables, code: str) -> int:
    for row in t["languages"].values():
        if row["code2"] == code:
            return int(row["id"])
    known = list(_LANGUAGES)
    lid = known.index(code) + 1 if code in _LANGUAGES else len(known) + len(t["languages"]) + 1
    code3, name = _LANGUAGES.get(code, (None, code))
    t["languages"][lid] = {"id": lid, "code2": code, "code3": code3, "language": name}
    return lid


def _load_editions(section: dict[str, Any], t: Tables) -> None:
    for i, raw in enumerate(section_list(section, "editions", required=True)):
        place = f"hardcover.editions[{i}]"
        r = Reader(raw, place, "editions")
        row = {
            key: r.text(key)
            for key in (
                "title",
                "subtitle",
                "isbn_13",
                "isbn_10",
                "asin",
                "edition_format",
                "physical_format",
                "image_url",
            )
        }
        row.update(
            {
                "id": r.integer("id", required=True),
                "book_id": r.integer("book_id", required=True),
                "pages": r.integer("pages"),
                "audio_seconds": r.integer("audio_seconds"),
                "reading_format_id": r.integer("reading_format_id") or 1,
                "users_count": r.integer("users_count") or 0,
                "users_read_count": r.integer("users_read_count") or 0,
                "release_date": r.day("release_date"),
            }
        )
        _ref(t, "books", row["book_id"], f"{place}.book_id")
        if row["reading_format_id"] not in (1, 2, 3, 4):
            raise ValueError(f"{place}.reading_format_id: expected 1..4, got {row['reading_format_id']}")
        language = r.text("language")
        row["language_id"] = _language_id(t, language) if language else None
        _put(t["editions"], row, place)


def _load_user_books(section: dict[str, Any], t: Tables) -> None:
    for i, raw in enumerate(section_list(section, "user_books", required=False)):
        place = f"hardcover.user_books[{i}]"
        r = Reader(raw, place, "user_books")
        row = {
            "id": r.integer("id", required=True),
            "user_id": r.integer("user_id", required=True),
            "book_id": r.integer("book_id", required=True),
            "edition_id": r.integer("edition_id"),
            "status_id": r.integer("status_id") or 1,
            "rating": r.number("rating"),
            "owned": bool(r.flag("owned")),
            "owned_copies": r.integer("owned_copies") or 0,
            "date_added": r.day("date_added"),
            "privacy_setting_id": r.integer("privacy_setting_id"),
            "private_notes": r.text("private_notes"),
            # explicit values a client set; None means "derive from the reads"
            "first_started_reading_date": r.day("first_started_reading_date"),
            "last_read_date": r.day("last_read_date"),
            "read_count": r.integer("read_count"),
        }
        _ref(t, "users", row["user_id"], f"{place}.user_id")
        _ref(t, "books", row["book_id"], f"{place}.book_id")
        _ref(t, "editions", row["edition_id"], f"{place}.edition_id")
        if row["status_id"] not in range(1, 7):
            raise ValueError(f"{place}.status_id: expected 1..6, got {row['status_id']}")
        if row["privacy_setting_id"] is None:
            row["privacy_setting_id"] = t["users"][row["user_id"]]["account_privacy_setting_id"]
        if any(
            ub["user_id"] == row["user_id"] and ub["book_id"] == row["book_id"]
            for ub in t["user_books"].values()
        ):
            raise ValueError(f"{place}.book_id: user {row['user_id']} already has book {row['book_id']}")
        _put(t["user_books"], row, place)
        for j, raw_read in enumerate(r.items("reads")):
            rplace = f"{place}.reads[{j}]"
            rr = Reader(raw_read, rplace, "reads")
            read = {
                "id": rr.integer("id", required=True),
                "user_book_id": row["id"],
                "edition_id": rr.integer("edition_id"),
                "started_at": rr.day("started_at"),
                "finished_at": rr.day("finished_at"),
                "paused_at": rr.day("paused_at"),
                "progress_pages": rr.integer("progress_pages"),
                "progress_seconds": rr.integer("progress_seconds"),
                "finished_at_precision": rr.integer("finished_at_precision"),
            }
            _ref(t, "editions", read["edition_id"], f"{rplace}.edition_id")
            _put(t["user_book_reads"], read, rplace)


def _load_lists(section: dict[str, Any], t: Tables) -> None:
    for i, raw in enumerate(section_list(section, "lists", required=False)):
        place = f"hardcover.lists[{i}]"
        r = Reader(raw, place, "lists")
        name = r.text("name", required=True)
        row = {
            "id": r.integer("id", required=True),
            "user_id": r.integer("user_id", required=True),
            "name": name,
            "slug": r.text("slug") or slugify(name),
            "description": r.text("description"),
            "privacy_setting_id": r.integer("privacy_setting_id") or 1,
            "ranked": bool(r.flag("ranked")),
            "default_view": "card",
            "featured_profile": False,
            "url": None,
        }
        _ref(t, "users", row["user_id"], f"{place}.user_id")
        _put(t["lists"], row, place)
        for j, raw_book in enumerate(r.items("books")):
            bplace = f"{place}.books[{j}]"
            br = Reader(raw_book, bplace, "list_books")
            lb_id = br.integer("id") or max([*t["list_books"], 0]) + 1
            lb = {
                "id": lb_id,
                "list_id": row["id"],
                "book_id": br.integer("book_id", required=True),
                "edition_id": br.integer("edition_id"),
                "position": br.integer("position") or j + 1,
                "reason": br.text("reason"),
                "date_added": None,
            }
            _ref(t, "books", lb["book_id"], f"{bplace}.book_id")
            _ref(t, "editions", lb["edition_id"], f"{bplace}.edition_id")
            _put(t["list_books"], lb, bplace)


def dump_tables(t: Tables, tokens: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The fixture-format view of flat tables (inverse of :func:`load_tables`, JSON-able)."""
    token_of = {info["user_id"]: (tok, info["scopes"]) for tok, info in tokens.items()}
    users = []
    for u in t["users"].values():
        token, scopes = token_of.get(u["id"], (None, ["all"]))
        users.append({**u, "token": token, "scopes": list(scopes)})
    languages = {lid: row["code2"] for lid, row in t["languages"].items()}
    books = []
    for b in t["books"].values():
        authors = [c["author_id"] for c in t["contributions"].values() if c["contributable_id"] == b["id"]]
        series = [
            {"series_id": s["series_id"], "position": s["position"]}
            for s in t["book_series"].values()
            if s["book_id"] == b["id"]
        ]
        books.append(
            {
                **b,
                "alternative_titles": list(b["alternative_titles"]),
                "author_ids": authors,
                "series": series,
            }
        )
    editions = []
    for e in t["editions"].values():
        out = {k: v for k, v in e.items() if k != "language_id"}
        out["language"] = languages.get(e["language_id"]) if e["language_id"] else None
        editions.append(out)
    user_books = []
    for ub in t["user_books"].values():
        reads = [
            {k: v for k, v in rd.items() if k != "user_book_id"}
            for rd in t["user_book_reads"].values()
            if rd["user_book_id"] == ub["id"]
        ]
        user_books.append({**ub, "reads": reads})
    lists = []
    for lst in t["lists"].values():
        entries = [
            {k: lb[k] for k in ("id", "book_id", "edition_id", "position", "reason")}
            for lb in t["list_books"].values()
            if lb["list_id"] == lst["id"]
        ]
        keep = ("id", "user_id", "name", "slug", "description", "privacy_setting_id", "ranked")
        lists.append({**{k: lst[k] for k in keep}, "books": entries})
    return {
        "users": users,
        "authors": [dict(a) for a in t["authors"].values()],
        "series": [dict(s) for s in t["series"].values()],
        "books": books,
        "editions": editions,
        "user_books": user_books,
        "lists": lists,
    }
