"""A faithful fake of Hardcover's GraphQL API (docs/sandbox-hardcover.md).

``HardcoverState.from_fixture(section, clock=...)`` holds the data, budgets and counters;
``build_hardcover_app(state)`` serves ``POST /v1/graphql`` over it.
"""

from bookrelay.sandbox.hardcover.app import build_hardcover_app
from bookrelay.sandbox.hardcover.limits import Limits
from bookrelay.sandbox.hardcover.state import HardcoverState

__all__ = ["HardcoverState", "Limits", "build_hardcover_app"]
