"""The files of a fake ABS item as ABS 2.36 lists them (ref/audiobookshelf.md §3): its folder, the audio
file with its tags, the ebook file, and the library files (audio, ebook and ``metadata.json``)."""

from __future__ import annotations

from typing import Any

from bookrelay.sandbox.audiobookshelf.fixture import ItemRec


def author_name(item: ItemRec) -> str:
    """The item's authors in one string, as ABS's ``authorName``."""
    return ", ".join(item.metadata["authors"])


def rel_dir(item: ItemRec) -> str:
    """The item's folder under the library folder: author, then title."""
    owner = (item.metadata.get("author") or "") if item.media_type == "podcast" else author_name(item)
    return f"{owner}/{item.metadata['title']}".lstrip("/")


def _file_meta(item: ItemRec, filename: str, size: int) -> dict[str, Any]:
    return {
        "filename": filename,
        "ext": "." + filename.rsplit(".", 1)[-1],
        "path": f"/media/{rel_dir(item)}/{filename}",
        "relPath": filename,
        "size": size,
        "mtimeMs": item.added_at,
        "ctimeMs": item.added_at,
        "birthtimeMs": item.added_at,
    }


def audio_files(item: ItemRec) -> list[dict[str, Any]]:
    """The audio file of a book with audio (one ``.m4b``), with the tags ABS read from it."""
    if item.media_type != "book" or not item.has_audio:
        return []
    m = item.metadata
    tags = {"tagAlbum": m["title"], "tagArtist": author_name(item) or None, "tagTitle": m["title"]}
    tags["tagComposer"] = ", ".join(m["narrators"]) or None
    tags.update(item.meta_tags)
    return [
        {
            "index": 1,
            "ino": str(int(item.ino) + 500_000),
            "metadata": _file_meta(item, "audio.m4b", item.size),
            "addedAt": item.added_at,
            "updatedAt": item.added_at,
            "trackNumFromMeta": None,
            "discNumFromMeta": None,
            "trackNumFromFilename": None,
            "discNumFromFilename": None,
            "manuallyVerified": False,
            "exclude": False,
            "error": None,
            "format": "QuickTime / MOV",
            "duration": item.duration,
            "bitRate": 64000,
            "language": None,
            "codec": "aac",
            "timeBase": "1/44100",
            "channels": 2,
            "channelLayout": "stereo",
            "chapters": [],
            "embeddedCoverArt": None,
            # only non-null tags are present on the real server
            "metaTags": {k: v for k, v in tags.items() if v is not None},
            "mimeType": "audio/mp4",
        }
    ]


def ebook_file(item: ItemRec) -> dict[str, Any] | None:
    """The ebook file of an item that has one."""
    if not item.ebook_format:
        return None
    return {
        "ino": str(int(item.ino) + 700_000),
        "metadata": _file_meta(item, f"book.{item.ebook_format}", 300_000),
        "ebookFormat": item.ebook_format,
        "addedAt": item.added_at,
        "updatedAt": item.added_at,
    }


def library_files(item: ItemRec) -> list[dict[str, Any]]:
    """Every file of the item's folder: audio, ebook, and the ``metadata.json`` ABS writes."""
    files = [
        {
            "ino": a["ino"],
            "metadata": a["metadata"],
            "isSupplementary": None,
            "addedAt": item.added_at,
            "updatedAt": item.added_at,
            "fileType": "audio",
        }
        for a in audio_files(item)
    ]
    ebook = ebook_file(item)
    if ebook:
        files.append(
            {
                **{k: ebook[k] for k in ("ino", "metadata", "addedAt", "updatedAt")},
                "isSupplementary": False,
                "fileType": "ebook",
            }
        )
    files.append(
        {
            "ino": str(int(item.ino) + 900_000),
            "metadata": _file_meta(item, "metadata.json", 400),
            "isSupplementary": None,
            "addedAt": item.added_at,
            "updatedAt": item.added_at,
            "fileType": "metadata",
        }
    )
    return files
