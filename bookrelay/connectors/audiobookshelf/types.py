"""Wire shapes of the Audiobookshelf API calls bookrelay makes (ref/audiobookshelf.md §1 to §9).

``total=False`` everywhere: servers from 2.17 to 2.36 differ in which keys they send (minified vs
expanded items, ``accessToken`` only from 2.26), so the mapper checks what is really there.
"""

from __future__ import annotations

from typing import TypedDict


class AbsMediaProgress(TypedDict, total=False):
    """A MediaProgress object (``/api/me`` ``mediaProgress[]``, ``/api/me/progress/:id``)."""

    id: str
    userId: str
    libraryItemId: str
    episodeId: str | None
    mediaItemId: str
    mediaItemType: str  # "book" | "podcastEpisode"
    duration: float
    progress: float
    currentTime: float
    isFinished: bool
    hideFromContinueListening: bool
    ebookLocation: str | None
    ebookProgress: float
    lastUpdate: int
    startedAt: int
    finishedAt: int | None


class AbsUser(TypedDict, total=False):
    """``GET /api/me`` and ``/login``'s ``user``; tokens are secrets."""

    id: str
    username: str
    type: str
    token: str
    accessToken: str
    refreshToken: str | None
    isActive: bool
    mediaProgress: list[AbsMediaProgress]


class AbsLibrary(TypedDict, total=False):
    """One library of ``GET /api/libraries``."""

    id: str
    name: str
    mediaType: str  # "book" | "podcast"
    displayOrder: int


class AbsAuthor(TypedDict, total=False):
    id: str
    name: str


class AbsSeries(TypedDict, total=False):
    id: str
    name: str
    sequence: str | None


class AbsBookMetadata(TypedDict, total=False):
    """Book metadata: minified (``authorName`` strings) or expanded (``authors`` arrays), or both."""

    title: str
    subtitle: str | None
    authors: list[AbsAuthor]
    narrators: list[str]
    series: list[AbsSeries]
    authorName: str
    narratorName: str
    seriesName: str
    genres: list[str]
    publishedYear: str | None
    publishedDate: str | None
    publisher: str | None
    description: str | None
    isbn: str | None
    asin: str | None
    language: str | None
    abridged: bool


class AbsAudioFile(TypedDict, total=False):
    index: int
    ino: str
    duration: float
    metaTags: dict[str, str]


class AbsEbookFile(TypedDict, total=False):
    ino: str
    ebookFormat: str


class AbsMedia(TypedDict, total=False):
    id: str
    metadata: AbsBookMetadata
    duration: float
    numAudioFiles: int
    numTracks: int
    ebookFormat: str
    audioFiles: list[AbsAudioFile]
    ebookFile: AbsEbookFile | None


class AbsLibraryItem(TypedDict, total=False):
    """A library item, minified (lists) or expanded (``/api/items/:id?expanded=1``, batch/get)."""

    id: str
    oldLibraryItemId: str | None
    libraryId: str
    mediaType: str  # "book" | "podcast"
    addedAt: int
    updatedAt: int
    media: AbsMedia
    userMediaProgress: AbsMediaProgress | None
    progressLastUpdate: int


class AbsProgressPayload(TypedDict, total=False):
    """The body of ``PATCH /api/me/progress/:id``; leave ``isFinished`` out to set ``progress`` (ref §8.7)."""

    duration: float
    currentTime: float
    progress: float
    isFinished: bool
    ebookLocation: str
    ebookProgress: float
    finishedAt: int
    lastUpdate: int
    hideFromContinueListening: bool
    markAsFinishedTimeRemaining: float


class AbsUpdateMediaResponse(TypedDict, total=False):
    """``PATCH /api/items/:id/media``."""

    updated: bool
    libraryItem: AbsLibraryItem
