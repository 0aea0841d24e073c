"""The README's settings table is the manifest's settings, as scripts/sync-manifest.py writes it:
one source (pyserver/prompt_salience/settings.py, through package.json) for what users read.
When this fails after a change to a setting: run scripts/sync-manifest.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from script_modules import load_script

ROOT = Path(__file__).resolve().parent.parent


def _sync_script() -> ModuleType:
    return load_script("sync-manifest.py")


def test_the_readme_settings_table_is_what_the_sync_script_writes() -> None:
    script = _sync_script()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    manifest = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    assert script.readme_text(readme, manifest) == readme, "run scripts/sync-manifest.py"


def test_the_table_has_one_row_per_manifest_setting_with_its_default() -> None:
    script = _sync_script()
    manifest = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    rows = [line for line in script.settings_table(manifest).splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(properties)
    model = next(row for row in rows if row.startswith("| `promptSalience.model`"))
    assert '`"gemma3_270m"`' in model
    method = next(row for row in rows if row.startswith("| `promptSalience.method`"))
    assert "`segment_ablation`" in method
