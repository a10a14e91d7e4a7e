"""Author names for fuzzy matching (rule M4): one person however written, several when one string
joins several full names, and never the same person on a shared surname alone."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bookrelay.matching.text import WORD_SAME, fold

SURNAME_SAME = 80
SURNAMES_DIFFER = 0.5


@dataclass(frozen=True, slots=True)
class AuthorName:
    """A folded author name: the whole key, the surname and the initials of the given names."""

    key: str
    surname: str
    initials: str
    given: str = ""  # the first given name, or its initials when only those are written
    given_is_initial: bool = False


# A role in brackets ("Jane Roe (Author)", "(Narrator)") and degrees or generations after a name
# ("Ph.D.", "Jr."): catalogues write them or not, so names are compared without them.
_ROLE = re.compile(
    r"\s*[(\[](?:author|narrator|editor|translator|illustrator|foreword|introduction|contributor)[^)\]]*[)\]]",
    re.IGNORECASE,
)
_DROPPED_SUFFIXES = frozenset({"jr", "sr", "phd", "md"})


def author_name(raw: str) -> AuthorName:
    """Normalise one author ("Tolkien, J.R.R." == "J. R. R. Tolkien" == "JRR Tolkien")."""
    text = _ROLE.sub("", raw).strip()
    if text.count(",") == 1:
        last, first = (p.strip() for p in text.split(","))
        # "Martin Luther King, Jr." and "John Doe, Ph.D." are not "Last, First".
        if first and fold(first).replace(" ", "") not in {"jr", "sr", "ii", "iii", "phd", "md"}:
            text = f"{first} {last}"
    # Initials written with dots and no spaces ("J.R.R.") become separate letters before folding,
    # and so do capitals run together ("JRR"), unless the whole name is shouted.
    if text != text.upper():
        text = re.sub(r"\b([A-Z]{2,3})\b", lambda m: " ".join(m.group(1)), text)
    tokens = fold(text.replace(".", ". ")).split()
    if "".join(tokens[-2:]) in _DROPPED_SUFFIXES and len(tokens) > 3:
        tokens = tokens[:-2]  # "ph d" after the dots were spaced out
    while len(tokens) > 2 and tokens[-1] in _DROPPED_SUFFIXES:
        tokens = tokens[:-1]
    merged: list[str] = []
    initials: list[str] = []
    runs: list[bool] = []  # whether each merged token is a run of initials
    run = ""
    for token in tokens:
        if len(token) == 1:
            run += token
            continue
        if run:
            merged.append(run)
            initials.append(run)
            runs.append(True)
            run = ""
        merged.append(token)
        initials.append(token[0])
        runs.append(False)
    if run:
        merged.append(run)
        initials.append(run)
        runs.append(True)
    if not merged:
        return AuthorName("", "", "")
    surname = merged[-1]
    given, given_is_initial = (merged[0], runs[0]) if len(merged) > 1 else ("", False)
    return AuthorName(" ".join(merged), surname, "".join(initials[:-1]), given, given_is_initial)


def given_names_compatible(x: AuthorName, y: AuthorName) -> bool:
    """Whether two first given names can be one person's: equal, an initial that fits, or a spelling
    variant; true when either side has none (M4: never a link on a shared surname alone)."""
    if not x.given or not y.given:
        return True
    if x.given[0] != y.given[0]:
        return False
    if x.given_is_initial or y.given_is_initial:
        return True
    return fuzz.ratio(x.given, y.given) >= WORD_SAME


def author_similarity(a: str, b: str) -> float:
    """0..1 similarity of two author names; initials against spelled-out given names count as near-equal."""
    x, y = author_name(a), author_name(b)
    if not x.key or not y.key:
        return 0.0
    if x.key == y.key:
        return 1.0
    # "JRR Tolkien" (initials run) vs "John Ronald Reuel Tolkien": same surname and initials.
    if (
        x.surname == y.surname
        and x.initials
        and x.initials == y.initials
        and given_names_compatible(x, y)  # "Kira Marsh" is not "Kate Marsh"
    ):
        return 0.95
    similarity = max(fuzz.ratio(x.key, y.key), fuzz.token_sort_ratio(x.key, y.key)) / 100.0
    # "Clara Marsh" and "Ada Marsh" share a surname, not a person: the given names decide.
    if x.surname == y.surname and not given_names_compatible(x, y):
        return min(similarity, SURNAMES_DIFFER)
    # "Silas Nakamura" and "Silas Okafor" share a given name, not a person: the surnames decide.
    if len(x.surname) > 1 and len(y.surname) > 1 and fuzz.ratio(x.surname, y.surname) < SURNAME_SAME:
        surnames_swapped = x.surname in y.key.split() and y.surname in x.key.split()
        if not surnames_swapped:
            return min(similarity, SURNAMES_DIFFER)
    return similarity


# Words that start a surname ("Le Guin", "van der Berg"): a comma after such a name is "Last, First".
_SURNAME_PARTICLES = frozenset(
    [
        "le",
        "la",
        "les",
        "de",
        "du",
        "des",
        "da",
        "di",
        "del",
        "della",
        "van",
        "von",
        "der",
        "den",
        "ten",
        "ter",
        "st",
        "saint",
        "mac",
        "al",
        "el",
        "bin",
        "ibn",
    ]
)
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md"})
_JOINERS = re.compile(r"\s*;\s*|\s+(?:&|and|\+|/)\s+|\s*&\s*", re.IGNORECASE)


def _is_full_name(text: str) -> bool:
    """A name with a given name (or initial) and a surname: two words at least, not "Last, First"."""
    words = fold(text).split()
    return len(words) >= 2 and "," not in text and words[-1] not in _NAME_SUFFIXES


def _is_last_first(head: str, tail: str) -> bool:
    """Whether "head, tail" is one person written "Last, First" (or "Name, Jr.")."""
    head_words, tail_words = fold(head).split(), fold(tail).split()
    if not head_words or not tail_words:
        return True
    if len(tail_words) == 1 and tail_words[0] in _NAME_SUFFIXES:
        return True  # "Martin Luther King, Jr."
    # "Smith, John", "Le Guin, Ursula K.": a surname (with its particles) before the comma.
    return len(head_words) == 1 or all(w in _SURNAME_PARTICLES for w in head_words[:-1])


def _split_one(raw: str) -> list[str]:
    """One author string as the people it names (see :func:`split_authors`)."""
    text = raw.strip()
    parts = [p for p in _JOINERS.split(text) if p.strip()]
    if len(parts) > 1:
        people = [q for p in parts for q in _split_one(p)]
        # Split only between full names: "Preston & Child" is left whole, so is a single name.
        return people if all(_is_full_name(p) or "," in p for p in parts) else [text]
    pieces = [p.strip() for p in text.split(",") if p.strip()]
    if len(pieces) == 2 and _is_last_first(*pieces):
        return [text]
    if len(pieces) > 1 and all(_is_full_name(p) for p in pieces):
        return pieces  # "Kevin J. Anderson, Rebecca Moesta"
    return [text]


def split_authors(names: Iterable[str]) -> tuple[str, ...]:
    """The people behind author strings: a string that joins several full names ("A & B", "A and B",
    "A; B", "A, B") counts as several authors; a single name ("Mary Robinette Kowal", "Ursula K. Le
    Guin") and "Last, First" ("Smith, John", "Le Guin, Ursula K.") stay one person (M4)."""
    found: list[str] = []
    for name in names:
        for person in _split_one(name):
            if person not in found:
                found.append(person)
    return tuple(found)
