"""``python -m bookrelay``."""

from bookrelay.cli.main import run

run()
