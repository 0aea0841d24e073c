"""GPU benchmark at real model shapes: Gemma 2 2B and Gemma 2 9B, bfloat16, 1k and 4k tokens.

keras-hub's `gemma2_2b_en` and `gemma2_9b_en` configurations are built with random weights (no
download: the numbers are about speed and memory, not about what the model says). For each
shape and prompt length, in this order:
  - our salience (Grad L2, the last 32 tokens explained): first call (compilation) and median;
  - generation of 32 tokens after the prompt: first call and median;
  - the LIT-style baseline (full-vocabulary logits at every position, one jitted
    value-and-grad, `engine_bench.lit_style`) on the same input, and its agreement with ours;
  - the device's peak memory after each step (it only grows within a process).

Each (shape, length) runs in its own child process, so its peak memory is its own and an
out-of-memory error ends only that child. Time guards keep the whole run under `--budget-s`
(450 s by default, under 8 minutes): the parent skips an item that no longer fits, stops a
child that runs past the time left, and a child skips the steps that would not fit. Every
skip says why. The JSON is rewritten after each item, so a run cut short keeps what it got.

Usage:
  python benchmarks/gpu_shapes_bench.py --json $OUT/gpu-shapes.json   # on the GPU machine
  .venv/bin/python benchmarks/gpu_shapes_bench.py --smoke             # tiny shapes, any CPU

On the lent device (see /work/.library/device/README.md): its image has JAX with CUDA and
sentencepiece but no keras. Download the wheels here once into `.whl/` (ignored by git):
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_17_x86_64 -d .whl \
    keras==3.15.1 keras-hub==0.32.0 namex==0.1.0 optree==0.20.0
then run, carrying `.whl`:
  python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl &&
  PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 python3 benchmarks/gpu_shapes_bench.py \
    --json $OUT/gpu-shapes.json 2>&1 | tee $OUT/gpu-shapes.log
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "pyserver"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ["KERAS_BACKEND"] = "jax"  # before any import of keras (engine_bench's included)

_GEMMA2 = {  # what keras-hub's Gemma 2 configurations share
    "vocabulary_size": 256000,
    "head_dim": 256,
    "query_head_dim_normalize": True,
    "use_post_ffw_norm": True,
    "use_post_attention_norm": True,
    "final_logit_soft_cap": 30.0,
    "attention_logit_soft_cap": 50.0,
    "sliding_window_size": 4096,
    "use_sliding_window_attention": True,
}
SHAPES: dict[str, dict[str, Any]] = {  # keras-hub's gemma2_2b_en and gemma2_9b_en
    "gemma2_2b_en": {
        **_GEMMA2,
        "num_layers": 26,
        "num_query_heads": 8,
        "num_key_value_heads": 4,
        "hidden_dim": 2304,
        "intermediate_dim": 18432,
    },
    "gemma2_9b_en": {
        **_GEMMA2,
        "num_layers": 42,
        "num_query_heads": 16,
        "num_key_value_heads": 8,
        "hidden_dim": 3584,
        "intermediate_dim": 28672,
    },
}
_TINY = {"vocabulary_size": 1000, "head_dim": 16, "sliding_window_size": 64}
SMOKE_SHAPES: dict[str, dict[str, Any]] = {  # the same structure, tiny (checks the script)
    "gemma2_2b_en": {**SHAPES["gemma2_2b_en"], **_TINY, "num_layers": 2, "hidden_dim": 64},
    "gemma2_9b_en": {**SHAPES["gemma2_9b_en"], **_TINY, "num_layers": 3, "hidden_dim": 96},
}
for _shape in SMOKE_SHAPES.values():
    _shape["intermediate_dim"] = 2 * _shape["hidden_dim"]

LENGTHS = (1024, 4096)
SMOKE_LENGTHS = (64, 128)
EXPLAINED = 32  # tokens explained (the last ones) and tokens generated
# Seconds an item needs at least to be worth starting (imports, build, one compilation each).
MIN_START_S = {"gemma2_2b_en": 45.0, "gemma2_9b_en": 90.0}
SMOKE_MIN_START_S = 5.0


class StubTokenizer:
    """What generation reads of a tokenizer: no stop token, so it makes all 32 tokens."""

    bos_id = 2
    eos_id = 1
    stop_ids: tuple[int, ...] = ()


def emit(record: dict[str, Any]) -> None:
    """(Child) one step's figures, as one JSON line the parent collects."""
    print(json.dumps(record), flush=True)


def peak_gb() -> float | None:
    """The device's peak memory so far (None where the backend keeps no statistics)."""
    import jax

    stats = jax.devices()[0].memory_stats()
    if not stats or "peak_bytes_in_use" not in stats:
        return None
    return float(stats["peak_bytes_in_use"]) / 2**30


def memory_fits(step: str, needed_gb: float) -> bool:
    """(Child) whether `needed_gb` more fits on the device; if not, say so (the step is
    skipped). Always true where the backend keeps no statistics."""
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    if "bytes_limit" not in stats:
        return True
    free_gb = (stats["bytes_limit"] - stats.get("bytes_in_use", 0)) / 2**30
    if needed_gb <= free_gb:
        return True
    emit({"step": step, "skipped": f"needs about {needed_gb:.0f} GB, {free_gb:.0f} GB free"})
    return False


def timed_runs(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """(first call, median of the next `repeats`, the first call's value)."""
    start = time.perf_counter()
    value = fn()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times), value


def child(shape: str, length: int, smoke: bool, deadline: float) -> None:
    """Measure one shape at one length, printing each step's figures as it has them."""
    import jax
    import jax.numpy as jnp
    import keras
    import keras_hub
    import numpy as np
    from engine_bench import lit_style

    from prompt_salience.models.language_model import GemmaLM, ModelInfo
    from prompt_salience.salience.objective import SpanObjective
    from prompt_salience.salience.registry import get_method

    config = (SMOKE_SHAPES if smoke else SHAPES)[shape]
    explained = 8 if smoke else EXPLAINED
    repeats = 3
    emit({"step": "start", "device": str(jax.devices()[0]), "jax": jax.__version__})
    keras.utils.set_random_seed(0)
    start = time.perf_counter()
    backbone = keras_hub.models.GemmaBackbone(**config, dtype="bfloat16")
    info = ModelInfo(f"{shape}-random", "gemma2", 8192, "bfloat16", 0)
    model = GemmaLM(backbone, StubTokenizer(), info)  # type: ignore[arg-type]
    jax.block_until_ready(model.weights)
    params = int(backbone.count_params())
    emit(
        {
            "step": "build",
            "seconds": time.perf_counter() - start,
            "params": params,
            "weights_gb": params * 2 / 2**30,
            "peak_gb": peak_gb(),
        }
    )
    rng = np.random.default_rng(0)
    ids = [2, *rng.integers(3, config["vocabulary_size"], size=length - 1).tolist()]
    first_explained = length - explained
    method = get_method("grad_l2")

    def ours() -> Any:
        return method.attribute(SpanObjective(model, ids, first_explained, length)).token_scores

    first, median, scores = timed_runs(ours, repeats)
    emit({"step": "salience", "first_s": first, "median_s": median, "peak_gb": peak_gb()})

    def fits(step: str, estimate: float) -> bool:
        if time.time() + estimate <= deadline:
            return True
        emit({"step": step, "skipped": f"about {estimate:.0f} s needed, the time budget is spent"})
        return False

    prompt = ids[:first_explained]
    if fits("generate", first + repeats * median):
        generate = lambda: model.generate(prompt, explained)  # noqa: E731
        gen_first, gen_median, new = timed_runs(generate, repeats)
        emit(
            {
                "step": "generate",
                "tokens": len(new),
                "first_s": gen_first,
                "median_s": gen_median,
                "peak_gb": peak_gb(),
            }
        )
    # The baseline's full-vocabulary logits, their log-softmax and gradient: float32 (T, vocab).
    logits_gb = 3 * length * config["vocabulary_size"] * 4 / 2**30
    if fits("lit_style", 1.5 * first + 3 * repeats * median) and memory_fits(
        "lit_style", logits_gb
    ):
        value_and_grad = lit_style(model)
        mask = np.zeros((length,), np.float32)
        mask[first_explained:] = 1
        token_ids, target = jnp.asarray(ids, jnp.int32), jnp.asarray(mask)

        def baseline() -> Any:
            return jax.block_until_ready(value_and_grad(model.weights, token_ids, target))

        lit_first, lit_median, lit = timed_runs(baseline, repeats)
        ours_np = np.asarray(scores, np.float64)[1:first_explained]
        lit_np = np.asarray(lit[1], np.float64)[1:first_explained]
        emit(
            {
                "step": "lit_style",
                "first_s": lit_first,
                "median_s": lit_median,
                "salience_vs_lit": median / lit_median,
                "corr_with_ours": float(np.corrcoef(ours_np, lit_np)[0, 1]),
                "peak_gb": peak_gb(),
            }
        )


def run_item(shape: str, length: int, smoke: bool, time_left: float) -> dict[str, Any]:
    """(Parent) one child process; its steps, and why it stopped if it did not finish."""
    item: dict[str, Any] = {"shape": shape, "tokens": length}
    command = [sys.executable, __file__, "--child", shape, str(length)]
    command += ["--deadline", str(time.time() + time_left - 5), *(["--smoke"] if smoke else [])]
    with tempfile.TemporaryDirectory() as cache:
        env = {
            **os.environ,
            "PROMPT_SALIENCE_CACHE": cache,  # empty program caches: first calls compile
            "XLA_PYTHON_CLIENT_MEM_FRACTION": "0.92",  # the 9B at 4k needs most of the card
            "PYTHONUNBUFFERED": "1",
        }
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = process.communicate(timeout=time_left)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            item["stopped"] = f"ran past the {time_left:.0f} s left of the budget"
    steps = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    for step in steps:
        item[step.pop("step")] = step
    if process.returncode not in (0, None) and "stopped" not in item:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        item["stopped"] = f"exit {process.returncode}: {' | '.join(tail)}"
    return item


def summary_row(item: dict[str, Any]) -> str:
    def get(step: str, key: str, scale: float = 1.0, form: str = ".3f") -> str:
        value = item.get(step, {}).get(key)
        return "-" if value is None else format(value * scale, form)

    status = item.get("skipped") or item.get("stopped") or "ok"
    for step in ("generate", "lit_style"):
        if "skipped" in item.get(step, {}):
            status = f"{step} skipped: {item[step]['skipped']}"
    return " | ".join(
        [
            item["shape"],
            str(item["tokens"]),
            get("salience", "median_s", 1000, ".1f"),
            get("lit_style", "median_s", 1000, ".1f"),
            get("lit_style", "salience_vs_lit", 1, ".2f"),
            f"{get('salience', 'first_s', 1, '.1f')} / {get('lit_style', 'first_s', 1, '.1f')}",
            get("generate", "median_s"),
            f"{get('salience', 'peak_gb', 1, '.1f')} / {get('lit_style', 'peak_gb', 1, '.1f')}",
            get("lit_style", "corr_with_ours", 1, ".5f"),
            status,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny shapes and lengths (CPU)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--budget-s", type=float, default=450.0)
    parser.add_argument("--shapes", nargs="+", choices=list(SHAPES), default=list(SHAPES))
    parser.add_argument("--lengths", nargs="+", type=int, help="prompt lengths in tokens")
    parser.add_argument("--child", nargs=2, metavar=("SHAPE", "LENGTH"), help=argparse.SUPPRESS)
    parser.add_argument("--deadline", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.smoke, args.deadline)
        return
    began = time.perf_counter()
    lengths = args.lengths or (SMOKE_LENGTHS if args.smoke else LENGTHS)
    report: dict[str, Any] = {"budget_s": args.budget_s, "smoke": args.smoke, "items": []}
    for shape in args.shapes:
        for length in lengths:
            time_left = args.budget_s - (time.perf_counter() - began)
            needed = SMOKE_MIN_START_S if args.smoke else MIN_START_S[shape]
            if time_left < needed:
                item = {"shape": shape, "tokens": length, "skipped": f"{time_left:.0f} s left"}
            else:
                item = run_item(shape, length, args.smoke, time_left)
            report["items"].append(item)
            print(json.dumps(item), flush=True)
            report["total_s"] = time.perf_counter() - began
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(report, indent=1))
    print(f"\nall in {report['total_s']:.0f} s (budget {args.budget_s:.0f} s)")
    print(
        "shape | tokens | salience ms | LIT-style ms | ratio | first call s ours / LIT"
        " | generate 32 s | peak GB ours / with LIT | correlation | status"
    )
    for item in report["items"]:
        print(summary_row(item))


if __name__ == "__main__":
    main()
