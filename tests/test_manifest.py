"""package.json's settings agree with the Python declaration (prompt_salience/settings.py),
and the declaration agrees with the registries, the front-matter and the methods' options.

When one of these fails after a change to the declaration: run scripts/sync-manifest.py.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lsprotocol.converters import get_converter

from prompt_salience.engine.case_run import RunSettings
from prompt_salience.lsp.settings import read_settings, wire_keys
from prompt_salience.prompt import front_matter
from prompt_salience.prompt.parsed_prompt import PromptSettings
from prompt_salience.salience.registry import methods
from prompt_salience.settings import Settings, declared_settings, editor_settings
from script_modules import load_script

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "package.json"
SECTION = "promptSalience."
CLIENT_ONLY = {"promptSalience.interpreter", "promptSalience.trace.server"}


def _sync_script() -> ModuleType:
    return load_script("sync-manifest.py")


def _manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return manifest


def _properties() -> dict[str, Any]:
    properties: dict[str, Any] = _manifest()["contributes"]["configuration"]["properties"]
    return properties


def test_package_json_is_what_the_sync_script_writes() -> None:
    script = _sync_script()
    text = MANIFEST.read_text(encoding="utf-8")
    once = script.manifest_text(script.synced(json.loads(text)))
    assert once == text, "package.json is out of date: run scripts/sync-manifest.py"
    assert script.manifest_text(script.synced(json.loads(once))) == once  # idempotent


def test_the_manifest_declares_exactly_the_editor_settings_and_the_client_ones() -> None:
    properties = _properties()
    declared = {SECTION + wire_keys()[s.name] for s in editor_settings()}
    assert set(properties) - CLIENT_ONLY == declared
    assert set(properties) >= CLIENT_ONLY


@pytest.mark.parametrize("setting", editor_settings(), ids=lambda s: s.name)
def test_each_editor_setting_has_the_declared_type_default_and_values(setting: Any) -> None:
    schema = _properties()[SECTION + wire_keys()[setting.name]]
    json_types = {str: "string", int: "integer", float: "number", bool: "boolean"}
    assert schema["type"] == json_types[setting.value_type]
    assert schema["default"] == setting.default
    assert type(schema["default"]) is setting.value_type
    assert schema.get("enum", []) == list(setting.choices)
    assert schema.get("minimum") == setting.minimum
    assert schema.get("maximum") == setting.maximum
    assert setting.checked(schema["default"]) == setting.default  # the default is a good value


def test_the_method_enum_is_the_registry_in_order() -> None:
    schema = _properties()[SECTION + "method"]
    assert schema["enum"] == [cls.name for cls in methods()]
    assert schema["enumDescriptions"] == [cls.description for cls in methods()]


def test_untrusted_workspaces_take_the_restricted_settings_from_the_user_only() -> None:
    restricted = _manifest()["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"]
    wanted = {SECTION + wire_keys()[s.name] for s in editor_settings() if s.restricted}
    assert set(restricted) == wanted | {"promptSalience.interpreter"}


def test_the_wire_keys_are_the_converters_names() -> None:
    """What the manifest calls a setting is what the converter structures into that field."""
    converter = get_converter()
    for setting in editor_settings():
        key = wire_keys()[setting.name]
        value = setting.choices[-1] if setting.choices else _other_value(setting)
        structured = converter.structure({key: value}, Settings)
        assert getattr(structured, setting.name) == value, key


def _other_value(setting: Any) -> object:
    """A good value of `setting` other than its default."""
    if setting.value_type is bool:
        return not setting.default
    return {str: "gemma3_270m" if setting.name == "model" else "tokens", int: 7, float: 0.5}[
        setting.value_type
    ]


def test_front_matter_keys_are_the_declared_front_matter_settings() -> None:
    """The file format reads exactly the declaration's front-matter settings (plus its own
    `description` and `target`), and PromptSettings has a field for each."""
    names = {s.name for s in declared_settings() if s.front_matter}
    assert set(front_matter.SETTING_KEYS) == names | {"description", "target"}
    assert {f.name for f in dataclasses.fields(PromptSettings)} == set(front_matter.SETTING_KEYS)


def test_each_method_option_reads_a_declared_setting_with_its_default() -> None:
    declared = {s.name: s for s in declared_settings()}
    for cls in methods():
        for option in cls.options:
            setting = declared[option.setting]
            assert setting.default == option.default
            assert setting.minimum == option.minimum
            assert cls.options_from(RunSettings()) == {option.name: float(option.default)}


def test_reading_the_editor_settings_keeps_the_previous_value_of_a_bad_one() -> None:
    previous = Settings(max_new_tokens=9, method="grad_dot_input")
    raw = {"promptSalience": {"maxNewTokens": 0, "method": "grad_l3", "maxLength": 300}}
    settings, problems = read_settings(raw, previous)
    assert settings.max_new_tokens == 9
    assert settings.method == "grad_dot_input"
    assert settings.max_length == 300
    assert settings.intensity == Settings().intensity  # left out: the default
    assert len(problems) == 2
    assert problems[0].startswith("Setting `promptSalience.maxNewTokens`: 0 is out of range.")
    assert "Did you mean `grad_l2`?" in problems[1]


def test_a_key_that_is_no_setting_is_reported_with_the_right_spelling() -> None:
    """Another editor's snake_case, or a typo, is named with the key to write instead; keys only
    the editor reads pass silently."""
    raw = {"max_new_tokens": 5, "granularty": "lines", "interpreter": "/usr/bin/python3"}
    settings, problems = read_settings(raw, Settings())
    assert settings.max_new_tokens == Settings().max_new_tokens  # ignored, and said so
    assert problems == [
        "Setting `promptSalience.max_new_tokens` is unknown, so it was ignored. "
        "Fix: Write `maxNewTokens`.",
        "Setting `promptSalience.granularty` is unknown, so it was ignored. "
        "Fix: Write `granularity`.",
    ]


def test_the_protocol_documents_every_editor_setting_with_its_default() -> None:
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    table = text[text.index("## Settings\n") : text.index("## Standard features\n")]
    rows = {
        cells[1].strip("` "): cells[3].strip("` ")
        for cells in (line.split("|") for line in table.splitlines() if line.startswith("| `"))
    }
    assert set(rows) == {wire_keys()[s.name] for s in editor_settings()}
    for setting in editor_settings():
        documented = rows[wire_keys()[setting.name]]
        assert documented == (str(setting.default) if setting.default != "" else '""')


def test_the_extension_activates_on_our_languages_not_on_any_workspace_with_a_prompt_file() -> None:
    """Dotprompt uses `.prompt` too: a workspace that merely contains one must not start a Python
    server (issue 10, defect 6). Our files activate us through their language; commands
    contributed in the manifest activate us on their own."""
    events = _manifest()["activationEvents"]
    assert events == ["onLanguage:prompt-salience", "onLanguage:jsonl"]
