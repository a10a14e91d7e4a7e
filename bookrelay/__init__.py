"""bookrelay: keeps a reader's book life in sync around Hardcover."""

__version__ = "0.1.0"
