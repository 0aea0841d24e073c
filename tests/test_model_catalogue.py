"""The model picker's facts without a server: Kaggle credentials from the environment (where
the editor puts the ones it keeps), preset folders, and the front-matter value's quoting."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from prompt_salience.errors import ModelError
from prompt_salience.lsp.model_choices import error_kind, preset_choice, yaml_scalar
from prompt_salience.models.kaggle_access import KaggleCredentialsError, require_credentials
from prompt_salience.models.model_catalogue import (
    KnownPreset,
    check_preset_folder,
    kaggle_credentials_present,
)


@pytest.fixture
def no_kaggle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path))
    return monkeypatch


def test_credentials_come_from_the_environment(no_kaggle: pytest.MonkeyPatch) -> None:
    assert kaggle_credentials_present() is False
    with pytest.raises(KaggleCredentialsError) as caught:
        require_credentials("gemma2_2b_en")
    assert error_kind(caught.value) == "kaggleCredentials"
    assert error_kind(ModelError("other", "fix")) == ""
    no_kaggle.setenv("KAGGLE_USERNAME", "ada")
    no_kaggle.setenv("KAGGLE_KEY", "0123456789abcdef")
    assert kaggle_credentials_present() is True
    require_credentials("gemma2_2b_en")


def test_a_preset_is_marked_by_the_credentials() -> None:
    preset = KnownPreset("gemma3_1b", "1 billion parameter model.", 999_885_952, "kaggle://x")
    present, missing = preset_choice(preset, True), preset_choice(preset, False)
    assert (present.available, missing.available) == (True, False)
    assert "present" in present.note
    assert "needs Kaggle credentials" in missing.note
    assert missing.description == "1.0B parameters · 1 billion parameter model."


def test_a_preset_folder_needs_a_readable_config(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a folder"):
        check_preset_folder(str(tmp_path / "absent"))
    with pytest.raises(ModelError, match=r"holds no config\.json"):
        check_preset_folder(str(tmp_path))
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelError, match="could not be read as JSON"):
        check_preset_folder(str(tmp_path))
    (tmp_path / "config.json").write_text("{}")
    assert check_preset_folder(str(tmp_path)) == tmp_path


@pytest.mark.parametrize(
    "value",
    ["gemma3_1b", "a:gemma3_270m", "/m/my preset: v2", "~/p#1", "it's", "yes", "~", "1.0", "-x"],
)
def test_the_front_matter_value_reads_back_the_same(value: str) -> None:
    assert yaml.safe_load(f"model: {yaml_scalar(value)}") == {"model": value}
