"""The fast copy of a loaded model (`models/weight_store.py`): the same bits and logits as
keras-hub's own loading, and a copy that is partial, damaged or stale is never loaded.

The damage tests use a tiny random Gemma (the file plumbing); the equality test uses the
real embedded model.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prompt_salience.cache_dir import cache_root
from prompt_salience.models import loader, weight_store
from prompt_salience.models.embedded import embedded_preset_dir
from prompt_salience.models.language_model import GemmaLM, ModelInfo
from prompt_salience.models.model_spec import ModelSpec
from prompt_salience.models.tokenizer import GemmaTokenizer
from prompt_salience.models.weight_store import StoreError, read_store, write_store
from tiny_models import tiny_gemma3

PROTO = b"not a real SentencePiece model, only bytes to keep"


def _bits(variables: Any) -> list[np.ndarray]:
    """Each weight's raw bytes (bit-level equality, NaNs and signed zeros included)."""
    return [np.asarray(v.value).view(np.uint8) for v in variables]


def _same_bits(a: Any, b: Any) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(_bits(a), _bits(b), strict=True))


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_a_store_reads_back_the_same_config_bits_and_tokenizer(tmp_path: Path, dtype: str) -> None:
    model = tiny_gemma3(seed=3, dtype=dtype)
    write_store(tmp_path / "store", model.backbone, PROTO)
    backbone, proto = read_store(tmp_path / "store")
    assert proto == PROTO
    assert backbone.get_config() == model.backbone.get_config()
    assert [v.path for v in backbone.variables] == [v.path for v in model.backbone.variables]
    assert {str(v.dtype) for v in backbone.variables} == {dtype}
    assert _same_bits(backbone.variables, model.backbone.variables)
    # Nothing is left queued for keras' deferred initialization (it would overwrite weights).
    from keras.src.backend.common import global_state

    pending = global_state.get_global_attribute("uninitialized_variables") or []
    assert not {id(v) for v in backbone.variables} & {id(v) for v in pending}


def _damage_truncated(folder: Path) -> None:
    with open(folder / weight_store.WEIGHTS, "r+b") as handle:
        handle.truncate((folder / weight_store.WEIGHTS).stat().st_size - 100)


def _damage_zeroed_tail(folder: Path) -> None:
    """A torn write keeps the size (the file was extended) but not the last bytes."""
    manifest = json.loads((folder / weight_store.MANIFEST).read_text())
    entry = manifest["weights"][-1]
    with open(folder / weight_store.WEIGHTS, "r+b") as handle:
        handle.seek(entry["offset"] + entry["nbytes"] - 8)
        handle.write(b"\0" * 8)


def _damage_no_marker(folder: Path) -> None:
    (folder / weight_store.COMPLETE).unlink()


def _damage_edited_manifest(folder: Path) -> None:
    manifest = json.loads((folder / weight_store.MANIFEST).read_text())
    manifest["weights"][0]["shape"] = [1]
    (folder / weight_store.MANIFEST).write_text(json.dumps(manifest))


def _damage_old_version(folder: Path) -> None:
    marker = json.loads((folder / weight_store.COMPLETE).read_text())
    marker["version"] = weight_store.STORE_VERSION - 1
    (folder / weight_store.COMPLETE).write_text(json.dumps(marker))


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_damage_truncated, "bytes, expected"),
        (_damage_zeroed_tail, "checksum"),
        (_damage_no_marker, "incomplete"),
        (_damage_edited_manifest, "does not match its marker"),
        (_damage_old_version, "store version"),
    ],
)
def test_a_damaged_store_is_refused(tmp_path: Path, damage: Any, says: str) -> None:
    model = tiny_gemma3(seed=1)
    folder = tmp_path / "store"
    write_store(folder, model.backbone, PROTO)
    damage(folder)
    with pytest.raises(StoreError, match=says):
        read_store(folder)


def test_an_interrupted_write_leaves_nothing_and_the_next_write_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tiny_gemma3(seed=2)
    folder = tmp_path / "store"
    real_write = weight_store._write_weights

    def interrupted(path: Path, variables: Any) -> Any:
        real_write(path, variables[:2])  # half the weights on disk, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(weight_store, "_write_weights", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_store(folder, model.backbone, PROTO)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".store.lock"]
    # A killed process leaves its temporary folder: the next writer removes it.
    (tmp_path / ".store.tmp-killed" / "store").mkdir(parents=True)
    monkeypatch.setattr(weight_store, "_write_weights", real_write)
    write_store(folder, model.backbone, PROTO)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".store.lock", "store"]
    assert _same_bits(read_store(folder)[0].variables, model.backbone.variables)


def test_a_re_saved_local_preset_gets_a_new_copy(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    before = weight_store.source_key(str(tmp_path))
    (tmp_path / "model.weights.h5").write_text("new weights")
    after = weight_store.source_key(str(tmp_path))
    assert before != after
    assert weight_store.store_folder(tmp_path, before, "float32") != weight_store.store_folder(
        tmp_path, after, "float32"
    )
    assert weight_store.store_folder(tmp_path, after, "float32") != weight_store.store_folder(
        tmp_path, after, "bfloat16"
    )


# --- through the loader, on a local preset folder -------------------------------------------------


@pytest.fixture
def tiny_preset(tmp_path: Path) -> Path:
    """A keras-hub preset folder: a tiny Gemma 3 with the embedded model's tokenizer files."""
    model = tiny_gemma3(seed=4)
    folder = tmp_path / "tiny-preset"
    model.backbone.save_to_preset(str(folder))
    embedded = embedded_preset_dir(cache_root())
    if not (embedded / "tokenizer.json").is_file():
        pytest.skip("the embedded model is not converted yet (its tokenizer is borrowed)")
    shutil.copy(embedded / "tokenizer.json", folder / "tokenizer.json")
    shutil.copytree(embedded / "assets", folder / "assets")
    return folder


def test_the_loader_keeps_a_fast_copy_uses_it_and_falls_back_when_it_is_damaged(
    tiny_preset: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The session's JAX compilation cache stays where it is (not in this test's folder).
    monkeypatch.setattr(loader, "configure_jax", lambda cache, precision: None)
    cache = tmp_path / "cache"
    spec = ModelSpec("tiny", "local", str(tiny_preset))

    def load() -> tuple[Any, list[str]]:
        said: list[str] = []
        return loader.load_model(spec, precision="float32", cache=cache, report=said.append), said

    first, said = load()
    assert any(s.startswith("Loading weights from") and str(tiny_preset) in s for s in said)
    assert "Keeping a fast copy in the cache" in said
    stored = list((cache / "models" / "fast").glob("tiny-preset-*-float32-s*"))
    assert len(stored) == 1

    second, said = load()
    assert "Loading weights from the cache" in said
    assert not any(str(tiny_preset) in s for s in said)
    assert _same_bits(second.backbone.variables, first.backbone.variables)

    _damage_zeroed_tail(stored[0])
    with caplog.at_level(logging.WARNING, logger="prompt_salience.models.loader"):
        third, said = load()
    assert "checksum" in caplog.text
    assert "loading the preset" in caplog.text
    assert any(str(tiny_preset) in s for s in said)  # loaded from the preset again
    assert _same_bits(third.backbone.variables, first.backbone.variables)
    # ... and the damaged copy was replaced by a good one.
    fourth, said = load()
    assert "Loading weights from the cache" in said
    assert _same_bits(fourth.backbone.variables, first.backbone.variables)


# --- the real embedded model ------------------------------------------------------------------------


def _logits(model: GemmaLM, ids: list[int]) -> np.ndarray:
    tokens = jnp.asarray([ids], jnp.int32)
    mask = jnp.ones_like(tokens)
    positions = jnp.arange(len(ids), dtype=jnp.int32)

    def forward(weights: list[jax.Array]) -> jax.Array:
        return model.span_logits(weights, model.embed(weights, tokens), mask, positions)

    return np.asarray(jax.jit(forward)(model.weights))


def test_the_fast_copy_of_the_embedded_model_gives_bit_identical_logits(real_model: Any) -> None:
    """The copy the session loaded from, against keras-hub's loading of the converted preset."""
    cache = cache_root()
    folder = weight_store.store_folder(cache, embedded_preset_dir(cache).name, "float32")
    assert (folder / weight_store.COMPLETE).is_file(), "loading the model kept no fast copy"
    stored, proto = read_store(folder)
    from_preset, preset_proto = loader._load_preset(
        str(embedded_preset_dir(cache)), "float32", lambda m: None
    )
    assert proto == preset_proto
    assert _same_bits(stored.variables, from_preset.variables)
    info = ModelInfo("gemma3_270m", "gemma3", 32768, "float32", 0)
    tokenizer = GemmaTokenizer(proto)
    ids = [tokenizer.bos_id, *tokenizer.encode("The menu says: grilled cheese").ids]
    a = _logits(GemmaLM(stored, tokenizer, info), ids)
    b = _logits(GemmaLM(from_preset, tokenizer, info), ids)
    assert a.shape == (1, len(ids), 262144)
    assert np.array_equal(a, b)
