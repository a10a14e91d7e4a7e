"""The demo items that show the progress rules (DESIGN P1-P11) and a podcast episode that is skipped:
one function per kind, called after the matching ones by :func:`bookrelay.sandbox.demo_data.build_demo`."""

from __future__ import annotations

from bookrelay.sandbox.demo_data.builder import (
    AUDIO,
    DID_NOT_FINISH,
    PAUSED,
    READ,
    READING,
    WANT_TO_READ,
    make_asin,
    ms,
)
from bookrelay.sandbox.demo_data.cases import DemoBook


def finishes(demo: DemoBook) -> None:
    """P6: finished by the source's flag, or by 97 % without it."""
    b, n, case = demo.builder, demo.numbers, demo.case
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


def rereads(demo: DemoBook) -> None:
    """P9: a re-read after a finished read, and a book finished on both sides."""
    b, n, case = demo.builder, demo.numbers, demo.case
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


def holds(demo: DemoBook) -> None:
    """P5/P8: progress held by a status set on Hardcover or by a regression."""
    b, n, case = demo.builder, demo.numbers, demo.case
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


def progress_writes(demo: DemoBook) -> None:
    """P1/P3/P4/P7/P11: which progress is written, and how."""
    b, n, case = demo.builder, demo.numbers, demo.case
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


def podcast(demo: DemoBook) -> None:
    """Not a book: podcast episode progress is never collected."""
    b, case = demo.builder, demo.case
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
