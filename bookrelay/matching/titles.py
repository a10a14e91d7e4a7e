"""Title normalisation for matching (rule M4), the only one; authors are ``authors.py``'s.

Catalogues disagree on what is not the title: subtitles on one side only, series names and numbers
wrapped around the title, edition and format words ("Unabridged", "[Full Cast]", "- A Novel"), accents
and leading articles. This module peels those off into comparable forms; the volume number found on the
way is kept, because two books that differ only by it are different books. It also says what the
catalogue is asked for an item: the exact titles it may be held under, and the ``search`` text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bookrelay.domain.models import SourceItem
from bookrelay.matching.authors import split_authors
from bookrelay.matching.text import NON_WORD, WORD_SAME, fold

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_NUM = r"(?:\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + r")"
_VOL_WORD = r"(?:book|bk\.?|vol(?:ume)?\.?|part|pt\.?|no\.?|number|tome|band|episode)"
_VOL_MARK = rf"(?:{_VOL_WORD}\s*|#\s*)"
_SEP = r"\s*[:\-\u2013\u2014]\s*"

# Edition and format words: never part of a title. Any run of them ("Unabridged Audiobook",
# "Unabridged, Full Cast") in brackets or after a dash or colon is peeled off.
_SUFFIX = (
    r"(?:unabridged|abridged|un-?abridged|dramati[sz]ed(?:\s+adaptation)?|dramati[sz]ation|adaptation"
    r"|full[\s-]cast(?:\s+(?:dramati[sz]ation|production|recording|edition|audio\s*drama))?"
    r"|a\s+novel|a\s+novella|a\s+thriller|a\s+memoir|audio\s*book|audio\s+edition|audio\s+drama"
    r"|audible\s+(?:audio\s+edition|original|edition)|digital\s+audio|mp3|cd"
    r"|radio\s+drama|graphic\s*audio|original\s+recording|(?:special|anniversary|collector'?s)\s+edition"
    r"|(?:un)?abridged\s+edition|\d+(?:st|nd|rd|th)\s+anniversary\s+edition|edition|version|retail)"
)
_SUFFIX_RUN = rf"{_SUFFIX}(?:\s*(?:[,/+&]|\band\b)?\s*{_SUFFIX})*"
_SUFFIX_GROUP = re.compile(rf"\s*[(\[]\s*{_SUFFIX_RUN}\s*[)\]]\s*", re.IGNORECASE)
_SUFFIX_TAIL = re.compile(rf"\s*[:,\-\u2013\u2014]\s*{_SUFFIX_RUN}\s*$", re.IGNORECASE)
# "Killing Floor: A Jack Reacher Novel", "… - An Expanse Novel"
_SERIES_NOVEL_TAIL = re.compile(
    r"\s*[:,\-\u2013\u2014]\s*(?:a|an)\s+.{2,60}?\s+(?:novel|novella|story|mystery|thriller|adventure)\s*$",
    re.IGNORECASE,
)
# "(The Expanse, Book 1)", "[Expanse #1]", "(Book 1)"
_SERIES_GROUP = re.compile(rf"\s*[(\[](?P<series>[^()\[\]]*?)[\s,]*{_VOL_MARK}(?P<num>{_NUM})\s*[)\]]", re.I)
# "The Expanse, Book 1: Leviathan Wakes", "Book 1 - Leviathan Wakes"
_SERIES_PREFIX_MARKED = re.compile(
    rf"^(?P<series>.*?)[\s,]*{_VOL_MARK}(?P<num>{_NUM}){_SEP}(?P<title>.+)$", re.I
)
# "The Expanse 1: Leviathan Wakes": trusted only when the series is known (else "Apollo 13: …" breaks)
_SERIES_PREFIX_BARE = re.compile(rf"^(?P<series>.+?)[\s,]+(?P<num>{_NUM}){_SEP}(?P<title>.+)$", re.I)
# "Leviathan Wakes: Expanse Series, Book 1", "Leviathan Wakes - The Expanse #1"
_SERIES_SUFFIX_MARKED = re.compile(
    rf"^(?P<title>.+?)\s*[:\-\u2013\u2014,]\s*(?P<series>.*?)[\s,]*{_VOL_MARK}(?P<num>{_NUM})$", re.I
)
_SERIES_SUFFIX_BARE = re.compile(
    rf"^(?P<title>.+?)\s*[:\-\u2013\u2014,]\s*(?P<series>.+?)[\s,]+(?P<num>{_NUM})$", re.I
)
_AUTHOR_SEP = re.compile(r"^(?P<head>[^:\-\u2013\u2014]{3,80}?)\s*(?:\s[-\u2013\u2014]|:)\s+(?P<title>.+)$")
_SUBTITLE_SPLIT = re.compile(r"\s*(?::|\s[-\u2013\u2014]\s)\s*")
_ARTICLES = re.compile(r"^(?:the|a|an)\s+")
# Orthography catalogues disagree on: abbreviations against the words, numbers in words against digits.
_SPELLED = {
    "dr": "doctor", "mr": "mister", "mrs": "missus", "st": "saint", "mt": "mount", "ft": "fort",
    "vs": "versus", "jr": "junior", "sr": "senior",
    **{word: str(n) for word, n in _NUMBER_WORDS.items()},
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000",
}  # fmt: skip
# A track or chapter number before the title ("01 - Title", "Track 3 - Title", "2. Title").
_TRACK_PREFIX = re.compile(
    r"^(?:track|chapter|part|disc|cd)?\s*\d{1,3}\s*(?:[.)]|\s[-\u2013\u2014:]|[-\u2013\u2014:])\s*(?P<title>\D.+)$",
    re.IGNORECASE,
)
_SERIES_WORD = re.compile(r"\b(?:series|saga|trilogy|cycle|chronicles|sequence)\b")


_PLACEHOLDER_WORDS = frozenset(
    {"track", "part", "chapter", "disc", "disk", "cd", "audiobook", "unknown", "untitled", "title", "file"}
)


def is_placeholder(title: str | None) -> bool:
    """Whether a title names no book: empty, or only track/part/chapter words and numbers ("Track 01")."""
    words = fold(title).split()
    return all(w.isdigit() or w in _PLACEHOLDER_WORDS for w in words)


def canonical(folded: str) -> str:
    """A folded title in one spelling: "dr" → "doctor", "seven" → "7", "twenty two" → "22" (M4)."""
    words = [str(int(w)) if w.isdigit() and len(w) < 6 else _SPELLED.get(w, w) for w in folded.split()]
    out: list[str] = []
    for word in words:
        # "twenty two" → "22": a tens word followed by a unit.
        if out and word.isdigit() and len(word) == 1 and out[-1] in {"20", "30", "40", "50"}:
            out[-1] = str(int(out[-1]) + int(word))
            continue
        out.append(word)
    return " ".join(out)


def strip_track_number(title: str) -> str:
    """The title without a track or chapter number before it ("01 - Title" → "Title")."""
    found = _TRACK_PREFIX.match(title.strip())
    return found["title"].strip() if found else title.strip()


def squashed(folded: str) -> str:
    """A folded title without spaces: "fire born" and "fireborn" (and "fire-born") are one compound."""
    return folded.replace(" ", "")


def strip_author_prefix(title: str, authors: Iterable[str]) -> str | None:
    """The title without an author's name written before a dash or colon ("Jane Roe - Title": a folder
    name), or None when it has none."""
    found = _AUTHOR_SEP.match(title)
    if not found or not found["title"].strip():
        return None
    prefix = fold(found["head"])
    for author in authors:
        name = fold(author)  # "Last, First" folds to "last first": written so, it matches so
        if prefix and prefix == name:
            return found["title"].strip()
    return None


def _number(raw: str) -> str:
    word = _NUMBER_WORDS.get(raw.casefold())
    value = float(word) if word is not None else float(raw)
    return str(int(value)) if value.is_integer() else str(value)


def _series_key(name: str) -> str:
    """A series name without articles and generic words ("The Expanse Series" → "expanse")."""
    return _ARTICLES.sub("", _SERIES_WORD.sub(" ", fold(name))).strip()


def names_series(title: str, series_name: str) -> bool:
    """Whether a title is only its series' name ("The Expanse" for a book of The Expanse)."""
    return _is_known_series(_strip_suffixes(title), [_series_key(series_name)])


def same_position(a: str, b: str) -> bool:
    """Whether two series positions are one volume ("6" and "6.0"); unreadable ones never are."""
    try:
        return _number(a) == _number(b)
    except ValueError:
        return False


def _is_known_series(text: str, known: Sequence[str]) -> bool:
    key = _series_key(text)
    return bool(key) and any(fuzz.ratio(key, k) >= 85 for k in known if k)


@dataclass(frozen=True, slots=True)
class TitleForm:
    """One reading of a title: folded full form, folded main part, and the volume found around it."""

    full: str
    main: str
    has_subtitle: bool
    volume: str | None = None
    series: str | None = None  # folded series name the volume belongs to, when the title named one


@dataclass(frozen=True, slots=True)
class Volume:
    """A volume number and, when known, the (folded) series it numbers."""

    number: str
    series: str | None = None


def _strip_suffixes(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        stripped = _SUFFIX_GROUP.sub(" ", text).strip()
        stripped = _SUFFIX_TAIL.sub("", stripped).strip()
        # A title made of edition words only ("Abridged", "Edition") is a title, not a suffix.
        if not NON_WORD.sub("", stripped):
            return text
        text = stripped
    return text


def strip_edition_words(title: str) -> str:
    """The title without edition and format words in brackets or after a dash or colon (M4):
    "Dune (Unabridged) [Full Cast]" → "Dune", "Dune - Unabridged Audiobook" → "Dune"."""
    return _strip_suffixes(title.strip())


def _unwrap_series(text: str, known: Sequence[str]) -> list[tuple[str, str | None, str | None]]:
    """Readings of ``text`` as (title, volume, series): as written, and with a series wrapper removed."""
    readings: list[tuple[str, str | None, str | None]] = [(text, None, None)]
    group = _SERIES_GROUP.search(text)
    if group:
        rest = (text[: group.start()] + " " + text[group.end() :]).strip()
        readings.append((rest, _number(group["num"]), _series_key(group["series"]) or None))
    for pattern in (_SERIES_PREFIX_MARKED, _SERIES_SUFFIX_MARKED):
        found = pattern.match(text)
        if found and found["title"].strip():
            readings.append(
                (found["title"].strip(), _number(found["num"]), _series_key(found["series"]) or None)
            )
    for pattern in (_SERIES_PREFIX_BARE, _SERIES_SUFFIX_BARE):
        found = pattern.match(text)
        if found and _is_known_series(found["series"], known):
            readings.append((found["title"].strip(), _number(found["num"]), _series_key(found["series"])))
    if (untracked := strip_track_number(text)) != text.strip():
        readings.append((untracked, None, None))
    novel_tail = _SERIES_NOVEL_TAIL.search(text)
    if novel_tail:
        readings.append((text[: novel_tail.start()].strip(), None, None))
    # A bare parenthesised series name without a number: "Guards! Guards! (Discworld)".
    for paren in re.finditer(r"\s*\(([^()]+)\)", text):
        if _is_known_series(paren.group(1), known):
            readings.append(((text[: paren.start()] + text[paren.end() :]).strip(), None, None))
    return readings


def title_forms(
    title: str, subtitle: str | None = None, series_names: Iterable[str] = (), *, spelled: bool = True
) -> list[TitleForm]:
    """Every comparable reading of a title (series wrappers, suffixes and the subtitle peeled off), in
    one spelling (:func:`canonical`) unless ``spelled`` is false (a search wants the words as written)."""
    canon = canonical if spelled else (lambda text: text)
    known = [_series_key(name) for name in series_names]
    forms: list[TitleForm] = []
    cleaned_subtitle = _strip_suffixes(subtitle or "")
    for text, volume, series in _unwrap_series(_strip_suffixes(title), known):
        text = _strip_suffixes(text)
        parts = _SUBTITLE_SPLIT.split(text, maxsplit=1)
        main = parts[0]
        sub = parts[1] if len(parts) > 1 else ""
        if cleaned_subtitle and not sub:
            sub = cleaned_subtitle
        # A subtitle that only repeats the series ("…: The Expanse") is not a subtitle.
        if sub and _is_known_series(sub, known):
            sub = ""
        main_folded = canon(_ARTICLES.sub("", fold(main)))
        full_folded = " ".join(x for x in (main_folded, canon(fold(sub))) if x)
        if main_folded:
            forms.append(TitleForm(full_folded, main_folded, bool(fold(sub)), volume, series))
    return list(dict.fromkeys(forms))


def _ratio(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if squashed(a) == squashed(b):
        return 1.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100.0


def form_similarity(a: TitleForm, b: TitleForm) -> float:
    """0..1 similarity of two title forms; a subtitle present on one side only is ignored."""
    best = _ratio(a.full, b.full)
    if a.has_subtitle and not b.has_subtitle:
        best = max(best, _ratio(a.main, b.full))
    if b.has_subtitle and not a.has_subtitle:
        best = max(best, _ratio(a.full, b.main))
    return best


_MINOR_WORDS = frozenset(
    {
        "a", "an", "the", "of", "and", "or", "to", "in", "on", "for", "at", "by", "with", "from", "into",
        "de", "la", "le", "les", "el", "los", "der", "die", "das", "und", "et", "y",
    }
)  # fmt: skip


def _content_words(text: str) -> set[str]:
    # Numbers count: "7 kings" and "8 kings" are other books ("seven" is "7" by now, see canonical).
    return {w for w in re.findall(r"[^\W_]+", text) if w not in _MINOR_WORDS}


def words_disagree(a: str, b: str) -> bool:
    """True when each folded title has a word the other lacks ("children of memory" vs "children of
    time"): another book, however close the letters; a word missing on one side only is not enough."""
    if squashed(a) == squashed(b):
        return False  # "fire born" and "fireborn": one compound written two ways
    wa, wb = _content_words(a), _content_words(b)
    only_a = [w for w in wa if not any(fuzz.ratio(w, v) >= WORD_SAME for v in wb)]
    only_b = [w for w in wb if not any(fuzz.ratio(w, v) >= WORD_SAME for v in wa)]
    return bool(only_a) and bool(only_b)


def forms_disagree(a: TitleForm, b: TitleForm) -> bool:
    """Whether two forms name different books by their words, in every comparable reading of them."""
    pairs = [(a.full, b.full), (a.main, b.main), (a.main, b.full), (a.full, b.main)]
    return all(words_disagree(x, y) for x, y in pairs if x and y)


def best_title_match(
    a: Sequence[TitleForm], b: Sequence[TitleForm]
) -> tuple[float, TitleForm | None, TitleForm | None]:
    """The best similarity over all pairs of forms, with the pair that produced it."""
    best: tuple[float, TitleForm | None, TitleForm | None] = (0.0, None, None)
    for x in a:
        for y in b:
            value = form_similarity(x, y)
            if value > best[0]:
                best = (value, x, y)
    return best


def volumes_of(forms: Iterable[TitleForm], series: Iterable[tuple[str, str | None]]) -> list[Volume]:
    """Volume numbers named by title forms and by (series name, position) pairs."""
    found = [Volume(f.volume, f.series) for f in forms if f.volume is not None]
    for name, position in series:
        if position:
            try:
                found.append(Volume(_number(position), _series_key(name) or None))
            except ValueError:
                continue  # positions like "1-3" (omnibus) number nothing we can compare
    return list(dict.fromkeys(found))


def volumes_disagree(a: Sequence[Volume], b: Sequence[Volume]) -> bool:
    """True when both sides number the same series (or an unnamed one) and no such pair agrees."""
    comparable = [
        (x, y)
        for x in a
        for y in b
        if x.series is None or y.series is None or fuzz.ratio(x.series, y.series) >= 85
    ]
    return bool(comparable) and not any(x.number == y.number for x, y in comparable)


# For the exact-title lookup only: anything up to a number and a colon or dash is a series prefix
# ("Expanse 1: Leviathan Wakes"). Looser than the score's readings above, and harmless here: a variant
# that names no book finds none.
_LOOKUP_SERIES_PREFIX = re.compile(
    r"^.{1,80}?\b(?:book|vol\.?|volume|#)?\s*\d+(?:\.\d+)?\s*[:\-\u2013]\s+", re.IGNORECASE
)
_TRAILING_NOTE = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*$")


def title_variants(item: SourceItem) -> list[str]:
    """Exact titles a catalogue may hold the item under (M4): as given, without subtitle, series prefix
    or a trailing note in brackets, and with its subtitle joined."""
    title = item.title.strip()
    variants = [title]
    if item.subtitle:
        variants.append(f"{title}: {item.subtitle.strip()}")
    head, sep, tail = title.partition(":")
    if sep:
        variants.extend([head.strip(), tail.strip()])
    variants.append(_TRAILING_NOTE.sub("", title))
    variants.append(strip_edition_words(title))
    variants.append(_LOOKUP_SERIES_PREFIX.sub("", title))
    variants.append(strip_track_number(title))
    variants.append(strip_author_prefix(title, split_authors(item.authors)) or title)
    return [v for v in dict.fromkeys(variants) if len(v) >= 2]


def search_query(item: SourceItem) -> str:
    """The ``search`` text for an item (M4): its title without subtitle and series noise, and its first
    author; the words as the item writes them."""
    authors = split_authors(item.authors)
    # A folder name "Author - Title" searches for the title; a track number is no title.
    written = strip_author_prefix(item.title, authors) or item.title
    series = [s.name for s in item.series]
    forms = [
        f.main
        for f in title_forms(written, item.subtitle, series, spelled=False)
        if f.main and not is_placeholder(f.main)
    ]
    title = min(forms, key=len) if forms else written
    author = authors[0] if authors else ""
    return f"{title} {author}".strip()
