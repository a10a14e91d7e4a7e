"""The Audible source: the ``audible`` package's async client behind our session, api and mapper."""

from bookrelay.connectors.audible.api import AudibleApi
from bookrelay.connectors.audible.mapper import map_library, to_source_item, to_source_progress
from bookrelay.connectors.audible.session import AudibleSession

__all__ = ["AudibleApi", "AudibleSession", "map_library", "to_source_item", "to_source_progress"]
