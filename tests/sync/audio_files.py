"""Real, tiny audio files for tag tests: a valid container with a stated duration, tagged with mutagen.

No audio is encoded (ffmpeg is not needed): FLAC needs only its STREAMINFO block, MP3 one frame with a
Xing header giving the frame count, MP4 a ``moov`` with a sound track's ``mdhd``. mutagen reads the
duration from exactly those places, as it does for files a real encoder wrote.
"""

from __future__ import annotations

import struct
from pathlib import Path

from mutagen.flac import FLAC
from mutagen.id3 import ID3, TXXX
from mutagen.mp4 import MP4, MP4FreeForm


def flac_file(path: Path, seconds: int, tags: dict[str, str], rate: int = 8000) -> Path:
    """A FLAC stream of ``seconds`` with Vorbis comments ``tags`` (e.g. {"ISBN": "978…"})."""
    samples = seconds * rate
    # STREAMINFO: block sizes, frame sizes, then rate (20 bits) | channels-1 (3) | bps-1 (5) | samples (36)
    packed = (rate << 44) | (0 << 41) | (15 << 36) | samples
    info = struct.pack(">HH", 4096, 4096) + b"\x00" * 6 + packed.to_bytes(8, "big") + b"\x00" * 16
    path.write_bytes(b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info)
    audio = FLAC(path)
    for key, value in tags.items():
        audio[key] = value
    audio.save()
    return path


def mp3_file(path: Path, seconds: int, tags: dict[str, str]) -> Path:
    """An MPEG-1 Layer III file (128 kbps, 44.1 kHz) of ``seconds`` with ID3 TXXX frames ``tags``."""
    header = bytes([0xFF, 0xFB, 0x90, 0x00])
    first = bytearray(417)
    first[:4] = header
    first[36:44] = b"Xing" + struct.pack(">I", 1)  # the frame-count field is present
    first[44:48] = struct.pack(">I", round(seconds * 44100 / 1152))
    other = bytearray(417)
    other[:4] = header
    path.write_bytes(bytes(first) + bytes(other) * 3)
    id3 = ID3()
    for key, value in tags.items():
        id3.add(TXXX(encoding=3, desc=key, text=[value]))
    id3.save(path)
    return path


def _atom(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_file(path: Path, seconds: int, tags: dict[str, str], brand: bytes = b"M4B ") -> Path:
    """An MP4 audio file (``M4B `` or ``M4A `` brand) of ``seconds`` with iTunes freeform tags ``tags``."""
    rate = 44100
    ftyp = _atom(b"ftyp", brand + struct.pack(">I", 0) + brand + b"mp42isom")
    mvhd = _atom(b"mvhd", struct.pack(">B3xIIII", 0, 0, 0, 1000, seconds * 1000) + b"\x00" * 80)
    mdhd = _atom(b"mdhd", struct.pack(">B3xIIIIHH", 0, 0, 0, rate, seconds * rate, 0x55C4, 0))
    hdlr = _atom(b"hdlr", struct.pack(">B3xI", 0, 0) + b"soun" + b"\x00" * 12 + b"SoundHandler\x00")
    moov = _atom(b"moov", mvhd + _atom(b"trak", _atom(b"mdia", mdhd + hdlr)))
    path.write_bytes(ftyp + moov + _atom(b"mdat", b""))
    audio = MP4(path)
    for key, value in tags.items():
        audio[f"----:com.apple.iTunes:{key}"] = [MP4FreeForm(value.encode())]
    audio.save()
    return path
