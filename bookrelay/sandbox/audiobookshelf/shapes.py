"""The JSON the fake ABS answers with, shaped like ABS 2.36 (ref/audiobookshelf.md §2, §3, §6, §9).

Pure functions from the fake's records to dicts. The minified form has only the ``authorName`` /
``narratorName`` / ``seriesName`` strings; the expanded form is a strict superset with the arrays.
"""

from __future__ import annotations

from typing import Any

from bookrelay.sandbox.audiobookshelf.files import (
    audio_files,
    author_name,
    ebook_file,
    library_files,
    rel_dir,
)
from bookrelay.sandbox.audiobookshelf.fixture import (
    BASE_TIME_MS,
    ItemRec,
    LibraryRec,
    ProgressRec,
    UserRec,
    derived_id,
)

_PREFIXES = ("the ", "a ", "an ")
SERVER_SETTINGS = {
    "id": "server-settings",
    "version": "2.36.0",
    "authActiveAuthMethods": ["local"],
    "scannerFindCovers": False,
    "language": "en-us",
}
_PERMISSIONS = {
    "download": True,
    "update": True,
    "delete": True,
    "upload": True,
    "createEreader": True,
    "accessAllLibraries": True,
    "accessAllTags": True,
    "accessExplicitContent": True,
    "selectedTagsNotAccessible": False,
}


def title_ignore_prefix(title: str) -> str:
    """ABS's sort title: a leading article moves to the end ("The Martian" → "Martian, The")."""
    lowered = title.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            return f"{title[len(prefix) :]}, {title[: len(prefix) - 1]}"
    return title


def _last_first(name: str) -> str:
    parts = name.rsplit(" ", 1)
    return f"{parts[1]}, {parts[0]}" if len(parts) == 2 else name


def _series_name(series: list[dict[str, Any]]) -> str:
    return ", ".join(f"{s['name']} #{s['sequence']}" if s["sequence"] else s["name"] for s in series)


def progress_json(p: ProgressRec) -> dict[str, Any]:
    """A MediaProgress object (``getOldMediaProgress``)."""
    return {
        "id": p.id,
        "userId": p.user_id,
        "libraryItemId": p.library_item_id,
        "episodeId": p.episode_id,
        "mediaItemId": p.media_item_id,
        "mediaItemType": "podcastEpisode" if p.episode_id else "book",
        "duration": p.duration,
        "progress": p.progress,
        "currentTime": p.current_time,
        "isFinished": p.is_finished,
        "hideFromContinueListening": p.hide_from_continue_listening,
        "ebookLocation": p.ebook_location,
        "ebookProgress": p.ebook_progress,
        "lastUpdate": p.last_update,
        "startedAt": p.started_at,
        "finishedAt": p.finished_at,
    }


def user_json(user: UserRec, progress: list[ProgressRec]) -> dict[str, Any]:
    """The user object of ``/api/me`` and ``/login`` (``toOldJSONForBrowser``), with all progress."""
    return {
        "id": user.id,
        "username": user.username,
        "email": None,
        "type": user.type,
        "token": user.legacy_token,
        "mediaProgress": [progress_json(p) for p in progress],
        "seriesHideFromContinueListening": [],
        "bookmarks": [],
        "isActive": user.is_active,
        "isLocked": False,
        "lastSeen": None,
        "createdAt": user.created_at,
        "permissions": permissions_for(user.type),
        "librariesAccessible": [],
        "itemTagsSelected": [],
        "hasOpenIDLink": False,
    }


def permissions_for(user_type: str) -> dict[str, Any]:
    """A user's permissions as ABS defaults them by type (``User.getDefaultPermissionsForUserType``)."""
    admin = user_type in ("root", "admin")
    return {
        **_PERMISSIONS,
        "update": admin,
        "delete": user_type == "root",
        "upload": admin,
        "createEreader": admin,
        "accessExplicitContent": admin,
    }


_BOOK_SETTINGS: dict[str, Any] = {
    "coverAspectRatio": 1,
    "disableWatcher": False,
    "autoScanCronExpression": None,
    "skipMatchingMediaWithAsin": False,
    "skipMatchingMediaWithIsbn": False,
    "audiobooksOnly": False,
    "epubsAllowScriptedContent": False,
    "hideSingleBookSeries": False,
    "onlyShowLaterBooksInContinueSeries": False,
    "metadataPrecedence": [
        "folderStructure",
        "audioMetatags",
        "nfoFile",
        "txtFiles",
        "opfFile",
        "absMetadata",
    ],
    "markAsFinishedPercentComplete": None,
    "markAsFinishedTimeRemaining": 10,
}
# A podcast library's settings have none of the book keys (seen on the real 2.36 server).
_PODCAST_SETTINGS: dict[str, Any] = {
    "coverAspectRatio": 1,
    "disableWatcher": False,
    "autoScanCronExpression": None,
    "podcastSearchRegion": "us",
    "markAsFinishedPercentComplete": None,
    "markAsFinishedTimeRemaining": 10,
}
# What a podcast's media carries besides its episodes (real 2.36: minified, toOldJSON and expanded alike).
_PODCAST_MEDIA: dict[str, Any] = {
    "autoDownloadEpisodes": False,
    "autoDownloadSchedule": "0 * * * *",
    "lastEpisodeCheck": None,
    "maxEpisodesToKeep": 0,
    "maxNewEpisodesToDownload": 3,
}


def library_json(lib: LibraryRec, last_scan: int | None = None) -> dict[str, Any]:
    """A library (``Library.toOldJSON``); ``last_scan`` is when its items were scanned (None: never)."""
    return {
        "id": lib.id,
        "name": lib.name,
        "folders": [
            {
                "id": lib.folder_id,
                "fullPath": f"/{lib.name.lower()}",
                "libraryId": lib.id,
                "addedAt": lib.created_at,
            }
        ],
        "displayOrder": lib.display_order,
        "icon": "database" if lib.media_type == "book" else "podcast",
        "mediaType": lib.media_type,
        "provider": "google" if lib.media_type == "book" else "itunes",
        "settings": _BOOK_SETTINGS if lib.media_type == "book" else _PODCAST_SETTINGS,
        # A library with items has been scanned (by the server that made them).
        "lastScan": last_scan,
        "lastScanVersion": None if last_scan is None else "2.36.0",
        "createdAt": lib.created_at,
        "lastUpdate": lib.created_at,
    }


def _minified_metadata(item: ItemRec) -> dict[str, Any]:
    m = item.metadata
    if item.media_type == "podcast":
        return {**_podcast_metadata(item), "titleIgnorePrefix": title_ignore_prefix(m["title"])}
    return {
        "title": m["title"],
        "titleIgnorePrefix": title_ignore_prefix(m["title"]),
        "subtitle": m["subtitle"],
        "authorName": author_name(item),
        "authorNameLF": ", ".join(_last_first(a) for a in m["authors"]),
        "narratorName": ", ".join(m["narrators"]),
        "seriesName": _series_name(m["series"]),
        "genres": list(m["genres"]),
        "publishedYear": m["publishedYear"],
        "publishedDate": m["publishedDate"],
        "publisher": m["publisher"],
        "description": m["description"],
        "isbn": m["isbn"],
        "asin": m["asin"],
        "language": m["language"],
        "explicit": m["explicit"],
        "abridged": m["abridged"],
    }


def _full_metadata(item: ItemRec) -> dict[str, Any]:
    m = item.metadata
    if item.media_type == "podcast":
        return _podcast_metadata(item)
    return {
        "title": m["title"],
        "subtitle": m["subtitle"],
        "authors": [{"id": _author_id(a), "name": a} for a in m["authors"]],
        "narrators": list(m["narrators"]),
        "series": [dict(s) for s in m["series"]],
        "genres": list(m["genres"]),
        "publishedYear": m["publishedYear"],
        "publishedDate": m["publishedDate"],
        "publisher": m["publisher"],
        "description": m["description"],
        "isbn": m["isbn"],
        "asin": m["asin"],
        "language": m["language"],
        "explicit": m["explicit"],
        "abridged": m["abridged"],
    }


def _author_id(name: str) -> str:
    return derived_id("author", name)


def _podcast_metadata(item: ItemRec) -> dict[str, Any]:
    return {
        "title": item.metadata["title"],
        "author": item.metadata.get("author"),
        "description": None,
        "releaseDate": None,
        "genres": [],
        "feedUrl": None,
        "imageUrl": None,
        "itunesPageUrl": None,
        "itunesId": None,
        "itunesArtistId": None,
        "explicit": False,
        "language": None,
        "type": "episodic",
    }


def minified_item(item: ItemRec) -> dict[str, Any]:
    """``LibraryItem.toOldJSONMinified``: the list and in-progress shape."""
    media: dict[str, Any] = {
        "id": item.media_id,
        "metadata": _minified_metadata(item),
        "coverPath": None,
        "tags": [],
    }
    if item.media_type == "book":
        n_audio = 1 if item.has_audio else 0
        media.update(
            numTracks=n_audio, numAudioFiles=n_audio, numChapters=0, duration=item.duration, size=item.size
        )
        if item.ebook_format:
            media["ebookFormat"] = item.ebook_format
    else:
        media.update(numEpisodes=len(item.episodes), **_PODCAST_MEDIA, size=item.size)
    rel = rel_dir(item)
    return {
        "id": item.id,
        "ino": item.ino,
        "oldLibraryItemId": item.old_id,
        "libraryId": item.library_id,
        "folderId": item.folder_id,
        "path": f"/media/{rel}",
        "relPath": rel,
        "isFile": False,
        "mtimeMs": item.added_at,
        "ctimeMs": item.added_at,
        "birthtimeMs": item.added_at,
        "addedAt": item.added_at,
        "updatedAt": item.updated_at,
        "isMissing": False,
        "isInvalid": False,
        "mediaType": item.media_type,
        "media": media,
        "numFiles": len(audio_files(item)) + (1 if item.ebook_format else 0) + 1,
        "size": item.size,
    }


def old_item(item: ItemRec) -> dict[str, Any]:
    """``LibraryItem.toOldJSON`` (``GET /api/items/:id`` without ``expanded``)."""
    base = minified_item(item)
    del base["numFiles"], base["size"]  # only the minified and expanded forms carry them (real 2.36)
    base["media"] = {
        "id": item.media_id,
        "libraryItemId": item.id,
        "metadata": _full_metadata(item),
        "coverPath": None,
        "tags": [],
    }
    if item.media_type == "podcast":
        base["media"].update(episodes=_episodes(item), **_PODCAST_MEDIA)
    else:
        base["media"].update(audioFiles=audio_files(item), chapters=[], ebookFile=ebook_file(item))
    base.update(lastScan=item.added_at, scanVersion="2.36.0", libraryFiles=library_files(item))
    return base


def expanded_item(item: ItemRec) -> dict[str, Any]:
    """``LibraryItem.toOldJSONExpanded``: the minified form plus arrays, files and tracks."""
    base = minified_item(item)
    media = base["media"]
    if item.media_type == "podcast":  # no files, tracks or descriptionPlain on a podcast (real 2.36)
        media.update(libraryItemId=item.id, metadata=_minified_metadata(item), episodes=_episodes(item))
        base.update(lastScan=item.added_at, scanVersion="2.36.0", libraryFiles=library_files(item))
        return base
    media["metadata"] = {**_full_metadata(item), **_minified_metadata(item)}
    media["metadata"]["descriptionPlain"] = item.metadata["description"]
    audio = audio_files(item)
    media.update(libraryItemId=item.id, audioFiles=audio, chapters=[], ebookFile=ebook_file(item))
    media["tracks"] = [
        {
            **a,
            "title": a["metadata"]["filename"],
            "startOffset": 0,
            "contentUrl": f"/api/items/{item.id}/file/{a['ino']}",
        }
        for a in audio
    ]
    base.update(lastScan=item.added_at, scanVersion="2.36.0", libraryFiles=library_files(item))
    return base


def _episodes(item: ItemRec) -> list[dict[str, Any]]:
    return [
        {
            "libraryItemId": item.id,
            "podcastId": item.media_id,
            "id": ep.id,
            "index": ep.index,
            "season": "",
            "episode": str(ep.index),
            "episodeType": "full",
            "title": ep.title,
            "subtitle": None,
            "description": None,
            "pubDate": None,
            "publishedAt": BASE_TIME_MS,
            "addedAt": item.added_at,
            "updatedAt": item.added_at,
            "duration": ep.duration,
            "size": int(ep.duration * 4000),
        }
        for ep in item.episodes
    ]
