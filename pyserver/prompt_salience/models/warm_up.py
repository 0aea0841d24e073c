"""Make a freshly loaded model's first generation and explanation as fast as the next ones.

Why the first run is slower (Gemma 3 270M, 2-core CPU): each program a run needs is, once per
process, deserialized (`jax.export`, ~0.1-0.3 s), lowered (~0.2 s), fetched and loaded from
JAX's persistent compilation cache (~0.8-1.1 s: the executable is read and linked), and run
a first time (+0.3-0.5 s: buffers allocated, pages touched). Prefill and decode together add
about 2-3 s to the first generation. None of it depends on the prompt, only on the shapes.

`warm_up` pays those costs ahead of the click for the programs this model used most recently
on this machine (generation at the prompt length in use, and the salience passes): each is
compiled for the real weights and kept for the process (`traced_programs._LOADED`), then run
once on placeholder inputs. It imports nothing from the salience layer: the programs are
found on disk, by the shapes of the weights they take.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .traced_programs import preload, recent_programs

log = logging.getLogger(__name__)

# Shapes warmed per program (prefill, decode, each salience pass): the latest one in use.
SHAPES_PER_PROGRAM = 1


def warm_up(model: Any, cancel: threading.Event | None = None) -> list[str]:
    """Compile, then run once, the model's most recently used stored programs, checking
    `cancel` between programs. Compiling comes first for all of them: it is most of the
    saving and costs about a second each; running costs what a real run of that shape does.
    Returns the names of the programs compiled (for logs and tests)."""
    weights = model.weights
    compiled: list[tuple[str, Callable[[], None]]] = []
    for path in recent_programs(weights, SHAPES_PER_PROGRAM):
        if cancel is not None and cancel.is_set():
            return [name for name, _ in compiled]
        try:
            compiled.append((path.stem, preload(path, weights)))
        except Exception as error:  # a stale program only loses its head start
            log.info("Not warming %s (%s).", path.name, error)
    for name, run_once in compiled:
        if cancel is not None and cancel.is_set():
            break
        try:
            run_once()
        except Exception as error:
            log.info("Could not run %s once (%s).", name, error)
    return [name for name, _ in compiled]
