"""A module that is not installed, said in one line with the command that installs it."""

from __future__ import annotations

import re
import shlex
import sys
from importlib import metadata

from .errors import PromptSalienceError

DISTRIBUTION = "prompt-salience"
# Modules whose distribution is not named after them.
_DISTRIBUTION_OF = {"yaml": "pyyaml", "google": "protobuf", "attr": "attrs"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> dict[str, str]:
    """Our declared requirements by normalised distribution name (empty when not installed)."""
    try:
        lines = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return {}
    found: dict[str, str] = {}
    for line in lines:
        if "extra ==" in line:
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match is not None:
            found[_normalise(match.group(1))] = line.split(";")[0].strip()
    return found


def requirement_for(module: str) -> str:
    """The pip requirement that provides `module` (ours, pinned as declared, when we declare it)."""
    top = module.split(".")[0]
    name = _normalise(_DISTRIBUTION_OF.get(top, top))
    return _declared().get(name, name)


def missing_module_error(error: ModuleNotFoundError) -> PromptSalienceError:
    """The problem and the fix for a module that could not be imported."""
    module = (error.name or "a module").split(".")[0]  # the package a user installs
    python = shlex.quote(sys.executable)
    return PromptSalienceError(
        f"The Python module {module!r} is not installed in {sys.executable}.",
        f"run `{python} -m pip install {shlex.quote(requirement_for(module))}` "
        "(or scripts/setup.sh in a checkout, or Install in the editor).",
    )
