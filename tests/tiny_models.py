"""Tiny random-weight Gemma models for the maths (never the only test of what a user sees)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import keras_hub

import prompt_salience.models  # noqa: F401  (sets KERAS_BACKEND=jax before keras loads)
from prompt_salience.models.language_model import GemmaLM, ModelInfo


@dataclass
class StubTokenizer:
    """Only what generation needs: the stop ids."""

    bos_id: int = 2
    eos_id: int = 1
    stop_ids: tuple[int, ...] = (1,)


def tiny_gemma3(seed: int = 0, dtype: str = "float32") -> GemmaLM:
    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.Gemma3Backbone(
        vocabulary_size=97,
        image_size=None,
        num_layers=3,
        num_query_heads=2,
        num_key_value_heads=1,
        hidden_dim=24,
        intermediate_dim=48,
        head_dim=12,
        query_head_dim_normalize=True,
        use_query_key_norm=True,
        use_post_ffw_norm=True,
        use_post_attention_norm=True,
        use_sliding_window_attention=True,
        sliding_window_size=16,  # short, so the local layers' window matters in tests
        vision_encoder=None,
        dtype=dtype,
    )
    _randomize(backbone, seed)
    info = ModelInfo("tiny-gemma3", "gemma3", 4096, dtype, int(backbone.count_params()))
    return GemmaLM(backbone, StubTokenizer(), info)  # type: ignore[arg-type]


def tiny_gemma2(seed: int = 0) -> GemmaLM:
    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.GemmaBackbone(
        vocabulary_size=97,
        num_layers=2,
        num_query_heads=2,
        num_key_value_heads=1,
        hidden_dim=24,
        intermediate_dim=48,
        head_dim=12,
        query_head_dim_normalize=True,
        use_post_ffw_norm=True,
        use_post_attention_norm=True,
        final_logit_soft_cap=30.0,
        attention_logit_soft_cap=50.0,
        use_sliding_window_attention=True,
        sliding_window_size=16,
        dtype="float32",
    )
    _randomize(backbone, seed)
    info = ModelInfo("tiny-gemma2", "gemma2", 4096, "float32", int(backbone.count_params()))
    return GemmaLM(backbone, StubTokenizer(), info)  # type: ignore[arg-type]


def _randomize(backbone: Any, seed: int) -> None:
    """Norm scales start at zero (x * (1 + 0)); give every weight some spread instead."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for variable in backbone.weights:
        shape = tuple(variable.shape)
        scale = (
            0.3 if len(shape) == 1 else 1.0 / np.sqrt(max(shape[-2] if len(shape) > 1 else 1, 1))
        )
        variable.assign(rng.normal(0.0, scale, shape).astype(variable.dtype))
