"""Stored traced programs: a second process (here: a second StoredJit) loads instead of tracing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prompt_salience.models.traced_programs import StoredJit, fingerprint


@pytest.fixture
def compilation_cache(tmp_path: Path) -> Iterator[Path]:
    before = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", str(tmp_path / "jax-compilation"))
    yield tmp_path
    jax.config.update("jax_compilation_cache_dir", before)


def _counting() -> tuple[list[int], object]:
    traced: list[int] = []

    def step(weights: list[jax.Array], x: jax.Array) -> jax.Array:
        traced.append(1)  # runs only while JAX traces
        return jnp.tanh(x @ weights[0]) + weights[1]

    return traced, step


def test_a_stored_program_is_loaded_instead_of_traced(compilation_cache: Path) -> None:
    weights = [jnp.ones((4, 4)) * 0.1, jnp.arange(4.0)]
    x = jnp.linspace(0, 1, 8).reshape(2, 4)
    traced, step = _counting()
    first = StoredJit(step, "step", fingerprint("test", 1))  # type: ignore[arg-type]
    expected = np.asarray(first(weights, x))
    assert traced == [1]
    stored = list((compilation_cache / "traced-programs").rglob("step-*.jaxexport"))
    assert len(stored) == 1

    traced_again, step_again = _counting()
    second = StoredJit(step_again, "step", fingerprint("test", 1))  # type: ignore[arg-type]
    np.testing.assert_allclose(np.asarray(second(weights, x)), expected, rtol=1e-6)
    assert traced_again == []  # loaded from disk, not traced

    other = StoredJit(step_again, "step", fingerprint("test", 2))  # another model: traced anew
    other(weights, x)
    assert traced_again == [1]
    second(weights, jnp.ones((3, 4)))  # a new shape is traced and stored too
    assert len(list((compilation_cache / "traced-programs").rglob("step-*.jaxexport"))) == 3


def test_an_unreadable_program_is_traced_again(compilation_cache: Path) -> None:
    weights = [jnp.eye(4), jnp.zeros(4)]
    x = jnp.ones((1, 4))
    _, step = _counting()
    StoredJit(step, "step", fingerprint("broken"))(weights, x)  # type: ignore[arg-type]
    (path,) = (compilation_cache / "traced-programs").rglob("step-*.jaxexport")
    path.write_bytes(b"not a program")
    traced_again, step_again = _counting()
    out = StoredJit(step_again, "step", fingerprint("broken"))(weights, x)  # type: ignore[arg-type]
    np.testing.assert_allclose(np.asarray(out), np.tanh(np.ones((1, 4))), rtol=1e-6)
    assert traced_again == [1]


def test_the_fingerprint_follows_code_files(tmp_path: Path) -> None:
    code = tmp_path / "model.py"
    code.write_text("a = 1\n")
    before = fingerprint("gemma3", code)
    code.write_text("a = 2\n")
    assert fingerprint("gemma3", code) != before
    assert fingerprint("gemma3", code) == fingerprint("gemma3", code)
