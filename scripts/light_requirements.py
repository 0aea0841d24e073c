"""The TensorFlow-free install of prompt-salience, derived from pyproject.toml (one list).

keras-hub is a declared dependency, so a plain `pip install` works. But keras-hub declares
tensorflow-text, which pulls TensorFlow (about 2 GB, and +2 s at import) that the JAX path never
uses. Our scripts and the extension's Install button therefore install in three steps:
  1. `pip install --no-deps -r no-deps.txt`    keras-hub alone (the `no-deps` list);
  2. `pip install -r requirements.txt`          every other declared requirement (`others`);
  3. `pip install --no-deps <the package>`      the package itself.
keras-hub's own requirements besides tensorflow-text are declared by us too, so nothing is
missing after step 3.

Usage: python scripts/light_requirements.py no-deps|others [--extra NAME ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WITHOUT_DEPS = {"keras-hub"}  # installed alone: see the docstring


def requirement_name(line: str) -> str:
    """The normalised distribution name of a requirement line (`Keras_Hub==1` -> `keras-hub`)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    if match is None:
        raise ValueError(f"not a requirement: {line!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def lists(extras: list[str]) -> dict[str, list[str]]:
    """{"no-deps": [...], "others": [...]} from pyproject.toml's dependencies and `extras`."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared: list[str] = list(project["dependencies"])
    for extra in extras:
        declared += project["optional-dependencies"][extra]
    alone = [line for line in declared if requirement_name(line) in WITHOUT_DEPS]
    others = [line for line in declared if requirement_name(line) not in WITHOUT_DEPS]
    return {"no-deps": alone, "others": others}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["no-deps", "others"])
    parser.add_argument("--extra", action="append", default=[])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    text = "".join(f"{line}\n" for line in lists(args.extra)[args.which])
    if args.out is not None:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
