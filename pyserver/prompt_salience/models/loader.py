"""Load a Gemma from a model spec: the embedded default, a local preset folder, or Kaggle."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .embedded import ensure_embedded_preset
from .kaggle_access import (
    check_preset_name,
    explain_download_failure,
    require_credentials,
)
from .model_spec import PRECISIONS, ModelSpec

Report = Callable[[str], None]


def configure_jax(cache: Path) -> None:
    """Point JAX's persistent compilation cache into our cache folder (survives restarts)."""
    import jax

    folder = cache / "jax-compilation"
    folder.mkdir(parents=True, exist_ok=True)
    update: Any = jax.config.update
    update("jax_compilation_cache_dir", str(folder))
    update("jax_persistent_cache_min_compile_time_secs", 0.5)
    update("jax_persistent_cache_min_entry_size_bytes", 0)


def _family(backbone: Any) -> tuple[str, int]:
    """Model family and its context length in tokens."""
    name = type(backbone).__name__
    if name == "Gemma3Backbone":
        return "gemma3", 32768 if int(backbone.hidden_dim) <= 1152 else 131072
    if name == "GemmaBackbone":
        capped = getattr(backbone, "final_logit_soft_cap", None) is not None
        return ("gemma2" if capped else "gemma"), 8192
    raise ModelError(
        f"The preset holds a {name}, not a Gemma model.",
        "Use a Gemma 1, 1.1, 2 or 3 preset from keras-hub.",
    )


def _load_preset(preset: str, precision: str, report: Report) -> tuple[Any, bytes]:
    import keras_hub

    report(f"Loading weights from {preset}")
    backbone = keras_hub.models.Backbone.from_preset(preset, dtype=precision)
    report("Loading the tokenizer")
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(preset)
    proto = getattr(tokenizer, "proto", None)
    if not isinstance(proto, bytes | bytearray):
        raise ModelError(
            f"The tokenizer of {preset!r} is not a SentencePiece model.",
            "Use a Gemma preset (they all ship a SentencePiece vocabulary).",
        )
    return backbone, bytes(proto)


def load_model(
    spec: ModelSpec, *, precision: str, cache: Path, report: Report
) -> Any:  # returns GemmaLM; typed Any so callers need not import JAX to type-check
    """Load (converting or downloading first when needed) and return a `GemmaLM`."""
    from .language_model import GemmaLM, ModelInfo
    from .tokenizer import GemmaTokenizer

    if precision not in PRECISIONS:
        raise ModelError(
            f"Unknown precision {precision!r}.", f"Use one of: {', '.join(PRECISIONS)}."
        )
    configure_jax(cache)
    started = time.perf_counter()
    if spec.kind == "embedded":
        preset = str(ensure_embedded_preset(cache, report))
    elif spec.kind == "local":
        folder = Path(spec.preset)
        if not (folder / "config.json").is_file():
            raise ModelError(
                f"{folder} is not a keras-hub preset folder (no config.json).",
                "Give a folder written by `save_to_preset`, or a preset name.",
            )
        preset = str(folder)
    else:
        check_preset_name(spec.preset)
        require_credentials(spec.preset)
        preset = spec.preset
    try:
        backbone, proto = _load_preset(preset, precision, report)
    except ModelError:
        raise
    except MemoryError as error:
        raise ModelError(
            f"Not enough memory to load {spec.label} in {precision}.",
            "Close other programs, use bfloat16, or pick a smaller preset.",
        ) from error
    except Exception as error:
        if spec.kind == "kaggle":
            raise explain_download_failure(spec.preset, error) from error
        raise ModelError(
            f"Could not load the preset at {preset} ({type(error).__name__}: {error}).",
            "Delete the folder so it is converted again, or check the preset.",
        ) from error
    family, context = _family(backbone)
    info = ModelInfo(
        name=spec.label,
        family=family,
        context_length=context,
        dtype=precision,
        parameters=int(backbone.count_params()),
    )
    model = GemmaLM(backbone, GemmaTokenizer(proto), info)
    report(f"Loaded {spec.label} in {time.perf_counter() - started:.1f} s")
    return model
