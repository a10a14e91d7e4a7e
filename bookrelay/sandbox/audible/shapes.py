"""Wire shapes of the fake Audible: which library fields each response group carries (ref Part C.3)."""

from __future__ import annotations

import copy
from typing import Any

# Returned whatever the request asks for.
ALWAYS_FIELDS = ("asin", "purchase_date", "sku_lite", "status", "library_status")

GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "product_desc": ("title", "subtitle"),
    "contributors": ("authors", "narrators", "publisher_name"),
    "product_attrs": (
        "runtime_length_min",
        "release_date",
        "issue_date",
        "language",
        "format_type",
        "content_type",
        "content_delivery_type",
        "merchandising_summary",
        "publication_name",
        "is_adult_product",
        "available_codecs",
    ),
    "media": ("product_images",),
    "series": ("series",),
    "product_extended_attrs": ("publisher_summary", "editorial_reviews", "audible_editors_summary"),
    "percent_complete": ("percent_complete",),
    "is_finished": ("is_finished",),
    "listening_status": ("listening_status",),
}


def requested_groups(raw: str | None) -> list[str]:
    """The response groups of a ``response_groups`` query value, in order, without blanks or repeats."""
    groups: list[str] = []
    for part in (raw or "").split(","):
        name = part.strip()
        if name and name not in groups:
            groups.append(name)
    return groups


def _listening_status(item: dict[str, Any]) -> dict[str, Any] | None:
    """The fixture's ``listening_status``, or one derived from its percent and runtime when absent."""
    if "listening_status" in item:
        status: dict[str, Any] | None = item["listening_status"]
        return status
    percent = item.get("percent_complete")
    if percent is None:
        return None
    runtime = item.get("runtime_length_min") or 0
    return {
        "finished_at_timestamp": None,
        "is_finished": bool(item.get("is_finished", False)),
        "percent_complete": percent,
        "time_remaining_seconds": round(runtime * 60 * (1 - percent / 100)),
    }


def library_item(item: dict[str, Any], groups: list[str]) -> dict[str, Any]:
    """One library item as the API renders it for ``groups``: fields only from the groups asked for."""
    out: dict[str, Any] = {key: copy.deepcopy(item.get(key)) for key in ALWAYS_FIELDS}
    for group in groups:
        # A group we do not list carries the field of its own name (``rating``, ``relationships``, …).
        for key in GROUP_FIELDS.get(group, (group,)):
            if key == "listening_status":
                out[key] = copy.deepcopy(_listening_status(item))
            elif key in item:
                out[key] = copy.deepcopy(item[key])
            elif group in GROUP_FIELDS:
                out[key] = None
    return out


def last_position(asin: str, position: dict[str, Any] | None) -> dict[str, Any]:
    """One entry of ``asin_last_position_heard_annots`` (ref Part C.4.2)."""
    if position is None:
        return {"asin": asin, "last_position_heard": {"status": "DoesNotExist"}}
    return {
        "asin": asin,
        "last_position_heard": {
            "position_ms": position["position_ms"],
            "status": "Exists",
            "last_updated": position["last_updated"],
        },
    }
