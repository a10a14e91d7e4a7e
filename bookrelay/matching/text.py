"""Text folded for comparison, shared by titles and author names (M4): one case, no accents, no
punctuation, so that catalogues' spellings meet."""

from __future__ import annotations

import re
import unicodedata

WORD_SAME = 85  # rapidfuzz ratio at which two words are the same word (plurals, spelling, typos)
NON_WORD = re.compile(r"[^\w]+|_")
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
# Letters NFKD does not split into base + accent.
_UNDECOMPOSABLE = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe", "ß": "ss", "þ": "th", "\u0131": "i"}
)


def fold(text: str | None) -> str:
    """Lower-case, accent-free words separated by single spaces; punctuation removed (apostrophes joined)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    lowered = stripped.casefold().replace("&", " and ").translate(_UNDECOMPOSABLE)
    lowered = _APOSTROPHES.sub("", lowered)
    return " ".join(NON_WORD.sub(" ", lowered).split())
