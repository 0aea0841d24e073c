"""A loaded model kept as one flat, memory-mapped weight file: loading it is mapping its bytes.

keras-hub's `from_preset` spends most of its time on work a cached model does not need: every
variable is first filled by its initializer (eager JAX ops, about 6 s for Gemma 3 270M on a
2-core CPU), then overwritten from an HDF5 file, and the tokenizer is rebuilt. A store holds
the backbone's serialized config, the SentencePiece model, and every weight's bytes in one
file at page-aligned offsets. Reading it builds the backbone with initializers deferred and
never run, then hands each weight to JAX as a read-only view of the mapped file (JAX on CPU
aliases aligned host memory rather than copying it). The bytes are the loaded model's own, so
the numbers are bit-identical to the load that wrote them.

A store is written into a temporary folder and renamed into place under a lock; its marker,
written last, names the manifest's hash and the weight file's size, and each weight's first
and last page carry a checksum. A copy that fails any check raises `StoreError` and is not used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import mmap
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

# Bump when the layout changes: older stores are then ignored (and replaced).
STORE_VERSION = 1
WEIGHTS = "weights.bin"
MANIFEST = "manifest.json"
TOKENIZER = "tokenizer.model"
COMPLETE = "store-complete"
# Page alignment: each weight's view of the mapping is aligned for JAX to alias it.
ALIGN = 4096
log = logging.getLogger(__name__)


class StoreError(Exception):
    """A stored copy that must not be loaded (missing, partial, stale or damaged)."""


def _checksum(data: Any, nbytes: int) -> int:
    """CRC of a weight's first and last page: catches truncated and zero-filled tails
    without reading the whole gigabyte (a full CRC would cost more than the load)."""
    view = memoryview(data).cast("B")
    edge = min(ALIGN, nbytes)
    return zlib.crc32(view[nbytes - edge : nbytes], zlib.crc32(view[:edge]))


def _aligned(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be writing the same store
        yield


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def discard_store(folder: Path) -> None:
    """Remove a store that failed its checks (a process mapping it keeps its open copy)."""
    with _locked(folder):
        shutil.rmtree(folder, ignore_errors=True)


def write_store(folder: Path, backbone: Any, proto: bytes) -> None:
    """Store `backbone`'s weights (in their loaded dtype) and the tokenizer at `folder`."""
    import keras

    with _locked(folder):
        if (folder / COMPLETE).is_file():
            return  # written meanwhile by another process
        if folder.exists():
            shutil.rmtree(folder)
        for leftover in folder.parent.glob(f".{folder.name}.tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
        try:
            staged = work / "store"
            staged.mkdir()
            entries = _write_weights(staged / WEIGHTS, backbone.variables)
            manifest = {
                "version": STORE_VERSION,
                "backbone": keras.saving.serialize_keras_object(backbone),
                "weights": entries,
                "size": (staged / WEIGHTS).stat().st_size,
            }
            manifest_bytes = json.dumps(manifest, indent=1).encode()
            _fsync_write(staged / MANIFEST, manifest_bytes)
            _fsync_write(staged / TOKENIZER, proto)
            marker = {
                "version": STORE_VERSION,
                "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
                "size": manifest["size"],
            }
            _fsync_write(staged / COMPLETE, json.dumps(marker).encode())
            staged.rename(folder)  # atomic: the store appears complete or not at all
            directory = os.open(folder.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def keep_fast_copy(folder: Path, backbone: Any, proto: bytes) -> None:
    """`write_store` for next time: a failure (say a full disk) only costs speed, so it is
    logged, not raised."""
    try:
        write_store(folder, backbone, proto)
    except Exception as error:
        log.warning("Could not keep a fast copy at %s (%s).", folder, error)


def _write_weights(path: Path, variables: Sequence[Any]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    offset = 0
    with open(path, "wb") as out:
        for variable in variables:
            value = np.ascontiguousarray(np.asarray(variable.value))
            start = _aligned(offset)
            out.write(b"\0" * (start - offset))
            out.write(value.tobytes())
            offset = start + value.nbytes
            entries.append(
                {
                    "path": variable.path,
                    "dtype": str(variable.dtype),
                    "shape": list(value.shape),
                    "offset": start,
                    "nbytes": value.nbytes,
                    "crc": _checksum(value.reshape(-1).view(np.uint8), value.nbytes),
                }
            )
        out.flush()
        os.fsync(out.fileno())
    return entries


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        marker = json.loads((folder / COMPLETE).read_text())
        manifest_bytes = (folder / MANIFEST).read_bytes()
        size = (folder / WEIGHTS).stat().st_size
    except (OSError, ValueError) as error:
        raise StoreError(f"incomplete store ({error})") from error
    if marker.get("version") != STORE_VERSION:
        raise StoreError(f"store version {marker.get('version')}, expected {STORE_VERSION}")
    if marker.get("manifest_sha256") != hashlib.sha256(manifest_bytes).hexdigest():
        raise StoreError("the manifest does not match its marker")
    if marker.get("size") != size:
        raise StoreError(f"the weight file has {size} bytes, expected {marker.get('size')}")
    manifest: dict[str, Any] = json.loads(manifest_bytes)
    return manifest


def _build_uninitialized(config: dict[str, Any]) -> Any:
    """The backbone with its variables created but not filled: initializers never run."""
    import keras
    from keras.src.backend.common import global_state

    with keras.StatelessScope(initialize_variables=False):
        backbone = keras.saving.deserialize_keras_object(config)
    # Keras queues the deferred variables (per thread) to initialize later; they are assigned
    # here instead, so take them off the queue.
    ours = {id(v) for v in backbone.variables}
    pending = global_state.get_global_attribute("uninitialized_variables") or []
    global_state.set_global_attribute(
        "uninitialized_variables", [v for v in pending if id(v) not in ours]
    )
    return backbone


def read_store(folder: Path) -> tuple[Any, bytes]:
    """The stored backbone, its weights mapped from disk, and the SentencePiece model bytes."""
    manifest = _read_manifest(folder)
    # keras-hub registers the backbone classes; imported here so that a missing install raises
    # ModuleNotFoundError (an install problem) instead of a build failure that would discard
    # a good copy as damaged.
    import keras_hub  # noqa: F401

    try:
        backbone = _build_uninitialized(manifest["backbone"])
    except Exception as error:  # a config this keras-hub cannot build
        raise StoreError(f"the stored backbone cannot be built ({error})") from error
    map_weights(folder, manifest["weights"], backbone.variables)
    return backbone, (folder / TOKENIZER).read_bytes()


def map_weights(folder: Path, entries: list[dict[str, Any]], variables: Sequence[Any]) -> None:
    """Give each variable its stored value: a read-only view of the mapped weight file.

    Nothing may donate these arrays to a jitted function (XLA would write into read-only
    pages); generation donates only its KV cache.
    """
    import jax
    import jax.numpy as jnp

    if [v.path for v in variables] != [e["path"] for e in entries]:
        raise StoreError("the stored weights do not match the backbone's variables")
    with open(folder / WEIGHTS, "rb") as handle:
        # Shared and read-only: pages come from the page cache (shared with other processes
        # that load the same model) and are read ahead now rather than on first use.
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        mapped = mmap.mmap(handle.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
    for variable, entry in zip(variables, entries, strict=True):
        shape = tuple(entry["shape"])
        if tuple(variable.shape) != shape or str(variable.dtype) != entry["dtype"]:
            raise StoreError(f"{entry['path']} is stored as {entry['dtype']}{list(shape)}")
        if entry["offset"] + entry["nbytes"] > len(mapped):
            raise StoreError(f"{entry['path']} lies past the end of the weight file")
        view = memoryview(mapped)[entry["offset"] : entry["offset"] + entry["nbytes"]]
        if _checksum(view, entry["nbytes"]) != entry["crc"]:
            raise StoreError(f"{entry['path']} is damaged (checksum)")
        array = np.frombuffer(view, dtype=jnp.dtype(entry["dtype"])).reshape(shape)
        variable.assign(jax.device_put(array))  # aliases the mapping: no copy


def store_folder(cache: Path, source: str, precision: str) -> Path:
    """Where the fast copy of the preset `source` (a name, or a key from `source_key`) at
    `precision` lives in the cache."""
    name = source.split("|")[0].rstrip("/").split("/")[-1]
    slug = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    return cache / "models" / "fast" / f"{slug[-40:]}-{digest}-{precision}-s{STORE_VERSION}"


def source_key(preset: str) -> str:
    """What identifies a preset's contents: a folder by its path and its files' sizes and
    modification times (so a re-saved preset gets a new copy); a name by itself."""
    folder = Path(preset)
    if not folder.is_dir():
        return preset
    stats = sorted(
        (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    )
    return f"{folder.resolve()}|{hashlib.sha256(repr(stats).encode()).hexdigest()[:16]}"
