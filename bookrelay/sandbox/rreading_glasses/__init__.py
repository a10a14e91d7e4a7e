"""A faithful fake of rreading-glasses in Hardcover mode for the sandbox and the tests."""

from bookrelay.sandbox.rreading_glasses.app import build_rrg_app
from bookrelay.sandbox.rreading_glasses.state import MetadataDown, RrgState

__all__ = ["MetadataDown", "RrgState", "build_rrg_app"]
