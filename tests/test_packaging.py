"""What ships: the licence the manifests declare is in the repository and in the .vsix."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_declared_licence_is_the_license_file_and_ships() -> None:
    declared = json.loads((ROOT / "package.json").read_text())["license"]
    python = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert declared == python == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    build = (ROOT / "scripts" / "setup-extension.sh").read_text()
    assert "--skip-license" not in build
    assert "!LICENSE" in (ROOT / ".vscodeignore").read_text().splitlines()
