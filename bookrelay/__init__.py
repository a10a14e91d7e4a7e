"""bookrelay: keeps a reader's book life in sync around Hardcover."""

import sys

__version__ = "0.1.0"

# httpx imports its own command-line client (click, rich and pygments: about 5 MiB) whenever they are
# installed, and bookrelay never runs it; a None entry makes that optional import fail the way httpx
# expects (its ``main`` then only explains how to install the extra).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
