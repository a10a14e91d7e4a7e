"""The fake Bookshelf's fixed records: its error answers in Readarr's shapes, and the quality and metadata
profiles and root folders read from the fixture."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ApiError(Exception):
    """An error answer: ``status`` and a JSON body in Readarr's shape."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def validation_error(prop: str, message: str, attempted: Any = None) -> ApiError:
    """A FluentValidation failure list, as ``ReadarrErrorPipeline`` answers a ``ValidationException``."""
    return ApiError(
        400,
        [
            {
                "propertyName": prop,
                "errorMessage": message,
                "attemptedValue": attempted,
                "severity": "error",
                "errorCode": "PredicateValidator",
            }
        ],
    )


def server_error(status: int, message: str) -> ApiError:
    """Readarr's ``{message, description}`` error body (500 for exceptions, 503 for metadata failures)."""
    return ApiError(status, {"message": message, "description": message})


@dataclass
class Profile:
    """A quality or metadata profile."""

    id: int
    name: str


@dataclass
class RootFolder:
    """A root folder with its default profiles."""

    id: int
    name: str
    path: str
    default_quality_profile_id: int
    default_metadata_profile_id: int


def load_settings(section: dict[str, Any]) -> tuple[list[Profile], list[Profile], list[RootFolder]]:
    """The quality profiles, metadata profiles and root folders of the ``bookshelf`` fixture section;
    ValueError names what a profile or root folder lacks."""
    try:
        quality = [Profile(int(p["id"]), str(p["name"])) for p in section.get("quality_profiles") or []]
        metadata = [Profile(int(p["id"]), str(p["name"])) for p in section.get("metadata_profiles") or []]
        roots = [
            RootFolder(
                id=int(r["id"]),
                name=str(r.get("name") or r["path"]),
                path=str(r["path"]),
                default_quality_profile_id=int(r["default_quality_profile_id"]),
                default_metadata_profile_id=int(r["default_metadata_profile_id"]),
            )
            for r in section.get("root_folders") or []
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"bookshelf fixture: a profile or root folder lacks or mistypes {exc}") from exc
    return quality, metadata, roots
