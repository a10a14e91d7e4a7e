"""``PATCH /api/items/:id/media`` for books, as ABS 2.36 applies it.

Modelled on ``LibraryItemController.updateMedia`` and ``Book.updateFromRequest`` /
``updateAuthorsFromRequest`` / ``updateSeriesFromRequest`` in advplyr/audiobookshelf (server/models/Book.js),
because the project's reference notes do not cover this route. What a client notices:

- Only keys present in ``metadata`` change; everything else is kept.
- String keys (title, subtitle, publishedYear, publishedDate, publisher, description, isbn, asin, language)
  take a string or null; a number is turned into its string; an empty string is stored as **null**
  (``this[key] = value || null``), so "" can never be written back. Other types are ignored.
- ``explicit``/``abridged`` take any value and store its truthiness.
- ``narrators``/``genres`` take a list of strings only (a list with anything else is ignored).
- ``authors`` takes ``[{name}]`` (plain strings have no ``.name``: dropped), matched case-insensitively;
  ``series`` takes ``[{name, sequence}]`` (any entry without a string name voids the whole list; a
  non-string sequence becomes null).
- The answer says ``updated`` when a compared value differed, which for a string key includes ``""`` sent
  over a null (the server compares before it turns ``""`` into null).
- Users without the *update* permission (ABS's default for types other than root and admin) get ``403``.
"""

from __future__ import annotations

from typing import Any

STRING_KEYS = (
    "title",
    "subtitle",
    "publishedYear",
    "publishedDate",
    "publisher",
    "description",
    "isbn",
    "asin",
    "language",
)
UPDATE_TYPES = frozenset({"root", "admin"})  # User.getDefaultPermissionsForUserType: update


def can_update(user_type: str) -> bool:
    """Whether a user of this type has ABS's default *update* permission (root and admin only)."""
    return user_type in UPDATE_TYPES


def _js_string(value: Any) -> Any:
    """JavaScript's ``String(n)`` for a JSON number (ints without ".0")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def apply_book_media_update(
    metadata: dict[str, Any], payload: Any, series_id: Any
) -> tuple[bool, dict[str, Any]]:
    """Apply a media PATCH body to a book's metadata; returns (the server's ``updated``, the new metadata).

    ``series_id(name)`` gives the id of a series added by name. ``metadata`` itself is not changed.
    """
    result = dict(metadata)
    body = payload.get("metadata") if isinstance(payload, dict) else None
    if not isinstance(body, dict):
        return False, result
    updated = False
    for key in STRING_KEYS:
        value = _js_string(body.get(key)) if key in body else None
        if key in body and (value is None or isinstance(value, str)) and result.get(key) != value:
            result[key] = value or None
            updated = True
    for key in ("explicit", "abridged"):
        if key in body and body[key] is not None and bool(result.get(key)) != bool(body[key]):
            result[key] = bool(body[key])
            updated = True
    for key in ("narrators", "genres"):
        values = _strings(body.get(key))
        if values is not None and values != list(result.get(key) or []):
            result[key] = values
            updated = True
    if isinstance(body.get("authors"), list):
        names = [
            a["name"].strip()
            for a in body["authors"]
            if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()
        ]
        changed, result["authors"] = _merge_authors(list(result.get("authors") or []), names)
        updated = updated or changed
    series = body.get("series")
    if isinstance(series, list) and all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and s["name"] for s in series
    ):
        changed, result["series"] = _merge_series(list(result.get("series") or []), series, series_id)
        updated = updated or changed
    return updated, result


def _merge_authors(current: list[str], names: list[str]) -> tuple[bool, list[str]]:
    wanted = {n.casefold() for n in names}
    kept = [a for a in current if a.casefold() in wanted]
    have = {a.casefold() for a in kept}
    added: list[str] = []
    for name in names:
        if name.casefold() not in have:
            added.append(name)
            have.add(name.casefold())
    return len(kept) != len(current) or bool(added), kept + added


def _merge_series(
    current: list[dict[str, Any]], wanted: list[dict[str, Any]], series_id: Any
) -> tuple[bool, list[dict[str, Any]]]:
    changed = False
    names = {s["name"].casefold() for s in wanted}
    result = [dict(s) for s in current if s["name"].casefold() in names]
    changed = len(result) != len(current)
    for entry in wanted:
        sequence = entry.get("sequence") if isinstance(entry.get("sequence"), str) else None
        existing = next((s for s in result if s["name"].casefold() == entry["name"].casefold()), None)
        if existing is None:
            result.append({"id": series_id(entry["name"]), "name": entry["name"], "sequence": sequence})
            changed = True
        elif existing.get("sequence") != sequence:
            existing["sequence"] = sequence
            changed = True
    return changed, result
