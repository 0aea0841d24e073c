"""Shared test setup: JAX's persistent compilation cache, so reruns skip recompiling."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from prompt_salience.cache_dir import cache_root

os.environ["KERAS_BACKEND"] = "jax"


def pytest_configure() -> None:
    import jax

    folder = cache_root() / "jax-compilation"
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
