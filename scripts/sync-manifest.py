#!/usr/bin/env python3
"""Write the settings part of package.json from the Python declaration of the settings.

`contributes.configuration.properties` gets one `promptSalience.<key>` per setting the editor
offers (`pyserver/prompt_salience/settings.py`), with its type, allowed values, bounds, default,
scope and description, in the declaration's order; the client-only keys (`interpreter`,
`trace.server`) stay as written, first and last. `restrictedConfigurations` lists the client's
interpreter and the restricted settings. Idempotent; `--check` changes nothing and exits 1
when package.json is out of date (tests/test_manifest.py checks the same).

It also writes the README's settings table (between its two markers) from the same properties,
so the settings a user reads there are the manifest's (tests/test_readme_settings.py checks it).

Usage: .venv/bin/python scripts/sync-manifest.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from prompt_salience.lsp.protocol import SETTINGS_SECTION
from prompt_salience.lsp.settings import wire_keys
from prompt_salience.settings import Setting, editor_settings

MANIFEST = Path(__file__).resolve().parent.parent / "package.json"
README = MANIFEST.parent / "README.md"
TABLE_START = "<!-- settings table: written by scripts/sync-manifest.py from package.json -->"
TABLE_END = "<!-- end of the settings table -->"
FIRST_CLIENT_KEYS = ("interpreter",)  # the client's own settings, before the server's
LAST_CLIENT_KEYS = ("trace.server",)  # ... and after them
_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def property_of(setting: Setting) -> dict[str, Any]:
    """The JSON-schema property VS Code shows for one setting."""
    schema: dict[str, Any] = {"type": _JSON_TYPES[setting.value_type]}
    if setting.choices:
        schema["enum"] = list(setting.choices)
        if setting.choice_descriptions:
            schema["enumDescriptions"] = list(setting.choice_descriptions)
    if setting.minimum is not None:
        schema["minimum"] = setting.minimum
    if setting.maximum is not None:
        schema["maximum"] = setting.maximum
    schema["default"] = setting.default
    if setting.machine_scope:
        schema["scope"] = "machine-overridable"
    description = setting.description
    if setting.front_matter:
        description += f" A prompt file's `{setting.name}:` wins."
    if setting.editor_note:
        description += f" {setting.editor_note}"
    schema["markdownDescription"] = description
    return schema


def synced(manifest: dict[str, Any]) -> dict[str, Any]:
    """`manifest` with its settings part rewritten from the declaration."""
    configuration = manifest["contributes"]["configuration"]
    old = configuration["properties"]
    keys = wire_keys()

    def client(names: tuple[str, ...]) -> dict[str, Any]:
        named = (f"{SETTINGS_SECTION}.{name}" for name in names)
        return {key: old[key] for key in named if key in old}

    server = {
        f"{SETTINGS_SECTION}.{keys[setting.name]}": property_of(setting)
        for setting in editor_settings()
    }
    configuration["properties"] = {
        **client(FIRST_CLIENT_KEYS),
        **server,
        **client(LAST_CLIENT_KEYS),
    }
    untrusted = manifest["capabilities"]["untrustedWorkspaces"]
    untrusted["restrictedConfigurations"] = [
        *(f"{SETTINGS_SECTION}.{key}" for key in FIRST_CLIENT_KEYS),
        *(f"{SETTINGS_SECTION}.{keys[s.name]}" for s in editor_settings() if s.restricted),
    ]
    return manifest


def manifest_text(manifest: dict[str, Any]) -> str:
    """package.json as npm writes it (two-space indent, a final newline)."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def settings_table(manifest: dict[str, Any]) -> str:
    """The README's table: each setting's key, default and description, as VS Code shows them."""
    rows = ["| setting | default | what it does |", "| --- | --- | --- |"]
    for key, schema in manifest["contributes"]["configuration"]["properties"].items():
        text = schema.get("markdownDescription") or schema.get("description", "")
        if "enum" in schema:
            text += " One of " + ", ".join(f"`{choice}`" for choice in schema["enum"]) + "."
        default = json.dumps(schema.get("default"), ensure_ascii=False)
        cell = text.replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{key}` | `{default}` | {cell} |")
    return "\n".join(rows)


def readme_text(readme: str, manifest: dict[str, Any]) -> str:
    """`readme` with the text between the table's markers replaced by the settings table."""
    start = readme.index(TABLE_START) + len(TABLE_START)
    end = readme.index(TABLE_END)
    return readme[:start] + "\n" + settings_table(manifest) + "\n" + readme[end:]


def main(argv: list[str]) -> int:
    current = MANIFEST.read_text(encoding="utf-8")
    wanted = manifest_text(synced(json.loads(current)))
    readme = README.read_text(encoding="utf-8")
    wanted_readme = readme_text(readme, json.loads(wanted))
    if wanted == current and wanted_readme == readme:
        print("package.json and the README's table: the settings agree with the declaration.")
        return 0
    if "--check" in argv:
        print(
            "package.json or README.md is out of date: run scripts/sync-manifest.py",
            file=sys.stderr,
        )
        return 1
    if wanted != current:
        MANIFEST.write_text(wanted, encoding="utf-8")
    if wanted_readme != readme:
        README.write_text(wanted_readme, encoding="utf-8")
    print("package.json and the README's table: settings written from the declaration.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
