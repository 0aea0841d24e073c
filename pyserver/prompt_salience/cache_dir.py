"""Where converted models and compiled programs are cached (outside the repository)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root(override: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: the argument, $PROMPT_SALIENCE_CACHE, $XDG_CACHE_HOME or ~/.cache."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("PROMPT_SALIENCE_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "prompt-salience"
