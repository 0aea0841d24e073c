"""Model loading and the first run after it, on the embedded Gemma 3 270M (issue 9).

Prints, each part in fresh child processes so nothing is warm that a user's fresh server
would not have:
  (a) where a load goes: imports, then keras-hub's preset path (config, backbone built with
      its initializers, HDF5 weights, tokenizer) against the fast copy's (manifest, backbone
      built with initializers deferred, mapping the weights, tokenizer), and the GemmaLM;
  (b) the time to read the fast copy's weight file (page cache warm) and the preset's HDF5
      file of the same size after dropping its pages (posix_fadvise: this disk's speed), and
      load / read for each;
  (c) the first generation (32 tokens, menu prompt) and explanation (Grad L2) after a load,
      against the next ones in the same process, without and with `warm_up` between the
      load and the first run, with the compilations each run needed (fresh compilations plus
      loads from JAX's persistent cache). The warm-up warms the shapes used last on this
      machine: on a machine shared with other processes, theirs may be the last.

Usage: .venv/bin/python benchmarks/load_bench.py [--json docs/benchmarks/load-cpu.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_report import machine_facts, print_report

ROOT = Path(__file__).resolve().parent.parent
MENU = ROOT / "prompts" / "menu-fewshot-mistake.prompt"
CHILD_ENV = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT / "pyserver")}


class Laps:
    """Seconds between successive `lap` calls, by name."""

    def __init__(self) -> None:
        self.figures: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.figures[name] = now - self._last
        self._last = now


def _store_folder() -> Path:
    from prompt_salience.cache_dir import cache_root
    from prompt_salience.models.embedded import embedded_preset_dir
    from prompt_salience.models.weight_store import store_folder

    cache = cache_root()
    return store_folder(cache, embedded_preset_dir(cache).name, "float32")


def _preset_weights() -> Path:
    from prompt_salience.cache_dir import cache_root
    from prompt_salience.models.embedded import embedded_preset_dir

    return embedded_preset_dir(cache_root()) / "model.weights.h5"


def child_breakdown() -> dict[str, float]:
    laps = Laps()
    import jax  # noqa: F401

    laps.lap("import_jax_s")
    import keras  # noqa: F401

    laps.lap("import_keras_s")
    import keras_hub

    laps.lap("import_keras_hub_s")
    from prompt_salience.cache_dir import cache_root
    from prompt_salience.models.embedded import embedded_preset_dir
    from prompt_salience.models.language_model import GemmaLM, ModelInfo
    from prompt_salience.models.tokenizer import GemmaTokenizer
    from prompt_salience.models.weight_store import (
        TOKENIZER,
        _build_uninitialized,
        _read_manifest,
        map_weights,
    )

    laps.lap("import_ours_s")
    preset = embedded_preset_dir(cache_root())
    config = json.loads((preset / "config.json").read_text())
    laps.lap("preset_config_s")
    backbone = keras_hub.models.Gemma3Backbone.from_config(config["config"])
    laps.lap("preset_build_with_initializers_s")
    backbone.load_weights(str(preset / "model.weights.h5"))
    laps.lap("preset_read_h5_weights_s")
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(str(preset))
    laps.lap("preset_tokenizer_s")
    info = ModelInfo("gemma3_270m", "gemma3", 32768, "float32", 0)
    GemmaLM(backbone, GemmaTokenizer(tokenizer.proto), info)
    laps.lap("preset_gemma_lm_s")
    del backbone, tokenizer
    folder = _store_folder()
    manifest = _read_manifest(folder)
    laps.lap("store_manifest_s")
    stored = _build_uninitialized(manifest["backbone"])
    laps.lap("store_build_deferred_s")
    map_weights(folder, manifest["weights"], stored.variables)
    laps.lap("store_map_weights_s")
    proto = (folder / TOKENIZER).read_bytes()
    laps.lap("store_tokenizer_s")
    GemmaLM(stored, GemmaTokenizer(proto), info)
    laps.lap("store_gemma_lm_s")
    return laps.figures


def child_load() -> dict[str, float]:
    start = time.perf_counter()
    import keras_hub  # noqa: F401

    from prompt_salience.cache_dir import cache_root
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec

    imported = time.perf_counter()
    said: list[str] = []
    load_model(
        parse_model_spec("gemma3_270m"), precision="float32", cache=cache_root(), report=said.append
    )
    loaded = time.perf_counter()
    if "Loading weights from the cache" not in said:
        raise SystemExit(f"not loaded from the fast copy: {said}")
    return {"imports_s": imported - start, "load_s": loaded - imported}


def child_first_vs_next(warm: bool) -> dict[str, float]:
    """Compile counts: XLA compilations plus loads from the persistent cache."""
    import jax

    from prompt_salience.cache_dir import cache_root
    from prompt_salience.engine.case_run import prepare_prompt
    from prompt_salience.engine.explainer import Explainer
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec
    from prompt_salience.models.warm_up import warm_up
    from prompt_salience.prompt.documents import read_document
    from prompt_salience.results import CharSpan

    spec = parse_model_spec("gemma3_270m")
    prompt = prepare_prompt(read_document(MENU), "quiche-lorraine", chat_setting="off", spec=spec)
    model = load_model(spec, precision="float32", cache=cache_root(), report=lambda _: None)
    figures: dict[str, float] = {}
    if warm:
        start = time.perf_counter()
        figures["warmed_programs"] = float(len(warm_up(model, None)))
        figures["warm_up_s"] = time.perf_counter() - start
    explainer = Explainer(model)
    compiles: list[str] = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda name, seconds, **_: (
            compiles.append(name) if name == "/jax/core/compile/backend_compile_duration" else None
        )
    )
    jax.monitoring.register_event_listener(
        lambda name, **_: compiles.append(name) if name.endswith("cache_hits") else None
    )
    for run in ("first", "next"):
        compiles.clear()
        start = time.perf_counter()
        generation = explainer.generate(prompt.text, 32)
        figures[f"generate_{run}_s"] = time.perf_counter() - start
        figures[f"generate_{run}_compiles"] = float(len(compiles))
    response = generation.response
    # Two different spans of the same response: the second is not served from a cache.
    for run, span in (("first", CharSpan(0, 6)), ("next", CharSpan(2, 10))):
        compiles.clear()
        start = time.perf_counter()
        explainer.explain(generation, span, method="grad_l2", granularity="words")
        figures[f"explain_{run}_s"] = time.perf_counter() - start
        figures[f"explain_{run}_compiles"] = float(len(compiles))
    figures["response_chars"] = float(len(response))
    return figures


def run_child(mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode],
        env=CHILD_ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child {mode} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def drop_from_page_cache(path: Path) -> None:
    """Evict one file's pages (no privileges needed, other files untouched)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def read_seconds(path: Path) -> float:
    buffer = bytearray(16 << 20)
    start = time.perf_counter()
    with open(path, "rb", buffering=0) as handle:
        while handle.readinto(buffer):
            pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", default=None)
    args = parser.parse_args()
    if args.child:
        out: dict[str, float]
        if args.child == "breakdown":
            out = child_breakdown()
        elif args.child == "load":
            out = child_load()
        else:
            out = child_first_vs_next(args.child == "warm")
        print(json.dumps(out))
        return

    sys.path.insert(0, str(ROOT / "pyserver"))
    run_child("load")  # makes sure the fast copy exists (written by a first load)
    weights = _store_folder() / "weights.bin"
    report: dict[str, Any] = machine_facts()
    report["weights_mb"] = weights.stat().st_size / 1e6
    report.update(run_child("breakdown"))
    # The preset's HDF5 file has the same bytes and nobody keeps it mapped, so dropping it from
    # the page cache works: its read is this disk's speed. The fast copy may be mapped by other
    # processes (servers, tests), whose pages cannot be dropped: its "cold" read may be warm.
    h5 = _preset_weights()
    drop_from_page_cache(h5)
    report["read_disk_h5_cold_s"] = read_seconds(h5)
    report["read_disk_h5_mb"] = h5.stat().st_size / 1e6
    drop_from_page_cache(weights)
    report["read_bytes_dropped_s"] = read_seconds(weights)
    report["read_bytes_warm_s"] = read_seconds(weights)
    drop_from_page_cache(weights)
    cold = run_child("load")
    warm = run_child("load")
    report["imports_s"] = warm["imports_s"]
    report["load_after_drop_s"] = cold["load_s"]
    report["load_warm_s"] = warm["load_s"]
    report["load_warm_over_read_warm"] = warm["load_s"] / report["read_bytes_warm_s"]
    report["load_after_drop_over_read_disk"] = cold["load_s"] / report["read_disk_h5_cold_s"]
    preset_total = sum(v for k, v in report.items() if k.startswith("preset_"))
    report["preset_path_total_s"] = preset_total
    report["load_warm_over_preset_path"] = warm["load_s"] / preset_total
    for mode in ("plain", "warm"):
        for key, value in run_child(mode).items():
            report[f"{mode}_{key}"] = value
        for what in ("generate", "explain"):
            first, nxt = report[f"{mode}_{what}_first_s"], report[f"{mode}_{what}_next_s"]
            report[f"{mode}_{what}_first_over_next"] = first / nxt
    report["load_average_1m_end"] = os.getloadavg()[0]
    print_report(report, args.json)


if __name__ == "__main__":
    main()
