"""A faithful fake of Audible's API for the sandbox and the tests (ref Part C)."""

from bookrelay.sandbox.audible.app import build_audible_app
from bookrelay.sandbox.audible.fixture import new_device_auth
from bookrelay.sandbox.audible.state import AudibleState

__all__ = ["AudibleState", "build_audible_app", "new_device_auth"]
