"""Stored traced programs: a second process (here: a second StoredJit, with the programs loaded
in this process forgotten) loads instead of tracing; per device kind; a program that fails to
load or run is traced again; the warm-up finds and runs the most recently used ones."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prompt_salience.models import traced_programs
from prompt_salience.models.traced_programs import StoredJit, fingerprint


@pytest.fixture
def compilation_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    before = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", str(tmp_path / "jax-compilation"))
    monkeypatch.setattr(traced_programs, "_LOADED", {})
    yield tmp_path
    jax.config.update("jax_compilation_cache_dir", before)


def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the programs this process loaded, as a restarted server would."""
    monkeypatch.setattr(traced_programs, "_LOADED", {})


def _counting() -> tuple[list[int], object]:
    traced: list[int] = []

    def step(weights: list[jax.Array], x: jax.Array) -> jax.Array:
        traced.append(1)  # runs only while JAX traces
        return jnp.tanh(x @ weights[0]) + weights[1]

    return traced, step


def test_a_stored_program_is_loaded_instead_of_traced(
    compilation_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = [jnp.ones((4, 4)) * 0.1, jnp.arange(4.0)]
    x = jnp.linspace(0, 1, 8).reshape(2, 4)
    traced, step = _counting()
    first = StoredJit(step, "step", fingerprint("test", 1))  # type: ignore[arg-type]
    expected = np.asarray(first(weights, x))
    assert traced == [1]
    stored = list((compilation_cache / "traced-programs").rglob("step-*.jaxexport"))
    assert len(stored) == 1
    # Stored per platform and device kind: a program for another backend is never picked up.
    assert stored[0].parent.parent.name == traced_programs.device_folder_name()
    assert traced_programs.device_folder_name().startswith(jax.devices()[0].platform + "-")

    _new_process(monkeypatch)
    traced_again, step_again = _counting()
    second = StoredJit(step_again, "step", fingerprint("test", 1))  # type: ignore[arg-type]
    np.testing.assert_allclose(np.asarray(second(weights, x)), expected, rtol=1e-6)
    assert traced_again == []  # loaded from disk, not traced

    other = StoredJit(step_again, "step", fingerprint("test", 2))  # another model: traced anew
    other(weights, x)
    assert traced_again == [1]
    second(weights, jnp.ones((3, 4)))  # a new shape is traced and stored too
    assert len(list((compilation_cache / "traced-programs").rglob("step-*.jaxexport"))) == 3


def test_an_unreadable_program_is_traced_again(
    compilation_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = [jnp.eye(4), jnp.zeros(4)]
    x = jnp.ones((1, 4))
    _, step = _counting()
    StoredJit(step, "step", fingerprint("broken"))(weights, x)  # type: ignore[arg-type]
    (path,) = (compilation_cache / "traced-programs").rglob("step-*.jaxexport")
    path.write_bytes(b"not a program")
    _new_process(monkeypatch)
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


class _RefusedProgram:
    """Deserializes, but does not run (as a program exported for another backend)."""

    def call(self, *args: object) -> object:
        raise RuntimeError("this program was compiled for another device")


def test_a_program_that_fails_to_run_is_traced_again(
    compilation_cache: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    weights = [jnp.eye(4) * 2.0, jnp.ones(4)]
    x = jnp.ones((1, 4))
    _, step = _counting()
    StoredJit(step, "step", fingerprint("refused"))(weights, x)  # type: ignore[arg-type]
    _new_process(monkeypatch)
    from jax import export

    monkeypatch.setattr(export, "deserialize", lambda data: _RefusedProgram())
    traced_again, step_again = _counting()
    again = StoredJit(step_again, "step", fingerprint("refused"))  # type: ignore[arg-type]
    out = again(weights, x)
    np.testing.assert_allclose(np.asarray(out), np.tanh(2.0 * np.ones((1, 4))) + 1, rtol=1e-6)
    assert traced_again == [1]
    assert "failed" in caplog.text
    assert "tracing again" in caplog.text
    again(weights, x)  # the traced program is kept: no second failure, no second trace
    assert traced_again == [1]


def test_the_warm_up_runs_the_recent_programs_of_these_weights_once(
    compilation_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prompt_salience.models import warm_up as warm_up_module
    from prompt_salience.models.warm_up import warm_up

    monkeypatch.setattr(warm_up_module, "SHAPES_PER_PROGRAM", 2)

    weights = [jnp.eye(4), jnp.arange(4.0)]
    other_weights = [jnp.eye(3), jnp.arange(3.0)]
    _, step = _counting()
    program = StoredJit(step, "step", fingerprint("warm"))  # type: ignore[arg-type]
    program(weights, jnp.ones((2, 4)))
    program(weights, jnp.ones((5, 4)))
    program(other_weights, jnp.ones((2, 3)))  # another model's weights: not warmed for this one
    recent = traced_programs.recent_programs(weights, per_name=2)
    assert len(recent) == 2
    assert traced_programs.recent_programs(weights, per_name=1) == recent[:1]  # the latest

    class Model:
        def __init__(self, weights: list[jax.Array]) -> None:
            self.weights = weights

    _new_process(monkeypatch)
    cancelled = threading.Event()
    cancelled.set()
    assert warm_up(Model(weights), cancelled) == []
    assert warm_up(Model(weights), None) == [p.stem for p in recent]
    assert set(traced_programs._LOADED) == set(recent)
    # The next StoredJit neither traces nor loads from disk: it takes the warmed programs.
    traced_again, step_again = _counting()
    monkeypatch.setattr(traced_programs, "_write_atomically", lambda path, data: None)
    from jax import export

    monkeypatch.setattr(export, "deserialize", lambda data: pytest.fail("loaded again"))
    again = StoredJit(step_again, "step", fingerprint("warm"))  # type: ignore[arg-type]
    out = again(weights, jnp.ones((5, 4)))
    np.testing.assert_allclose(np.asarray(out), np.tanh(np.ones((5, 4))) + np.arange(4.0))
    assert traced_again == []
