"""GPU benchmark: the Gemma 2 2B architecture at real size, random weights, 1k-token prompt.

Measures, per precision, our salience (Grad L2, head only at the span's positions) against the
LIT-style baseline (full-vocabulary logits at every position) in the same process, the first
call (compilation) of each, generation of 32 tokens, and the device's peak memory. Random
weights: the numbers are about speed and memory, not about what the model says.

Usage (on the GPU machine): python benchmarks/gpu_bench.py [--tiny] [--json OUT]
The 2B and 9B shapes at 1k and 4k tokens, with time guards: benchmarks/gpu_shapes_bench.py.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "pyserver"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ["KERAS_BACKEND"] = "jax"

from gpu_shapes_bench import SHAPES  # noqa: E402  (after the path and backend are set)

GEMMA2_2B = SHAPES["gemma2_2b_en"]  # keras-hub's gemma2_2b_en config
TINY = {
    **GEMMA2_2B,
    "vocabulary_size": 1000,
    "num_layers": 2,
    "hidden_dim": 64,
    "intermediate_dim": 128,
    "head_dim": 16,
    "num_query_heads": 4,
    "num_key_value_heads": 2,
}


@dataclass
class StubTokenizer:
    bos_id: int = 2
    eos_id: int = 1
    stop_ids: tuple[int, ...] = ()


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def median(fn: Any, repeats: int = 5) -> float:
    import statistics

    times = [timed(fn)[0] for _ in range(repeats)]
    return statistics.median(times)


def peak_gb() -> float:
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    return float(stats.get("peak_bytes_in_use", 0)) / 2**30


def run(config: dict[str, Any], dtype: str, length: int, generate: bool) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp
    import keras
    import keras_hub
    import numpy as np
    from engine_bench import lit_style

    import prompt_salience.models  # noqa: F401
    from prompt_salience.models.language_model import GemmaLM, ModelInfo
    from prompt_salience.salience.objective import SpanObjective
    from prompt_salience.salience.registry import get_method

    out: dict[str, Any] = {"dtype": dtype, "tokens": length}
    keras.utils.set_random_seed(0)
    build_s, backbone = timed(lambda: keras_hub.models.GemmaBackbone(**config, dtype=dtype))
    out["params"] = int(backbone.count_params())
    out["build_s"] = build_s
    model = GemmaLM(
        backbone, StubTokenizer(), ModelInfo("gemma2-2b-random", "gemma2", 8192, dtype, 0)
    )  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    ids = [2, *rng.integers(3, config["vocabulary_size"], size=length - 1).tolist()]
    start, end = length - 32, length
    method = get_method("grad_l2")

    def ours() -> Any:
        return method.attribute(SpanObjective(model, ids, start, end)).token_scores

    out["salience_first_s"], scores = timed(ours)
    out["salience_s"] = median(ours)
    out["peak_gb_after_salience"] = peak_gb()
    lit = lit_style(model)
    mask = np.zeros((length,), np.float32)
    mask[start:end] = 1

    def baseline() -> Any:
        return jax.block_until_ready(
            lit(model.weights, jnp.asarray(ids, jnp.int32), jnp.asarray(mask))
        )

    out["lit_first_s"], lit_out = timed(baseline)
    out["lit_s"] = median(baseline)
    out["salience_vs_lit"] = out["salience_s"] / out["lit_s"]
    ours_np = np.asarray(scores, np.float64)[1:start]
    lit_np = np.asarray(lit_out[1], np.float64)[1:start]
    out["corr_with_lit"] = float(np.corrcoef(ours_np, lit_np)[0, 1])
    out["peak_gb_after_lit"] = peak_gb()
    if generate:
        prompt = ids[: length - 32]
        out["generate_first_s"], new = timed(lambda: model.generate(prompt, 32))
        out["generate_32_s"] = median(lambda: model.generate(prompt, 32), 3)
        out["generated_tokens"] = len(new)
    out["peak_gb"] = peak_gb()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiny", action="store_true", help="a tiny config (checks the script)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--budget-s", type=float, default=330.0)
    args = parser.parse_args()
    import jax

    config = TINY if args.tiny else GEMMA2_2B
    began = time.perf_counter()
    results = [{"device": str(jax.devices()[0]), "jax": jax.__version__}]
    for dtype, generate in (("bfloat16", True), ("float32", False)):
        if time.perf_counter() - began > args.budget_s:
            results.append({"skipped": dtype, "reason": "time budget"})
            continue
        results.append(run(config, dtype, 1024, generate))
        gc.collect()  # free the previous precision's weights before the next
        print(json.dumps(results[-1]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    for row in results:
        print(
            "  ".join(
                f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
            )
        )


if __name__ == "__main__":
    main()
