"""Matching: which Hardcover book and edition a source item is (rules M1-M5 in docs/rules.md).

Every matching rule lives in this package; a reader starts here.

Pure parts (no I/O):

- ``outcome.py``: the words matching speaks in: :class:`~bookrelay.matching.outcome.MatchOutcome`
  (linked / conflict / unmatched, and the stored ``ignored`` and the one-run ``failed``),
  ``LinkMethod`` and ``CacheKind``; the store maps them onto its columns.
- ``score.py``: M3's identifier-hit check (``identifier_hit_agrees``) and M4's explainable score and
  its link / conflict / unmatched decision (``score_candidate``, ``decide``), length holds included.
- ``titles.py``: M4's one title normaliser: edition words, series wrappers, track numbers, the item's
  author before a dash, orthography, volume numbers; and what the catalogue is asked (the exact-title
  variants and the ``search`` text).
- ``authors.py``: M4's author names: several in one string, one person however written, never the same
  on a shared surname alone. ``text.py``: the folding titles and names share.
- ``editions.py``: M5, the edition progress goes on (and the page fallback).
- Identifiers are read and normalised (M3) and hashed (M2, M4) in ``domain/identifiers.py``, which the
  enrich job, the sources and the reports share.

The pipeline (Hardcover and the lookup cache are passed in; nothing here builds a client):

- ``pipeline.py``: :class:`~bookrelay.matching.pipeline.Resolver`, M1 pins, M2 earlier links, M3 the
  shelf then the catalogue by identifiers, M4 exact titles then ``search``, in batches.
- ``settle.py``: what a match makes of an item: the M5 edition, M3's "points elsewhere", the conflict's
  candidates, the unmatched item's retry time.
- ``author_books.py``: M4's second try, the author's books. ``resolution.py``: the result the jobs read.

This module imports nothing, so that the store can load ``outcome.py`` without the scorer.
"""
