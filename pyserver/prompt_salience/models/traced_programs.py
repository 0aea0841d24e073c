"""jit with the traced program kept on disk: a fresh process skips tracing the model in Python.

JAX's persistent compilation cache keys compiled programs by their HLO, so it can only answer
after the model has been traced again (about 1.2 s for Gemma 3 270M on a 2-core CPU). Serialized
`jax.export` programs skip that: a fresh process loads one in milliseconds, and the persistent
cache then supplies the compiled code. Programs are keyed by a fingerprint of the model's
architecture, the library versions and this package's model code, and by argument shapes,
in a folder per platform and device kind (a program exported for one backend may not run on
another). A program that fails to load or to run is traced again instead.

Each program has a small sidecar file (its donated arguments, the shapes of the weights it
takes first, and, by its modification time, when it was last used), so `models/warm_up.py` can
load and run once the programs a model used most recently, before the user asks for them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax

log = logging.getLogger(__name__)


# Programs loaded in this process, by file: every StoredJit (and the warm-up) shares them, so
# a program compiled and run once is not compiled again.
_LOADED: dict[Path, Callable[..., Any]] = {}
_LOADED_LOCK = threading.Lock()
SIDECAR = ".json"


def device_folder_name() -> str:
    """The platform and device kind programs are stored for, e.g. `cpu-cpu`, `gpu-nvidia_h200`."""
    device = jax.devices()[0]
    kind = "".join(c if c.isalnum() else "_" for c in str(device.device_kind).lower())
    return f"{device.platform}-{kind}"


def _folder() -> Path | None:
    """Beside JAX's persistent compilation cache (when one is configured), per device kind."""
    configured: Any = getattr(jax.config, "jax_compilation_cache_dir", None)
    if not configured:
        return None
    return Path(configured).parent / "traced-programs" / device_folder_name()


def _signature(args: Sequence[Any]) -> str:
    leaves, tree = jax.tree_util.tree_flatten(args)
    shapes = [(tuple(getattr(x, "shape", ())), str(getattr(x, "dtype", type(x)))) for x in leaves]
    return hashlib.sha256(repr((str(tree), shapes)).encode()).hexdigest()[:24]


def weights_signature(weights: Sequence[Any]) -> str:
    """What identifies a model's weights for its stored programs (their shapes and dtypes)."""
    return _signature((list(weights),))


class StoredJit:
    """Like `jax.jit(fn, donate_argnums=...)`, with each traced shape stored under `name`."""

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str,
        fingerprint: str,
        donate_argnums: tuple[int, ...] = (),
    ) -> None:
        self._jitted = jax.jit(fn, donate_argnums=donate_argnums)
        self._name = name
        self._fingerprint = fingerprint
        self._donate = donate_argnums
        self._programs: dict[str, Callable[..., Any]] = {}

    def __call__(self, *args: Any) -> Any:
        key = _signature(args)
        program = self._programs.get(key)
        if program is None:
            program = self._load_or_trace(key, args)
            self._programs[key] = program
        if program is self._jitted:
            return program(*args)
        try:
            return program(*args)
        except Exception as error:  # compiled for another backend, say: trace as usual
            log.warning("stored program %s-%s failed (%s); tracing again", self._name, key, error)
            self._programs[key] = self._jitted
            with _LOADED_LOCK:
                for path in [p for p, loaded in _LOADED.items() if loaded is program]:
                    del _LOADED[path]
            return self._jitted(*args)

    def lower(self, *args: Any) -> Any:
        """The plain jitted function's lowering (for cost analysis in benchmarks)."""
        return self._jitted.lower(*args)

    def _load_or_trace(self, key: str, args: Sequence[Any]) -> Callable[..., Any]:
        folder = _folder()
        if folder is None:
            return self._jitted
        path = folder / self._fingerprint / f"{self._name}-{key}.jaxexport"
        with _LOADED_LOCK:
            loaded = _LOADED.get(path)
        if loaded is not None:
            _mark_used(path)
            return loaded
        from jax import export

        try:
            if path.is_file():
                exported = export.deserialize(bytearray(path.read_bytes()))
            else:
                exported = export.export(self._jitted)(*args)
                _write_atomically(path, bytes(exported.serialize()))
            sidecar = {"donate": list(self._donate), "weights": weights_signature(args[0])}
            _write_atomically(path.with_suffix(SIDECAR), json.dumps(sidecar).encode())
            program = jax.jit(exported.call, donate_argnums=self._donate)
        except Exception as error:  # a stale or unreadable program: trace as usual
            log.warning("traced program %s unusable (%s); tracing again", path.name, error)
            return self._jitted
        with _LOADED_LOCK:
            return _LOADED.setdefault(path, program)


def _mark_used(path: Path) -> None:
    """Its sidecar's modification time says when a program was last used."""
    with contextlib.suppress(OSError):
        os.utime(path.with_suffix(SIDECAR))


def recent_programs(weights: Sequence[Any], per_name: int) -> list[Path]:
    """The stored programs that take `weights` first, most recently used first, at most
    `per_name` of each name (say the latest two prefill, decode and salience shapes)."""
    folder = _folder()
    if folder is None or not folder.is_dir():
        return []
    wanted = weights_signature(weights)
    found: list[tuple[float, Path]] = []
    for sidecar in folder.glob(f"*/*{SIDECAR}"):
        try:
            if json.loads(sidecar.read_text()).get("weights") == wanted:
                found.append((sidecar.stat().st_mtime, sidecar.with_suffix(".jaxexport")))
        except (OSError, ValueError):
            continue
    found.sort(reverse=True)
    taken: dict[str, int] = {}
    recent: list[Path] = []
    for _, path in found:
        name = path.stem.rsplit("-", 1)[0]
        if taken.get(name, 0) < per_name and path.is_file():
            taken[name] = taken.get(name, 0) + 1
            recent.append(path)
    return recent


def preload(path: Path, weights: Sequence[Any]) -> Callable[[], None]:
    """Load and compile the program at `path` for `weights` and keep it for the process, so
    that the next real call with these shapes does not compile. Returns a function that runs
    it once on placeholder inputs (ones for integers, so loops take a step; zeros for floats),
    which pays its first execution too. Raises when the program cannot be used."""
    from jax import export

    with _LOADED_LOCK:
        if path in _LOADED:
            return lambda: None
    donate = tuple(json.loads(path.with_suffix(SIDECAR).read_text())["donate"])
    exported = export.deserialize(bytearray(path.read_bytes()))
    given = jax.tree_util.tree_leaves(list(weights))
    avals = exported.in_avals
    if [(tuple(a.shape), a.dtype) for a in avals[: len(given)]] != [
        (tuple(w.shape), w.dtype) for w in given
    ]:
        raise ValueError(f"{path.name} does not take these weights")
    import jax.numpy as jnp

    def placeholders() -> tuple[Any, Any]:
        rest = [
            jnp.ones(a.shape, a.dtype)
            if jnp.issubdtype(a.dtype, jnp.integer)
            else jnp.zeros(a.shape, a.dtype)
            for a in avals[len(given) :]
        ]
        return jax.tree_util.tree_unflatten(exported.in_tree, [*given, *rest])  # type: ignore[no-any-return]

    args, kwargs = placeholders()
    # Compiled ahead of time, not primed through jit's cache: that cache also keys on whether
    # each argument is committed to a device, which placeholders cannot match in general.
    jitted = jax.jit(exported.call, donate_argnums=donate)
    program = jitted.lower(*args, **kwargs).compile()
    with _LOADED_LOCK:
        _LOADED.setdefault(path, program)

    def run_once() -> None:
        args, kwargs = placeholders()  # fresh ones: a donated argument is consumed
        for leaf in jax.tree_util.tree_leaves(program(*args, **kwargs)):
            leaf.block_until_ready()

    return run_once


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def fingerprint(*parts: object) -> str:
    """A short hash of `parts`; a `Path` part contributes its file's bytes (the code traced)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.read_bytes() if isinstance(part, Path) else repr(part).encode())
    return digest.hexdigest()[:20]
