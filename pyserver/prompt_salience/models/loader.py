"""Load a Gemma from a model spec: the embedded default, a local preset folder, or Kaggle.

The first load of a preset at a precision goes through keras-hub and then keeps a fast copy
in the cache (`weight_store.py`); later loads map that copy instead (about 1 s, not 9 s).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ModelError
from ..missing_module import missing_module_error
from .embedded import ensure_embedded_preset
from .kaggle_access import (
    check_preset_name,
    explain_download_failure,
    require_credentials,
)
from .model_spec import PRECISIONS, ModelSpec
from .weight_store import (
    COMPLETE,
    StoreError,
    discard_store,
    keep_fast_copy,
    read_store,
    source_key,
    store_folder,
)

Report = Callable[[str], None]
log = logging.getLogger(__name__)


def configure_jax(cache: Path, precision: str = "float32") -> None:
    """Point JAX's persistent compilation cache into our cache folder (survives restarts), and
    make float32 mean float32 in matrix products."""
    import jax

    folder = cache / "jax-compilation"
    folder.mkdir(parents=True, exist_ok=True)
    update: Any = jax.config.update
    update("jax_compilation_cache_dir", str(folder))
    update("jax_persistent_cache_min_compile_time_secs", 0.5)
    update("jax_persistent_cache_min_entry_size_bytes", 0)
    # On NVIDIA GPUs JAX's default precision runs float32 products as TF32 (10-bit mantissa):
    # on an H200 the finite-difference check of our gradients failed by 2x at the default
    # and passed at "highest" (docs/benchmarks/gpu-h200-maths-tests.txt). No change on CPUs.
    # Other precisions keep the default: their operands are already narrower than TF32.
    update("jax_default_matmul_precision", "highest" if precision == "float32" else None)


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
    configure_jax(cache, precision)
    started = time.perf_counter()
    if spec.kind == "embedded":
        from .embedded import embedded_preset_dir

        key = embedded_preset_dir(cache).name
    elif spec.kind == "local":
        folder = Path(spec.preset)
        if not (folder / "config.json").is_file():
            raise ModelError(
                f"{folder} is not a keras-hub preset folder (no config.json).",
                "Give a folder written by `save_to_preset`, or a preset name.",
            )
        key = source_key(str(folder))
    else:
        check_preset_name(spec.preset)
        key = spec.preset
    stored = store_folder(cache, key, precision)
    loaded = _load_stored(stored, report)
    if loaded is None and spec.kind == "embedded" and precision == "float32":
        ensure_embedded_preset(cache, report)  # a conversion keeps a float32 fast copy too
        loaded = _load_stored(stored, report)
    if loaded is None:
        backbone, proto = _load_from_preset(spec, precision, cache, report)
        report("Keeping a fast copy in the cache")
        keep_fast_copy(stored, backbone, proto)
    else:
        backbone, proto = loaded
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


def _load_stored(folder: Path, report: Report) -> tuple[Any, bytes] | None:
    """The fast copy, or None when there is none or it fails its checks (logged)."""
    if not (folder / COMPLETE).is_file():
        return None
    report("Loading weights from the cache")
    try:
        return read_store(folder)
    except (StoreError, OSError, ValueError) as error:
        log.warning("Not using the cached copy %s (%s); loading the preset.", folder, error)
        discard_store(folder)
        return None


def _load_from_preset(
    spec: ModelSpec, precision: str, cache: Path, report: Report
) -> tuple[Any, bytes]:
    if spec.kind == "embedded":
        preset = str(ensure_embedded_preset(cache, report))
    elif spec.kind == "local":
        preset = spec.preset
    else:
        require_credentials(spec.preset)
        preset = spec.preset
    try:
        return _load_preset(preset, precision, report)
    except ModelError:
        raise
    except ModuleNotFoundError as error:  # an install problem, not the preset's
        raise missing_module_error(error) from error
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
