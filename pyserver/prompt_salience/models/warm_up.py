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
from pathlib import Path
from typing import Any

from .traced_programs import preload, recent_programs

log = logging.getLogger(__name__)

# Shapes warmed per program (prefill, decode, each salience pass): the latest one in use.
SHAPES_PER_PROGRAM = 1
# The stored programs a click runs (GemmaLM's generation, the gradient methods' pass), warmed
# before the background prefetch's: a click that stops the warm-up half-way then finds them.
CLICK_PROGRAMS = ("prefill", "decode", "token_gradients")


def warm_up(model: Any, cancel: threading.Event | None = None) -> list[str]:
    """Compile, then run once, the model's most recently used stored programs, checking
    `cancel` between programs: first those a click runs (`CLICK_PROGRAMS`), then the others.
    Within each group compiling comes first: it is most of the saving and costs about a second
    a program; running costs what a real run of that shape does.
    Returns the names of the programs compiled (for logs and tests)."""
    weights = model.weights
    recent = recent_programs(weights, SHAPES_PER_PROGRAM)
    click = [p for p in recent if _name(p) in CLICK_PROGRAMS]
    click.sort(key=lambda p: CLICK_PROGRAMS.index(_name(p)))
    warmed: list[str] = []
    for group in (click, [p for p in recent if p not in click]):
        compiled: list[tuple[str, Callable[[], None]]] = []
        for path in group:
            if cancel is not None and cancel.is_set():
                return warmed
            try:
                compiled.append((path.stem, preload(path, weights)))
                warmed.append(path.stem)
            except Exception as error:  # a stale program only loses its head start
                log.info("Not warming %s (%s).", path.name, error)
        for name, run_once in compiled:
            if cancel is not None and cancel.is_set():
                return warmed
            try:
                run_once()
            except Exception as error:
                log.info("Could not run %s once (%s).", name, error)
    return warmed


def _name(path: Path) -> str:
    """A stored program's name (its file is `<name>-<shape key>.jaxexport`)."""
    return path.stem.rsplit("-", 1)[0]
