"""What ships: the licence the manifests declare is in the repository and in the .vsix, and a
plain `pip install` as well as the scripts' TensorFlow-free install get every module."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from script_modules import load_script

ROOT = Path(__file__).resolve().parent.parent


def test_the_declared_licence_is_the_license_file_and_ships() -> None:
    declared = json.loads((ROOT / "package.json").read_text())["license"]
    python = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == python == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    build = (ROOT / "scripts" / "setup-extension.sh").read_text()
    assert "--skip-license" not in build
    assert "!LICENSE" in (ROOT / ".vscodeignore").read_text().splitlines()


def _light_lists() -> dict[str, list[str]]:
    lists: dict[str, list[str]] = load_script("light_requirements.py").lists([])
    return lists


def test_keras_hub_is_declared_and_the_light_install_leaves_out_only_its_dependencies() -> None:
    """A plain `pip install` must get keras-hub; the scripts' TensorFlow-free path installs the
    same requirements, keras-hub without its own, and the .vsix carries those lists."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(line.startswith("keras-hub==") for line in declared)
    lists = _light_lists()
    assert lists["no-deps"] == [line for line in declared if line.startswith("keras-hub")]
    assert sorted(lists["no-deps"] + lists["others"]) == sorted(declared)
    bundle = ROOT / "dist" / "python"
    assert (bundle / "no-deps.txt").read_text().splitlines() == lists["no-deps"]
    assert (bundle / "requirements.txt").read_text().splitlines() == lists["others"]


@pytest.mark.slow  # a fresh venv and pip's resolver over the wheel (about 20-40 s)
def test_a_plain_pip_install_of_the_wheel_resolves_keras_hub_and_everything_it_needs(
    tmp_path: Path,
) -> None:
    wheels = sorted((ROOT / "dist" / "python").glob("prompt_salience-*.whl"))
    assert wheels, "no wheel: run scripts/setup.sh"
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "env")], check=True)
    python = tmp_path / "env" / "bin" / "python"
    report = tmp_path / "report.json"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--dry-run",
            "--report",
            str(report),
            str(wheels[-1]),
        ],
        check=True,
        timeout=600,
    )
    names = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    for needed in ("prompt-salience", "keras-hub", "keras", "jax", "tensorflow-text", "pygls"):
        assert needed in names, (needed, sorted(names))
