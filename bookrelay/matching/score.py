"""The explainable match score (rule M4, STYLE.md §5) and the link/conflict/unmatched decision.

A score is a weighted sum of named parts (title, author, duration, series, year). A part that cannot
be judged (unknown duration, no series on one side) is skipped and its weight shared out among the
others, so the total stays 0..1. Look-alikes (a disagreeing volume number, a clearly different author)
and unrelated titles (another book by the same author) are capped below the conflict level: they
neither link nor ask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bookrelay.domain.models import Book, MediaKind, ReadingFormat, SourceItem
from bookrelay.matching import authors, titles
from bookrelay.matching.outcome import MatchOutcome

AUTHOR_MATCH = 0.88  # an author name this similar is the same person
AUTHOR_DIFFERENT = 0.6  # below this no author of the item resembles any of the candidate's
TITLE_DIFFERENT = 0.6  # below this the titles disagree (used for identifier hits, M3)
TITLE_UNRELATED = 0.5  # below this it is another book, however well the author fits
LENGTH_AGREES = 0.08  # an audio edition this close to the item's length can be the same recording
LENGTH_CONFIRMS = 0.03  # this close, the length confirms a title when the author field cannot


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One named part of a score: its 0..1 value, the (redistributed) weight it got, and why."""

    name: str
    value: float
    weight: float
    detail: str = ""

    @property
    def contribution(self) -> float:
        """What this part adds to the total."""
        return self.value * self.weight


@dataclass(frozen=True, slots=True)
class MatchScore:
    """A total in 0..1 and the parts it is made of; ``caps`` names why the total was capped, if it was."""

    total: float
    parts: tuple[ScorePart, ...]
    caps: tuple[str, ...] = ()
    holds: tuple[str, ...] = ()  # why this candidate is at most a conflict (evidence against a link)

    def part(self, name: str) -> ScorePart | None:
        """The part with this name, or None."""
        return next((p for p in self.parts if p.name == name), None)

    def explain(self) -> str:
        """One line a person can read: the total, each part's value x weight and detail, and any cap."""
        shown = []
        for p in self.parts:
            if p.weight == 0:
                shown.append(f"{p.name} skipped ({p.detail})")
            else:
                shown.append(f"{p.name} {p.value:.2f}x{p.weight:.2f} ({p.detail})")
        text = f"{self.total:.2f} = " + " + ".join(shown)
        if self.caps:
            text += "; capped: " + "; ".join(self.caps)
        if self.holds:
            text += "; at most a conflict: " + "; ".join(self.holds)
        return text


@dataclass(frozen=True, slots=True)
class MatchWeights:
    """Relative weights of the score parts, and the cap a look-alike's total is held under."""

    title: float = 0.55
    author: float = 0.25
    duration: float = 0.1
    series: float = 0.05
    year: float = 0.05
    lookalike_cap: float = 0.5


@dataclass(frozen=True, slots=True)
class MatchThresholds:
    """A total ≥ ``link`` links if it beats the runner-up by ``margin``; ≥ ``conflict`` asks the user."""

    link: float = 0.85
    conflict: float = 0.6
    margin: float = 0.08


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """The decision for one item: its kind, the chosen book (linked only), and all candidates best first."""

    kind: MatchOutcome
    book: Book | None
    score: MatchScore | None
    candidates: tuple[tuple[Book, MatchScore], ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True)
class HitAgreement:
    """Whether an identifier hit agrees with the item (M3); truthy when it does."""

    agrees: bool
    score: MatchScore
    reason: str = field(default="")

    def __bool__(self) -> bool:
        return self.agrees


def _candidate_title_forms(book: Book, known_series: list[str]) -> list[titles.TitleForm]:
    forms = titles.title_forms(book.title, book.subtitle, known_series)
    for alt in book.alternative_titles:
        forms += titles.title_forms(alt, None, known_series)
    for edition in book.editions:
        if edition.title:
            forms += titles.title_forms(edition.title, edition.subtitle, known_series)
    return list(dict.fromkeys(forms))


def _title_part(item: SourceItem, book: Book) -> tuple[ScorePart, bool, bool]:
    """The title part, whether volume numbers on both sides disagree, and whether the closest titles
    still differ in words on both sides (a look-alike)."""
    known = [s.name for s in (*item.series, *book.series)]
    item_forms = titles.title_forms(item.title, item.subtitle, known)
    # "Author - Title" (a folder name): the title is what follows the item's own author.
    unprefixed = titles.strip_author_prefix(item.title, authors.split_authors(item.authors))
    if unprefixed:
        item_forms = list(dict.fromkeys([*item_forms, *titles.title_forms(unprefixed, item.subtitle, known)]))
    book_forms = _candidate_title_forms(book, known)
    value, mine, theirs = titles.best_title_match(item_forms, book_forms)
    detail = f"{mine.full!r} ~ {theirs.full!r}" if mine and theirs else "no comparable title"
    item_volumes = titles.volumes_of(item_forms, [(s.name, s.position) for s in item.series])
    book_volumes = titles.volumes_of(
        titles.title_forms(book.title, book.subtitle, known), [(s.name, s.position) for s in book.series]
    )
    disagree = titles.volumes_disagree(item_volumes, book_volumes)
    words_differ = mine is not None and theirs is not None and titles.forms_disagree(mine, theirs)
    stand_in = _series_stands_for_title(item, book)
    if stand_in and not disagree:
        return ScorePart("title", 1.0, 1.0, stand_in), False, False
    return ScorePart("title", value, 1.0, detail), disagree, words_differ


def _series_stands_for_title(item: SourceItem, book: Book) -> str | None:
    """Why the item's title is the book's after all when the title is only its series' name and the
    volume is in the series field ("Sun Eater", Sun Eater #6 → the book that is Sun Eater #6)."""
    for mine in item.series:
        if not mine.position or not titles.names_series(item.title, mine.name):
            continue
        for theirs in book.series:
            same = theirs.position and titles.same_position(mine.position, theirs.position)
            if same and _series_similarity(mine.name, theirs.name) >= 0.85:
                return f"the title is the series name; volume {mine.position} of {theirs.name!r}"
    return None


def _author_field_names_narrator(item: SourceItem) -> bool:
    """Whether every name in the item's author field is one of its narrators (a tagging slip)."""
    names = authors.split_authors(item.authors)
    return (
        bool(names)
        and bool(item.narrators)
        and all(any(authors.author_similarity(a, n) >= AUTHOR_MATCH for n in item.narrators) for a in names)
    )


def _author_part(item: SourceItem, book: Book) -> ScorePart | None:
    # "A & B" kept as one string by a source or a catalogue names two people, on either side.
    mine, theirs = authors.split_authors(item.authors), authors.split_authors(book.authors)
    if not mine or not theirs:
        return None
    best = [max(authors.author_similarity(a, b) for b in theirs) for a in mine]
    matched = sum(1 for value in best if value >= AUTHOR_MATCH)
    if matched == len(best):
        return ScorePart("author", 1.0, 1.0, "all item authors among the candidate's")
    if matched:
        return ScorePart("author", 0.85, 1.0, f"{matched} of {len(best)} item authors among the candidate's")
    return ScorePart("author", max(best), 1.0, "no author in common")


def _audio_lengths(book: Book) -> list[int]:
    lengths = [
        e.audio_seconds
        for e in book.editions
        if e.audio_seconds and e.reading_format in (ReadingFormat.AUDIO, ReadingFormat.BOTH, None)
    ]
    if book.audio_seconds:
        lengths.append(book.audio_seconds)
    return lengths


def _length_gap(item: SourceItem, book: Book) -> tuple[float, int] | None:
    """How far apart the item's length and the closest audio edition's are (share of the longer), and
    that edition's length; None when either side has no length."""
    if item.media_kind is not MediaKind.AUDIO or not item.duration_seconds:
        return None
    lengths = _audio_lengths(book)
    if not lengths:
        return None
    closest = min(lengths, key=lambda s: abs(s - item.duration_seconds))  # type: ignore[operator]
    return abs(closest - item.duration_seconds) / max(closest, item.duration_seconds), closest


def _duration_part(item: SourceItem, book: Book) -> ScorePart | None:
    gap = _length_gap(item, book)
    if gap is None:
        return None
    diff, closest = gap
    # Up to 2 % is the same recording; an abridged one (often half) scores 0.
    value = max(0.0, min(1.0, 1.0 - (diff - 0.02) / 0.2))
    return ScorePart("duration", value, 1.0, f"{item.duration_seconds:.0f}s vs {closest}s ({diff:.1%} apart)")


def _series_part(item: SourceItem, book: Book) -> ScorePart | None:
    if not item.series or not book.series:
        return None
    best = 0.0
    for mine in item.series:
        for theirs in book.series:
            best = max(best, _series_similarity(mine.name, theirs.name))
    return ScorePart("series", best, 1.0, "series name similarity")


def _series_similarity(a: str, b: str) -> float:
    forms_a = titles.title_forms(a)
    forms_b = titles.title_forms(b)
    return titles.best_title_match(forms_a, forms_b)[0]


def _year_part(item: SourceItem, book: Book) -> ScorePart | None:
    if not item.published_year or not book.release_year:
        return None
    gap = abs(item.published_year - book.release_year)
    # Audio releases often come years after the first edition: fade slowly.
    value = 1.0 if gap <= 1 else max(0.0, 1.0 - (gap - 1) / 10)
    return ScorePart("year", value, 1.0, f"{item.published_year} vs {book.release_year}")


def score_candidate(item: SourceItem, candidate: Book, weights: MatchWeights | None = None) -> MatchScore:
    """How well ``candidate`` matches ``item``: named parts, unknown ones skipped, look-alikes capped."""
    weights = weights or MatchWeights()
    title, volumes_disagree, words_differ = _title_part(item, candidate)
    author_part, why_no_author = _author_part(item, candidate), "an author missing on one side"
    narrator_only = (
        author_part is not None and author_part.value < AUTHOR_MATCH and _author_field_names_narrator(item)
    )
    if narrator_only:
        # The author field names the narrator: it says nothing about the author, for or against.
        author_part, why_no_author = None, "the item's author field names its narrator"
    raw: list[tuple[str, ScorePart | None, float, str]] = [
        ("title", title, weights.title, ""),
        ("author", author_part, weights.author, why_no_author),
        ("duration", _duration_part(item, candidate), weights.duration, "no audio length to compare"),
        ("series", _series_part(item, candidate), weights.series, "no series on one side"),
        ("year", _year_part(item, candidate), weights.year, "a year missing on one side"),
    ]
    active = sum(w for _, part, w, _ in raw if part is not None)
    parts: list[ScorePart] = []
    for name, part, weight, why_skipped in raw:
        if part is None:
            parts.append(ScorePart(name, 0.0, 0.0, why_skipped))
        else:
            parts.append(ScorePart(name, part.value, weight / active if active else 0.0, part.detail))
    total = sum(p.contribution for p in parts)
    caps: list[str] = []
    if volumes_disagree:
        caps.append("volume numbers disagree")
    if words_differ:
        caps.append("titles differ in words on both sides")
    if title.value < TITLE_UNRELATED:
        caps.append("unrelated title")
    author = next(p for p in parts if p.name == "author")
    if author.weight and author.value < AUTHOR_DIFFERENT:
        caps.append("clearly different author")
    if caps:
        total = min(total, weights.lookalike_cap)
    holds: list[str] = []
    gap = _length_gap(item, candidate)
    if gap is not None and gap[0] > LENGTH_AGREES:
        # Another recording or another book: title and author alone never outweigh the length.
        holds.append(f"no audio edition within {LENGTH_AGREES:.0%} of the item's length")
    elif narrator_only and (gap is None or gap[0] > LENGTH_CONFIRMS):
        holds.append(
            f"the author field names the narrator and no length within {LENGTH_CONFIRMS:.0%} confirms"
        )
    return MatchScore(round(min(1.0, max(0.0, total)), 4), tuple(parts), tuple(caps), tuple(holds))


def decide(
    item: SourceItem,
    scored: Sequence[tuple[Book, MatchScore]],
    thresholds: MatchThresholds | None = None,
) -> MatchDecision:
    """Link a strong unambiguous best, ask (conflict) on a middling or ambiguous one, else unmatched."""
    thresholds = thresholds or MatchThresholds()
    best_by_book: dict[int, tuple[Book, MatchScore]] = {}
    for book, score in scored:
        known = best_by_book.get(book.id)
        if known is None or score.total > known[1].total:
            best_by_book[book.id] = (book, score)
    ranked = tuple(sorted(best_by_book.values(), key=lambda bs: (-bs[1].total, bs[0].id)))
    if not ranked:
        return MatchDecision(MatchOutcome.UNMATCHED, None, None, (), f"no candidate for {item.title!r}")
    # The length speaks against a held candidate: it never links, and a candidate without holds goes
    # before it (length decides between same-titled books of one author).
    clean = [bs for bs in ranked if not bs[1].caps and not bs[1].holds]
    held = [bs for bs in ranked if not bs[1].caps and bs[1].holds]
    if clean and clean[0][1].total >= thresholds.conflict:
        book, score = clean[0]
        ranked = (clean[0], *(bs for bs in ranked if bs is not clean[0]))
    elif held and held[0][1].total >= thresholds.conflict:
        book, score = held[0]
        reason = f"score {score.total:.2f}, but {'; '.join(score.holds)}"
        return MatchDecision(MatchOutcome.CONFLICT, None, score, ranked, reason)
    else:
        book, score = ranked[0]
        return MatchDecision(
            MatchOutcome.UNMATCHED, None, score, ranked, f"best score {score.total:.2f} is weak"
        )
    runner_up = clean[1][1].total if len(clean) > 1 else None
    if score.total >= thresholds.link:
        if runner_up is not None and score.total - runner_up < thresholds.margin:
            reason = f"ambiguous: {score.total:.2f} vs {runner_up:.2f} (margin {thresholds.margin:.2f})"
            return MatchDecision(MatchOutcome.CONFLICT, None, score, ranked, reason)
        return MatchDecision(MatchOutcome.LINKED, book, score, ranked, f"score {score.total:.2f}")
    return MatchDecision(MatchOutcome.CONFLICT, None, score, ranked, f"middling score {score.total:.2f}")


_TITLE_DISAGREES = ("volume numbers disagree", "titles differ in words on both sides", "unrelated title")


def identifier_hit_agrees(item: SourceItem, book: Book, weights: MatchWeights | None = None) -> HitAgreement:
    """Whether a book found by identifier agrees with the item (M3): a title that disagrees beyond what
    matching forgives (another volume, other words, another title) makes it no link, whatever the author.
    A placeholder title ("Track 01") names no book and cannot disagree."""
    score = score_candidate(item, book, weights)
    title = score.part("title")
    if titles.is_placeholder(item.title):
        return HitAgreement(True, score, "identifier hit; the item's title names no book")
    off = [cap for cap in score.caps if cap in _TITLE_DISAGREES]
    if title is not None and title.value < TITLE_DIFFERENT and "unrelated title" not in off:
        off.append("unrelated title")
    if off:
        reason = (
            f"the identifier names {book.title!r}, whose title disagrees with the item ({'; '.join(off)})"
        )
        return HitAgreement(False, score, reason)
    return HitAgreement(True, score, "identifier hit agrees with the item")
