"""The demo items that show matching (DESIGN M3-M5): one function per kind, called in this order by
:func:`bookrelay.sandbox.demo_data.build_demo` (the order numbers books, editions and identifiers)."""

from __future__ import annotations

from bookrelay.sandbox.demo_data.builder import (
    AUDIO,
    EBOOK,
    PRINT,
    READING,
    make_asin,
    make_isbn10,
    make_isbn13,
    spoil_checksum,
)
from bookrelay.sandbox.demo_data.cases import DemoBook


def identifier_forms(demo: DemoBook) -> None:
    """M3: the forms an identifier is written in (ASIN, ISBN-10, case, hyphens, the wrong field)."""
    b, n, case = demo.builder, demo.numbers, demo.case
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


def identifier_traps(demo: DemoBook) -> None:
    """M3/M5: identifiers that must not be taken at their word (checksum, Kindle or print id, wrong title)."""
    b, n, case = demo.builder, demo.numbers, demo.case
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


def titles_and_series(demo: DemoBook) -> None:
    """M4: search without identifiers: author initials, series name and number around the title."""
    b, case = demo.builder, demo.case
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


def subtitles_and_suffixes(demo: DemoBook) -> None:
    """M4: a subtitle on one side only, edition suffixes and "A Novel"."""
    b, case = demo.builder, demo.case
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


def translations_and_spelling(demo: DemoBook) -> None:
    """M4: a translated title, co-authors in another order, punctuation."""
    b, case = demo.builder, demo.case
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


def search_limits(demo: DemoBook) -> None:
    """M3/M4: a plain ISBN hit, then what search must not link (middling, look-alike, absent)."""
    b, n, case = demo.builder, demo.numbers, demo.case
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


def editions_by_length_and_shelf(demo: DemoBook) -> None:
    """M5: the audio edition closest in length, and the edition already read on Hardcover (kept)."""
    b, n, case = demo.builder, demo.numbers, demo.case
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


def editions_with_pages(demo: DemoBook) -> None:
    """M5: page progress where the audio edition has no length, and an ebook-only item."""
    b, n, case = demo.builder, demo.numbers, demo.case
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
