"""The layers of docs/architecture.md, checked on the source: each package imports only what its
layer may (read with `ast`, nothing is imported or run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pyserver" / "prompt_salience"

# Which of our own top-level parts each part may import (docs/architecture.md, "Layers").
VALUES = {"errors", "missing_module", "results", "cache_dir"}
ALLOWED: dict[str, set[str]] = {
    "models": VALUES,
    "salience": VALUES | {"models"},
    "report": VALUES,
    "prompt": VALUES | {"settings"},
    "engine": VALUES | {"prompt", "salience", "models", "settings"},
    "settings": VALUES | {"salience", "engine", "models", "report"},
    "lsp": VALUES | {"engine", "prompt", "report", "settings", "salience", "models", "__init__"},
}
# Third-party packages that only one part may import.
ONLY_IN = {"keras": "models", "keras_hub": "models", "pygls": "lsp", "lsprotocol": "lsp"}


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules `path` imports (relative imports resolved)."""
    module = ["prompt_salience", *path.relative_to(PACKAGE).with_suffix("").parts]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module[: len(module) - node.level]
                name = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # `from . import x`: x is a module
                    names.update(f"{name}.{alias.name}" for alias in node.names)
                    continue
                names.add(name)
            elif node.module is not None:
                names.add(node.module)
    return names


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_what_its_layer_may(path: Path) -> None:
    part = _part(path)
    for name in _imports(path):
        top, _, rest = name.partition(".")
        owner = ONLY_IN.get(top)
        assert owner is None or owner == part, f"{name} may only be imported in {owner}/"
        if top != "prompt_salience" or part not in ALLOWED:
            continue
        target = rest.split(".")[0] if rest else "__init__"
        if not (PACKAGE / target).is_dir() and not (PACKAGE / f"{target}.py").is_file():
            target = "__init__"  # a name of the package itself (`__version__`)
        assert target == part or target in ALLOWED[part], f"{part} may not import {name}"


def test_the_check_reads_relative_imports() -> None:
    """The resolver itself: a relative import from a subpackage names the right module."""
    imported = _imports(PACKAGE / "lsp" / "handlers" / "commands.py")
    assert "prompt_salience.lsp.language_server" in imported
