"""The bundled demo fixture: one Hardcover user and one Audiobookshelf user whose ~40 books show every
matching and progress rule (DESIGN M1-M5, P1-P11) once, so ``bookrelay demo`` and ``sandbox serve``
have something worth looking at.

Everything is deterministic: identifiers are generated from counters with valid check digits, dates are
fixed. :class:`FixtureBuilder` is public so that benchmarks build their (much larger) fixtures the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stdnum import ean as stdnum_ean
from stdnum import isbn as stdnum_isbn

DEMO_HARDCOVER_TOKEN = "hc_pat_demo"
DEMO_ABS_KEY = "abs-demo-key"
DEMO_ABS_USER = "demo"
DEMO_HARDCOVER_USER_ID = 1
FREE_PLAN_LIMITS = {"per_minute": 60, "burst": 10, "daily": 5000, "max_top_level": 5}

AUDIO, EBOOK, PRINT = 2, 4, 1  # Hardcover reading_format_id
WANT_TO_READ, READING, READ, PAUSED, DID_NOT_FINISH = 1, 2, 3, 4, 5  # Hardcover status_id
HOUR = 3600


def make_isbn13(n: int, prefix: str = "9781") -> str:
    """A valid ISBN-13 (correct check digit) numbered ``n``; distinct ``n`` give distinct ISBNs."""
    body = f"{prefix}{n:0{12 - len(prefix)}d}"
    return body + stdnum_ean.calc_check_digit(body)


def make_isbn10(isbn13: str) -> str:
    """The ISBN-10 form of a 978 ISBN-13."""
    return str(stdnum_isbn.to_isbn10(isbn13))


def make_asin(n: int, tag: str = "A") -> str:
    """An ASIN of Amazon's ``B0…`` form (10 upper-case characters); ``tag`` separates audio and Kindle ids."""
    return f"B0{tag}{n:0{7}d}"[:10]


def spoil_checksum(isbn13: str) -> str:
    """The same ISBN with a wrong check digit (a typo as taggers produce it)."""
    return isbn13[:-1] + str((int(isbn13[-1]) + 1) % 10)


def ms(day: str, hour: int = 12) -> int:
    """Epoch milliseconds of ``day`` (YYYY-MM-DD) at ``hour`` UTC, as ABS stores timestamps."""
    when = datetime.strptime(day, "%Y-%m-%d").replace(hour=hour, tzinfo=UTC)
    return int(when.timestamp() * 1000)


class FixtureBuilder:
    """Collects Hardcover books, editions and shelf entries and ABS items and progress into one fixture."""

    def __init__(self, *, hc_user: str = "demo", abs_user: str = DEMO_ABS_USER) -> None:
        self.hc_user, self.abs_user = hc_user, abs_user
        self.authors: dict[str, int] = {}
        self.series: dict[str, int] = {}
        self.books: list[dict[str, Any]] = []
        self.editions: list[dict[str, Any]] = []
        self.user_books: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []
        self.podcasts: list[dict[str, Any]] = []
        self.progress: list[dict[str, Any]] = []
        self._read_id = 7000
        self._book_by_id: dict[int, dict[str, Any]] = {}
        self._item_by_key: dict[str, dict[str, Any]] = {}  # by id when given, else by title

    def _author_ids(self, names: list[str]) -> list[int]:
        return [self.authors.setdefault(name, len(self.authors) + 1) for name in names]

    def book(
        self,
        title: str,
        authors: list[str],
        *,
        year: int | None = None,
        series: tuple[str, int] | None = None,
        alternative_titles: tuple[str, ...] = (),
        subtitle: str | None = None,
        users_count: int = 100,
    ) -> int:
        """Add a Hardcover book; returns its id."""
        book_id = 100 + len(self.books)
        row: dict[str, Any] = {
            "id": book_id,
            "title": title,
            "subtitle": subtitle,
            "author_ids": self._author_ids(authors),
            "release_year": year,
            "alternative_titles": list(alternative_titles),
            "users_count": users_count,
        }
        if series is not None:
            sid = self.series.setdefault(series[0], len(self.series) + 1)
            row["series"] = [{"series_id": sid, "position": series[1]}]
        self.books.append(row)
        self._book_by_id[book_id] = row
        return book_id

    def edition(
        self, book_id: int, fmt: int, *, title: str | None = None, users_count: int = 10, **ids: Any
    ) -> int:
        """Add an edition (``isbn_13``, ``isbn_10``, ``asin``, ``audio_seconds``, ``pages`` as keywords)."""
        edition_id = 1000 + len(self.editions)
        book = self._book_by_id[book_id]
        self.editions.append(
            {
                "id": edition_id,
                "book_id": book_id,
                "title": title or book["title"],
                "reading_format_id": fmt,
                "edition_format": {AUDIO: "Audible Audio", EBOOK: "Kindle Edition", PRINT: "Hardcover"}[fmt],
                "users_count": users_count,
                "language": "en",
                **ids,
            }
        )
        return edition_id

    def shelve(self, book_id: int, status: int, edition_id: int | None, *reads: dict[str, Any]) -> int:
        """Put a book on the Hardcover user's shelf with these reads (newest first); returns the entry id."""
        entry_id = 5000 + len(self.user_books)
        stored = []
        for read in reads:
            self._read_id += 1
            stored.append({"id": self._read_id, "edition_id": edition_id, **read})
        self.user_books.append(
            {
                "id": entry_id,
                "user_id": DEMO_HARDCOVER_USER_ID,
                "book_id": book_id,
                "edition_id": edition_id,
                "status_id": status,
                "date_added": "2026-01-05",
                "reads": stored,
            }
        )
        return entry_id

    def item(
        self,
        title: str,
        authors: list[str],
        *,
        duration: float = 0.0,
        item_id: str | None = None,
        **metadata: Any,
    ) -> str:
        """Add an ABS book item (``isbn``, ``asin``, ``subtitle``, ``series``, ``ebookFormat``: keywords)."""
        row: dict[str, Any] = {"title": title, "authors": authors, "duration": duration, **metadata}
        if item_id is not None:
            row["id"] = item_id
        self.items.append(row)
        self._item_by_key[item_id or title] = row
        return title

    def listen(
        self,
        title: str,
        fraction: float,
        *,
        started: str,
        updated: str | None = None,
        finished: str | None = None,
        item_id: str | None = None,
    ) -> None:
        """Record ABS progress on an item: ``fraction`` of its duration (or of the ebook when it has none)."""
        item = self._item_by_key[item_id or title]
        duration = float(item["duration"])
        done = finished is not None
        entry: dict[str, Any] = {
            "username": self.abs_user,
            "isFinished": done,
            "startedAt": ms(started),
            "lastUpdate": ms(updated or finished or started, 18),
            "finishedAt": ms(finished, 18) if finished else None,
        }
        entry.update({"libraryItemId": item_id} if item_id else {"title": title})
        if duration > 0:
            entry.update({"duration": duration, "currentTime": round(fraction * duration, 1)})
            entry["progress"] = 1.0 if done else round(fraction, 4)
        else:
            entry.update({"ebookProgress": 1.0 if done else round(fraction, 4), "progress": 0.0})
        self.progress.append(entry)

    def fixture(self, *, limits: dict[str, int] | None = None, abs_key: str = DEMO_ABS_KEY) -> dict[str, Any]:
        """The whole sandbox fixture (``hardcover`` and ``audiobookshelf`` sections)."""
        hardcover = {
            "limits": dict(limits or FREE_PLAN_LIMITS),
            "users": [
                {
                    "id": DEMO_HARDCOVER_USER_ID,
                    "username": self.hc_user,
                    "name": "Demo Reader",
                    "token": DEMO_HARDCOVER_TOKEN,
                    "scopes": ["all"],
                    "timezone": "UTC",
                }
            ],
            "authors": [{"id": i, "name": n} for n, i in self.authors.items()],
            "series": [{"id": i, "name": n} for n, i in self.series.items()],
            "books": self.books,
            "editions": self.editions,
            "user_books": self.user_books,
        }
        libraries: list[dict[str, Any]] = [{"name": "Audiobooks", "mediaType": "book", "items": self.items}]
        if self.podcasts:
            libraries.append({"name": "Podcasts", "mediaType": "podcast", "items": self.podcasts})
        audiobookshelf = {
            "users": [{"username": self.abs_user, "password": "demo-password", "type": "root"}],
            "api_keys": [{"name": "bookrelay", "key": abs_key, "username": self.abs_user, "isActive": True}],
            "libraries": libraries,
            "progress": self.progress,
        }
        return {"hardcover": hardcover, "audiobookshelf": audiobookshelf}


# ---------------------------------------------------------------------------------------------- the demo


@dataclass(frozen=True, slots=True)
class DemoCase:
    """What one demo item shows and what a first real run must do with it.

    ``outcome`` is linked, conflict, unmatched or skipped (never collected: podcasts); ``action`` is the
    first planned action's class name, with the rule for holds and skips (``Hold:P5``, ``Skip:P3``).
    """

    rule: str
    outcome: str
    action: str = ""
    book_id: int | None = None
    edition_id: int | None = None


def _build_demo() -> tuple[FixtureBuilder, dict[str, DemoCase]]:
    b = FixtureBuilder()
    cases: dict[str, DemoCase] = {}
    n = iter(range(1, 1000))

    def case(
        title: str, rule: str, outcome: str, action: str = "", book: int | None = None, ed: int | None = None
    ) -> None:
        cases[title] = DemoCase(rule, outcome, action, book, ed)

    # --- identifiers (M3) ------------------------------------------------------------------------
    phm = b.book("Project Hail Mary", ["Andy Weir"], year=2021, users_count=900)
    phm_asin = make_asin(next(n))
    phm_a = b.edition(phm, AUDIO, asin=phm_asin, audio_seconds=58_200)
    b.edition(phm, PRINT, isbn_13=make_isbn13(next(n)), pages=496)
    b.item("Project Hail Mary", ["Andy Weir"], duration=58_210, asin=phm_asin)
    b.listen("Project Hail Mary", 0.35, started="2026-10-01", updated="2026-11-20")
    case("Project Hail Mary", "M3 ASIN only", "linked", "AddToShelf", phm, phm_a)

    mar = b.book("The Martian", ["Andy Weir"], year=2011, users_count=1200)
    mar_isbn = make_isbn13(next(n), "9780")
    mar_a = b.edition(mar, AUDIO, isbn_13=mar_isbn, audio_seconds=39_600)
    b.item("The Martian", ["Andy Weir"], duration=39_610, isbn=make_isbn10(mar_isbn))
    b.listen("The Martian", 0.5, started="2026-09-10", updated="2026-11-01")
    case("The Martian", "M3 ISBN-10 in the ISBN-13 field", "linked", "AddToShelf", mar, mar_a)

    rr = b.book("Red Rising", ["Pierce Brown"], year=2014, series=("Red Rising Saga", 1), users_count=700)
    rr_asin = make_asin(next(n))
    rr_a = b.edition(rr, AUDIO, asin=rr_asin, audio_seconds=58_000)
    b.item("Red Rising", ["Pierce Brown"], duration=58_020, asin=rr_asin.lower())
    b.listen("Red Rising", 0.2, started="2026-11-01", updated="2026-11-15")
    case("Red Rising", "M3 lower-case ASIN", "linked", "AddToShelf", rr, rr_a)

    gs = b.book("Golden Son", ["Pierce Brown"], year=2015, series=("Red Rising Saga", 2), users_count=500)
    gs_isbn = make_isbn13(next(n))
    gs_a = b.edition(gs, AUDIO, isbn_13=gs_isbn, audio_seconds=66_000)
    hyphenated = f"{gs_isbn[:3]}-{gs_isbn[3]}-{gs_isbn[4:8]}-{gs_isbn[8:12]}-{gs_isbn[12]}"
    b.item("Golden Son", ["Pierce Brown"], duration=66_000, isbn=hyphenated)
    b.listen("Golden Son", 0.1, started="2026-11-16", updated="2026-11-24")
    case("Golden Son", "M3 hyphenated ISBN", "linked", "AddToShelf", gs, gs_a)

    st = b.book("Station Eleven", ["Emily St. John Mandel"], year=2014, users_count=600)
    st_isbn = make_isbn13(next(n))
    st_a = b.edition(st, AUDIO, isbn_13=st_isbn, audio_seconds=44_000)
    b.item("Station Eleven", ["Emily St. John Mandel"], duration=44_000, asin=st_isbn)
    b.listen("Station Eleven", 0.6, started="2026-08-01", updated="2026-10-20")
    case("Station Eleven", "M3 ISBN in the ASIN field", "linked", "AddToShelf", st, st_a)

    pir = b.book("Piranesi", ["Susanna Clarke"], year=2020, users_count=800)
    pir_isbn = make_isbn13(next(n))
    pir_a = b.edition(pir, AUDIO, asin=make_asin(next(n)), audio_seconds=30_000)
    b.edition(pir, PRINT, isbn_13=pir_isbn, pages=272)
    b.item("Piranesi", ["Susanna Clarke"], duration=30_010, isbn=spoil_checksum(pir_isbn))
    b.listen("Piranesi", 0.45, started="2026-10-05", updated="2026-11-10")
    case(
        "Piranesi", "M3 identifier failing its checksum (found by search)", "linked", "AddToShelf", pir, pir_a
    )

    asr = b.book("All Systems Red", ["Martha Wells"], year=2017, series=("The Murderbot Diaries", 1))
    asr_kindle = make_asin(next(n), "K")
    asr_a = b.edition(asr, AUDIO, asin=make_asin(next(n)), audio_seconds=11_400)
    b.edition(asr, EBOOK, asin=asr_kindle, pages=160)
    b.item("All Systems Red", ["Martha Wells"], duration=11_400, asin=asr_kindle)
    b.listen("All Systems Red", 0.3, started="2026-11-20", updated="2026-11-22")
    case(
        "All Systems Red",
        "M5 Kindle ASIN on an audiobook (→ the audio edition)",
        "linked",
        "AddToShelf",
        asr,
        asr_a,
    )

    fe = b.book("Mistborn: The Final Empire", ["Brandon Sanderson"], year=2006, users_count=1500)
    fe_print = make_isbn13(next(n))
    b.edition(fe, PRINT, isbn_13=fe_print, pages=541, users_count=90)
    fe_a = b.edition(fe, AUDIO, asin=make_asin(next(n)), audio_seconds=88_000)
    b.item("Mistborn: The Final Empire", ["Brandon Sanderson"], duration=88_100, isbn=fe_print)
    b.listen("Mistborn: The Final Empire", 0.25, started="2026-10-10", updated="2026-11-12")
    case(
        "Mistborn: The Final Empire",
        "M5 print ISBN on an audio item (→ the audio edition)",
        "linked",
        "AddToShelf",
        fe,
        fe_a,
    )

    hunt = b.book("Cooking for Geeks", ["Jeff Potter"], year=2010)
    hunt_isbn = make_isbn13(next(n))
    b.edition(hunt, PRINT, isbn_13=hunt_isbn, pages=432)
    b.item("The Great Hunt", ["Robert Jordan"], duration=96_000, isbn=hunt_isbn)
    b.listen("The Great Hunt", 0.15, started="2026-11-02", updated="2026-11-09")
    case(
        "The Great Hunt",
        "M3 identifier hit whose title and author disagree (→ conflict)",
        "conflict",
        "OpenConflict",
    )

    # --- search and titles (M4) -----------------------------------------------------------------
    fs = b.book("The Fifth Season", ["N. K. Jemisin"], year=2015, series=("The Broken Earth", 1))
    fs_a = b.edition(fs, AUDIO, audio_seconds=54_000)
    b.item("The Fifth Season", ["N.K. Jemisin"], duration=54_030)
    b.listen("The Fifth Season", 0.4, started="2026-09-01", updated="2026-10-01")
    case(
        "The Fifth Season",
        "M4 no identifiers, author initials spelled differently",
        "linked",
        "AddToShelf",
        fs,
        fs_a,
    )

    lw = b.book(
        "Leviathan Wakes", ["James S. A. Corey"], year=2011, series=("The Expanse", 1), users_count=900
    )
    lw_a = b.edition(lw, AUDIO, audio_seconds=74_000)
    cw = b.book("Caliban's War", ["James S. A. Corey"], year=2012, series=("The Expanse", 2), users_count=600)
    cw_a = b.edition(cw, AUDIO, audio_seconds=77_000)
    expanse = [{"name": "The Expanse", "sequence": "1"}]
    b.item("The Expanse 1: Leviathan Wakes", ["James S.A. Corey"], duration=74_020, series=expanse)
    b.listen("The Expanse 1: Leviathan Wakes", 0.55, started="2026-07-01", updated="2026-08-01")
    case(
        "The Expanse 1: Leviathan Wakes",
        "M4 series name and number around the title",
        "linked",
        "AddToShelf",
        lw,
        lw_a,
    )
    b.item(
        "Caliban's War",
        ["James S.A. Corey"],
        duration=77_000,
        series=[{"name": "The Expanse", "sequence": "2"}],
    )
    b.listen("Caliban's War", 0.12, started="2026-08-02", updated="2026-08-20")
    case(
        "Caliban's War",
        "M4 series volume by number (volume 1 must not win)",
        "linked",
        "AddToShelf",
        cw,
        cw_a,
    )

    sap = b.book("Sapiens", ["Yuval Noah Harari"], year=2011, users_count=2000)
    sap_a = b.edition(sap, AUDIO, audio_seconds=55_000)
    b.item("Sapiens: A Brief History of Humankind", ["Yuval Noah Harari"], duration=55_010)
    b.listen("Sapiens: A Brief History of Humankind", 0.7, started="2026-06-01", updated="2026-07-01")
    case(
        "Sapiens: A Brief History of Humankind",
        "M4 subtitle on one side only",
        "linked",
        "AddToShelf",
        sap,
        sap_a,
    )

    dune = b.book("Dune", ["Frank Herbert"], year=1965, users_count=3000)
    dune_a = b.edition(dune, AUDIO, audio_seconds=75_900)
    b.item("Dune (Unabridged)", ["Frank Herbert"], duration=75_900)
    b.listen("Dune (Unabridged)", 0.08, started="2026-11-20", updated="2026-11-25")
    case("Dune (Unabridged)", "M4 edition suffix", "linked", "AddToShelf", dune, dune_a)

    lic = b.book("Lessons in Chemistry", ["Bonnie Garmus"], year=2022)
    lic_a = b.edition(lic, AUDIO, audio_seconds=43_000)
    b.item("Lessons in Chemistry: A Novel", ["Bonnie Garmus"], duration=43_000)
    b.listen("Lessons in Chemistry: A Novel", 0.33, started="2026-10-15", updated="2026-10-30")
    case("Lessons in Chemistry: A Novel", "M4 'A Novel' suffix", "linked", "AddToShelf", lic, lic_a)

    swarm = b.book("The Swarm", ["Frank Schätzing"], year=2004, alternative_titles=("Der Schwarm",))
    swarm_a = b.edition(swarm, AUDIO, audio_seconds=110_000)
    b.item("Der Schwarm", ["Frank Schätzing"], duration=110_000)
    b.listen("Der Schwarm", 0.2, started="2026-05-01", updated="2026-06-01")
    case(
        "Der Schwarm",
        "M4 translated title (original in alternative_titles)",
        "linked",
        "AddToShelf",
        swarm,
        swarm_a,
    )

    go = b.book("Good Omens", ["Terry Pratchett", "Neil Gaiman"], year=1990, users_count=1800)
    go_a = b.edition(go, AUDIO, audio_seconds=45_000)
    b.item("Good Omens", ["Neil Gaiman", "Terry Pratchett"], duration=45_000)
    b.listen("Good Omens", 0.5, started="2026-04-01", updated="2026-04-20")
    case("Good Omens", "M4 co-authors in another order", "linked", "AddToShelf", go, go_a)

    tom = b.book("Tomorrow, and Tomorrow, and Tomorrow", ["Gabrielle Zevin"], year=2022)
    tom_a = b.edition(tom, AUDIO, audio_seconds=69_000)
    b.item("Tomorrow and Tomorrow and Tomorrow", ["Gabrielle Zevin"], duration=69_100)
    b.listen("Tomorrow and Tomorrow and Tomorrow", 0.22, started="2026-10-18", updated="2026-11-04")
    case(
        "Tomorrow and Tomorrow and Tomorrow",
        "M4 punctuation differs",
        "linked",
        "AddToShelf",
        tom,
        tom_a,
    )

    lib = b.book("Lincoln in the Bardo", ["George Saunders"], year=2017)
    lib_isbn = make_isbn13(next(n))
    lib_a = b.edition(lib, AUDIO, isbn_13=lib_isbn, audio_seconds=26_900)
    b.item("Lincoln in the Bardo", ["George Saunders"], duration=26_900, isbn=lib_isbn)
    b.listen("Lincoln in the Bardo", 0.6, started="2026-09-25", updated="2026-10-11")
    case("Lincoln in the Bardo", "M3 plain ISBN-13 of the audio edition", "linked", "AddToShelf", lib, lib_a)

    wool = b.book("Wool Omnibus", ["Hugh Howey"], year=2012)
    b.edition(wool, AUDIO, audio_seconds=61_000)
    b.item("Wool", ["Hugh Howey"], duration=60_500)
    b.listen("Wool", 0.3, started="2026-09-20", updated="2026-10-02")
    case("Wool", "M4 middling title match (→ conflict with candidates)", "conflict", "OpenConflict")

    # Same title, another author: the catalogue has only the look-alike.
    paver = b.book("Dark Matter", ["Michelle Paver"], year=2010, users_count=400)
    b.edition(paver, AUDIO, audio_seconds=26_000)
    b.item("Dark Matter", ["Blake Crouch"], duration=36_000)
    b.listen("Dark Matter", 0.4, started="2026-03-01", updated="2026-03-20")
    case("Dark Matter", "M4 look-alike that must not link (→ unmatched)", "unmatched", "Skip")

    b.item("The Library at Mount Char", ["Scott Hawkins"], duration=50_000)
    b.listen("The Library at Mount Char", 0.25, started="2026-02-01", updated="2026-02-10")
    case("The Library at Mount Char", "M4 book absent from Hardcover (→ unmatched)", "unmatched", "Skip")

    # --- editions (M5) --------------------------------------------------------------------------
    wok = b.book("The Way of Kings", ["Brandon Sanderson"], year=2010, series=("The Stormlight Archive", 1))
    b.edition(wok, AUDIO, asin=make_asin(next(n)), audio_seconds=163_000, users_count=40)
    wok_a = b.edition(wok, AUDIO, asin=make_asin(next(n)), audio_seconds=174_500, users_count=5)
    b.item("The Way of Kings", ["Brandon Sanderson"], duration=174_480)
    b.listen("The Way of Kings", 0.15, started="2026-10-20", updated="2026-11-18")
    case(
        "The Way of Kings",
        "M5 two audio editions of different length (the closest)",
        "linked",
        "AddToShelf",
        wok,
        wok_a,
    )

    ct = b.book("Children of Time", ["Adrian Tchaikovsky"], year=2015, users_count=700)
    ct_p = b.edition(ct, PRINT, isbn_13=make_isbn13(next(n)), pages=600)
    ct_asin = make_asin(next(n))
    b.edition(ct, AUDIO, asin=ct_asin, audio_seconds=58_000)
    b.shelve(ct, READING, ct_p, {"started_at": "2026-09-01", "progress_pages": 120})
    b.item("Children of Time", ["Adrian Tchaikovsky"], duration=58_000, asin=ct_asin)
    b.listen("Children of Time", 0.5, started="2026-09-01", updated="2026-11-21")
    case(
        "Children of Time",
        "M5 already read on Hardcover in another edition (kept)",
        "linked",
        "SetProgress",
        ct,
        ct_p,
    )

    tress = b.book("Tress of the Emerald Sea", ["Brandon Sanderson"], year=2023)
    tress_asin = make_asin(next(n))
    b.edition(tress, AUDIO, asin=tress_asin)
    tress_print = b.edition(tress, PRINT, isbn_13=make_isbn13(next(n)), pages=480)
    b.item("Tress of the Emerald Sea", ["Brandon Sanderson"], duration=62_000, asin=tress_asin)
    b.listen("Tress of the Emerald Sea", 0.3, started="2026-11-03", updated="2026-11-08")
    case(
        "Tress of the Emerald Sea",
        "M5 audio edition without a length (→ page progress on the print edition)",
        "linked",
        "AddToShelf",
        tress,
        tress_print,
    )

    mce = b.book("A Memory Called Empire", ["Arkady Martine"], year=2019, series=("Teixcalaan", 1))
    mce_isbn = make_isbn13(next(n))
    mce_e = b.edition(mce, EBOOK, isbn_13=mce_isbn, pages=462)
    b.edition(mce, AUDIO, audio_seconds=57_000)
    b.item("A Memory Called Empire", ["Arkady Martine"], isbn=mce_isbn, ebookFormat="epub")
    b.listen("A Memory Called Empire", 0.4, started="2026-10-12", updated="2026-11-19")
    case(
        "A Memory Called Empire",
        "P1/P2 ebook-only item (pages on a text edition)",
        "linked",
        "AddToShelf",
        mce,
        mce_e,
    )

    # --- progress (P3-P9) -----------------------------------------------------------------------
    kla = b.book("Klara and the Sun", ["Kazuo Ishiguro"], year=2021)
    kla_asin = make_asin(next(n))
    kla_a = b.edition(kla, AUDIO, asin=kla_asin, audio_seconds=36_000)
    b.item("Klara and the Sun", ["Kazuo Ishiguro"], duration=36_000, asin=kla_asin)
    b.listen("Klara and the Sun", 1.0, started="2026-09-01", finished="2026-09-14")
    case(
        "Klara and the Sun",
        "P6 finished (→ Read with the source's finish date)",
        "linked",
        "MarkFinished",
        kla,
        kla_a,
    )

    ah = b.book("Atomic Habits", ["James Clear"], year=2018)
    ah_asin = make_asin(next(n))
    ah_a = b.edition(ah, AUDIO, asin=ah_asin, audio_seconds=19_800)
    b.item("Atomic Habits", ["James Clear"], duration=19_800, asin=ah_asin)
    b.listen("Atomic Habits", 0.97, started="2026-10-01", updated="2026-10-09")
    case("Atomic Habits", "P6 97 % without the finished flag (→ Read)", "linked", "MarkFinished", ah, ah_a)

    lw2 = b.book(
        "The Long Way to a Small, Angry Planet", ["Becky Chambers"], year=2014, series=("Wayfarers", 1)
    )
    lw2_asin = make_asin(next(n))
    lw2_a = b.edition(lw2, AUDIO, asin=lw2_asin, audio_seconds=86_000)
    b.shelve(
        lw2,
        READ,
        lw2_a,
        {"started_at": "2025-05-01", "finished_at": "2025-05-20", "progress_seconds": 86_000},
    )
    b.item("The Long Way to a Small, Angry Planet", ["Becky Chambers"], duration=86_000, asin=lw2_asin)
    b.listen("The Long Way to a Small, Angry Planet", 0.3, started="2026-10-02", updated="2026-11-02")
    case(
        "The Long Way to a Small, Angry Planet",
        "P9 re-read after a finished read (→ new read)",
        "linked",
        "SetStatus",
        lw2,
        lw2_a,
    )

    edu = b.book("Educated", ["Tara Westover"], year=2018)
    edu_asin = make_asin(next(n))
    edu_a = b.edition(edu, AUDIO, asin=edu_asin, audio_seconds=43_000)
    b.shelve(
        edu,
        READ,
        edu_a,
        {"started_at": "2026-02-01", "finished_at": "2026-02-20", "progress_seconds": 43_000},
    )
    b.item("Educated", ["Tara Westover"], duration=43_000, asin=edu_asin)
    b.listen("Educated", 1.0, started="2026-02-01", finished="2026-02-20")
    case("Educated", "P9 finished on both sides (nothing written)", "linked", "Skip", edu, edu_a)

    notw = b.book(
        "The Name of the Wind", ["Patrick Rothfuss"], year=2007, series=("The Kingkiller Chronicle", 1)
    )
    notw_asin = make_asin(next(n))
    notw_a = b.edition(notw, AUDIO, asin=notw_asin, audio_seconds=100_000)
    b.shelve(notw, PAUSED, notw_a, {"started_at": "2026-03-01", "progress_seconds": 30_000})
    b.item("The Name of the Wind", ["Patrick Rothfuss"], duration=100_000, asin=notw_asin)
    b.listen("The Name of the Wind", 0.6, started="2026-03-01", updated="2026-11-11")
    case("The Name of the Wind", "P8 Paused on Hardcover (held)", "linked", "Hold:P8", notw, notw_a)

    ij = b.book("Infinite Jest", ["David Foster Wallace"], year=1996)
    ij_asin = make_asin(next(n))
    ij_a = b.edition(ij, AUDIO, asin=ij_asin, audio_seconds=202_000)
    b.shelve(ij, DID_NOT_FINISH, ij_a, {"started_at": "2026-01-10", "progress_seconds": 20_000})
    b.item("Infinite Jest", ["David Foster Wallace"], duration=202_000, asin=ij_asin)
    b.listen("Infinite Jest", 0.15, started="2026-01-10", updated="2026-11-05")
    case("Infinite Jest", "P8 Did Not Finish on Hardcover (held)", "linked", "Hold:P8", ij, ij_a)

    rec = b.book("Recursion", ["Blake Crouch"], year=2019)
    rec_asin = make_asin(next(n))
    rec_a = b.edition(rec, AUDIO, asin=rec_asin, audio_seconds=39_000)
    b.shelve(rec, READING, rec_a, {"started_at": "2026-08-01", "progress_seconds": 27_300})
    b.item("Recursion", ["Blake Crouch"], duration=39_000, asin=rec_asin)
    b.listen("Recursion", 0.4, started="2026-08-01", updated="2026-11-23")
    case("Recursion", "P5 progress regression (ABS behind Hardcover, held)", "linked", "Hold:P5", rec, rec_a)

    ml = b.book("The Midnight Library", ["Matt Haig"], year=2020)
    ml_asin = make_asin(next(n))
    ml_a = b.edition(ml, AUDIO, asin=ml_asin, audio_seconds=31_000)
    b.shelve(ml, READING, ml_a, {"started_at": "2026-10-25", "progress_seconds": 6_200})
    b.item("The Midnight Library", ["Matt Haig"], duration=31_000, asin=ml_asin)
    b.listen("The Midnight Library", 0.45, started="2026-10-25", updated="2026-11-24")
    case(
        "The Midnight Library",
        "P11 the open read is updated (never a second one)",
        "linked",
        "SetProgress",
        ml,
        ml_a,
    )

    circe = b.book("Circe", ["Madeline Miller"], year=2018)
    circe_asin = make_asin(next(n))
    circe_a = b.edition(circe, AUDIO, asin=circe_asin, audio_seconds=44_000)
    b.shelve(circe, READING, circe_a, {"started_at": "2026-11-01", "progress_seconds": 22_000})
    b.item("Circe", ["Madeline Miller"], duration=44_000, asin=circe_asin)
    b.listen("Circe", 0.5, started="2026-11-01", updated="2026-11-13")
    case("Circe", "P4 Hardcover already shows this progress", "linked", "Skip", circe, circe_a)

    bab = b.book("Babel", ["R. F. Kuang"], year=2022)
    bab_asin = make_asin(next(n))
    bab_a = b.edition(bab, AUDIO, asin=bab_asin, audio_seconds=79_000)
    b.item("Babel", ["R. F. Kuang"], duration=79_000, asin=bab_asin)
    b.listen("Babel", 0.03, started="2026-11-24", updated="2026-11-25")
    case("Babel", "P3 below 5 % (nothing written)", "linked", "Skip:P3", bab, bab_a)

    hyp = b.book("Hyperion", ["Dan Simmons"], year=1989, series=("Hyperion Cantos", 1))
    hyp_asin = make_asin(next(n))
    hyp_a = b.edition(hyp, AUDIO, asin=hyp_asin, audio_seconds=76_000)
    b.shelve(hyp, WANT_TO_READ, None)
    b.item("Hyperion", ["Dan Simmons"], duration=76_000, asin=hyp_asin)
    b.listen("Hyperion", 0.2, started="2026-11-05", updated="2026-11-22")
    case(
        "Hyperion",
        "P7 Want to Read now being listened to (→ Currently Reading)",
        "linked",
        "SetStatus",
        hyp,
        hyp_a,
    )

    sp = b.book("The Silent Patient", ["Alex Michaelides"], year=2019)
    sp_asin = make_asin(next(n))
    sp_a = b.edition(sp, AUDIO, asin=sp_asin, audio_seconds=30_000)
    b.item("The Silent Patient", ["Alex Michaelides"], duration=30_000, asin=sp_asin)
    b.listen("The Silent Patient", 0.5, started="2026-11-06", updated="2026-11-16")
    b.progress[-1]["progress"] = 0.0  # ABS left the stored fraction at 0: P1 falls back to currentTime
    case("The Silent Patient", "P1 stored progress 0, currentTime set", "linked", "AddToShelf", sp, sp_a)

    # --- not a book -----------------------------------------------------------------------------
    b.podcasts.append(
        {
            "title": "The Reading Room",
            "author": "Demo Host",
            "episodes": [{"id": "ep-demo-1", "title": "Episode 1", "duration": 1800}],
        }
    )
    b.progress.append(
        {
            "username": b.abs_user,
            "title": "The Reading Room",
            "episodeId": "ep-demo-1",
            "currentTime": 900,
            "duration": 1800,
            "progress": 0.5,
            "startedAt": ms("2026-11-01"),
            "lastUpdate": ms("2026-11-01", 18),
        }
    )
    case("The Reading Room", "podcast episode progress (skipped)", "skipped")
    return b, cases


_BUILDER, DEMO_EXPECTED = _build_demo()
DEMO_CASES: dict[str, str] = {title: c.rule for title, c in DEMO_EXPECTED.items()}


def demo_fixture() -> dict[str, Any]:
    """A fresh, complete sandbox fixture for the demo (every call builds an independent copy)."""
    return _build_demo()[0].fixture()
