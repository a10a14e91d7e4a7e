"""The differential check's own parts, without a server: shapes, their differences, the listed entries,
and the one-line skip when the machine lacks what the real server needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.real_abs.server import missing_tools
from tests.real_abs.shapes import differences, shape
from tests.real_abs.test_differential import covers, listed_differences


def test_differences_name_missing_keys_types_and_nulls() -> None:
    real = shape({"a": 1, "b": "x", "c": None, "items": [{"id": "1", "n": 2.5}, {"id": "2", "n": 3}]})
    fake = shape({"a": 1.5, "b": None, "d": True, "items": [{"id": "1", "n": "3"}]})
    assert differences(real, fake) == [
        ("b", "real str, fake null"),
        ("c", "missing in the fake (real: null)"),
        ("d", "only in the fake (bool)"),
        ("items[].n", "real number, fake str"),  # ints and floats are one JSON number: "a" agrees
    ]
    assert differences(real, real) == []


def test_meta_tags_are_compared_as_a_map_of_strings() -> None:
    real = shape({"metaTags": {"tagEncoder": "Lavf"}})
    assert differences(real, shape({"metaTags": {"tagTitle": "A", "tagArtist": "B"}})) == []
    assert differences(real, shape({"metaTags": {"tagTitle": 1}})) == [
        ("metaTags.*", "real str, fake number")
    ]


def test_a_listed_path_covers_what_is_under_it_and_nothing_else() -> None:
    entry = ("GET /api/items/:id ?expanded", "media.episodes[]")
    assert covers(entry, ("GET /api/items/:id ?expanded", "media.episodes[].guid"))
    assert covers(entry, ("GET /api/items/:id ?expanded", "media.episodes[]"))
    assert not covers(entry, ("GET /api/items/:id ?expanded", "media.episodesCount"))
    assert not covers(entry, ("GET /api/items/:id", "media.episodes[].guid"))
    assert ("POST /login", "serverSettings") in listed_differences()  # the doc's list is read


def test_missing_tools_names_node_and_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without node or ffmpeg
    assert missing_tools() == ["node", "ffmpeg", "ffprobe"]
