"""Shared test setup: JAX's persistent compilation cache, so reruns skip recompiling, and the
real embedded model, loaded once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from prompt_salience.cache_dir import cache_root

os.environ["KERAS_BACKEND"] = "jax"


def pytest_configure() -> None:
    from prompt_salience.models.loader import configure_jax

    configure_jax(cache_root())  # the product's own JAX settings, float32 products included


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the real model carries the `model` marker (`-m "not model"` skips
    them all), whether or not its module says so."""
    for item in items:
        if "real_model" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def real_model() -> Any:
    """The real embedded Gemma 3 270M, loaded once per session (converted first into the cache
    when it is empty: ~30 s on a fresh machine)."""
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec

    return load_model(
        parse_model_spec("gemma3_270m"),
        precision="float32",
        cache=cache_root(),
        report=lambda message: None,
    )
