"""The command line, `prompt-salience` (see `main`)."""

from .main import main

__all__ = ["main"]
