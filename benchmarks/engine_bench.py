"""Engine benchmark on the embedded Gemma 3 270M and the codelab's menu prompt.

Prints medians and ratios against baselines run in the same script (these machines are noisy):
  (a) salience (Grad L2) for a response span at ~130 and ~200 tokens vs the LIT-style baseline:
      full-vocabulary logits at every position, one jitted value-and-grad at the exact length;
  (b) re-selecting another span of the same response (Explainer.explain, warm);
  (c) a fresh process doing the user's job (load, generate 32 tokens, explain the
      Recommendation line): its first generation and first salience with the stored programs
      and the compilation cache warm vs empty, each child's figures in the JSON;
  (d) generation of 32 tokens vs keras-hub's own compiled greedy generate_function;
  (e) peak RSS of that fresh process (load + generate + explain) vs the same job explained
      with the LIT-style baseline;
  (f) achieved FLOP/s (XLA's cost analysis / time) vs this machine's dense f32 matmul rate.

Usage: .venv/bin/python benchmarks/engine_bench.py [--repeats 5] [--json out/bench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_report import machine_facts, print_report

ROOT = Path(__file__).resolve().parent.parent
MENU = ROOT / "prompts" / "menu-fewshot-mistake.prompt"


def median_time(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: a child started by fork + exec
    inherits its parent's ru_maxrss, so it would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> Any:
    from prompt_salience.cache_dir import cache_root
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec

    return load_model(
        parse_model_spec("gemma3_270m"),
        precision="float32",
        cache=cache_root(),
        report=lambda _: None,
    )


def menu_prompt() -> str:
    from prompt_salience.engine.case_run import prepare_prompt
    from prompt_salience.models.model_spec import parse_model_spec
    from prompt_salience.prompt.documents import read_document

    document = read_document(MENU)
    spec = parse_model_spec("gemma3_270m")
    return prepare_prompt(document, "quiche-lorraine", chat_setting="off", spec=spec).text


def lit_style(model: Any) -> Callable[..., Any]:
    """LIT's recipe on our forward: logits for every position, log-softmax, masked sum, grad."""
    import jax
    import jax.numpy as jnp

    def objective(emb: Any, weights: Any, ids: Any, target_mask: Any) -> Any:
        n = emb.shape[0]
        logits = model.span_logits(weights, emb[None], jnp.ones((1, n), jnp.int32), jnp.arange(n))
        logp = jax.nn.log_softmax(logits[0, :-1], axis=-1)
        picked = jnp.take_along_axis(logp, ids[1:, None], axis=-1)[:, 0]
        return jnp.sum(picked * target_mask[1:])

    @jax.jit
    def value_and_grad(weights: Any, ids: Any, target_mask: Any) -> Any:
        emb = model.embed(weights, ids)
        value, grad = jax.value_and_grad(objective)(emb, weights, ids, target_mask)
        return value, jnp.linalg.norm(grad, axis=-1)

    return value_and_grad


def bench_salience(model: Any, ids: list[int], repeats: int, report: dict[str, Any]) -> None:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from prompt_salience.salience.objective import SpanObjective
    from prompt_salience.salience.registry import get_method

    method = get_method("grad_l2")
    lit = lit_style(model)
    for length in (130, 200):
        seq = ids[:length]
        start, end = length - 10, length  # explain the last 10 tokens

        def ours(seq: list[int] = seq, start: int = start, end: int = end) -> Any:
            return method.attribute(SpanObjective(model, seq, start, end)).token_scores

        mask = np.zeros((length,), np.float32)
        mask[start:end] = 1

        def baseline(seq: list[int] = seq, mask: Any = mask) -> Any:
            out = lit(model.weights, jnp.asarray(seq, jnp.int32), jnp.asarray(mask))
            return jax.block_until_ready(out)

        ours_s = median_time(ours, repeats)
        lit_s = median_time(baseline, repeats)
        agree = np.corrcoef(np.asarray(ours())[1:start], np.asarray(baseline()[1])[1:start])[0, 1]
        report[f"salience_{length}_s"] = ours_s
        report[f"lit_style_{length}_s"] = lit_s
        report[f"salience_{length}_vs_lit"] = ours_s / lit_s
        report[f"salience_{length}_corr_with_lit"] = float(agree)


def bench_reselect(model: Any, prompt: str, repeats: int, report: dict[str, Any]) -> None:
    from prompt_salience.engine.explainer import Explainer
    from prompt_salience.results import CharSpan

    explainer = Explainer(model)
    generation = explainer.generate(prompt, 32)
    response = generation.response
    line = response.find("Recommendation")
    first = CharSpan(line, line + len("Recommendation")) if line >= 0 else CharSpan(0, 5)
    explainer.explain(generation, first, method="grad_l2", granularity="sentences")
    spans = [CharSpan(i, i + 4) for i in range(1, min(len(response) - 4, 40), 3)]
    times = []
    for span in spans[: repeats + 1]:
        start = time.perf_counter()
        explainer.explain(generation, span, method="grad_l2", granularity="sentences")
        times.append(time.perf_counter() - start)
    report["reselect_s"] = statistics.median(times[1:])
    start = time.perf_counter()
    explainer.explain(generation, first, method="grad_l2", granularity="words")
    report["regranularity_cached_s"] = time.perf_counter() - start
    report["sequence_tokens"] = len(generation.token_ids)


def bench_generation(model: Any, prompt: str, repeats: int, report: dict[str, Any]) -> None:
    import keras_hub
    import numpy as np

    ids = [model.tokenizer.bos_id, *model.tokenizer.encode(prompt).ids]
    report["generate_32_s"] = median_time(lambda: model.generate(ids, 32), repeats)
    causal_lm = keras_hub.models.Gemma3CausalLM(backbone=model.backbone, preprocessor=None)
    causal_lm.compile(sampler="greedy")
    causal_lm.make_generate_function()
    n = len(ids)
    inputs = {
        "token_ids": np.array([ids + [0] * 32], "int32"),
        "padding_mask": np.array([[1] * n + [0] * 32], "int32"),
    }

    def keras_hub_generate() -> Any:
        out = causal_lm.generate_function(inputs, stop_token_ids=None)
        return np.asarray(out["token_ids"])

    report["keras_hub_generate_32_s"] = median_time(keras_hub_generate, repeats)
    report["generate_vs_keras_hub"] = report["generate_32_s"] / report["keras_hub_generate_32_s"]
    same = keras_hub_generate()[0, n:].tolist()[: len(model.generate(ids, 32))]
    report["generate_matches_keras_hub"] = same == model.generate(ids, 32)


def bench_flops(model: Any, ids: list[int], report: dict[str, Any]) -> None:
    import jax
    import jax.numpy as jnp

    from prompt_salience.salience.objective import SpanObjective, _compiled_for

    objective = SpanObjective(model, ids[:200], 190, 200)
    fns = _compiled_for(model)
    args = (objective.weights, objective.embeddings, objective.mask, *objective._span_args)
    cost = fns.value_and_grad.lower(*args).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    flops = float(cost.get("flops", 0.0))
    seconds = median_time(lambda: jax.block_until_ready(fns.value_and_grad(*args)), 5)
    a = jnp.ones((1024, 1024), jnp.float32) * 0.5
    matmul = jax.jit(lambda x: x @ x)
    matmul_s = median_time(lambda: jax.block_until_ready(matmul(a)), 10)
    machine = 2 * 1024**3 / matmul_s
    report["salience_200_gflop"] = flops / 1e9
    report["salience_200_gflops_per_s"] = flops / seconds / 1e9
    report["machine_matmul_gflops_per_s"] = machine / 1e9
    report["salience_fraction_of_matmul_rate"] = flops / seconds / machine


CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r} + "/benchmarks")
import engine_bench as b
print(json.dumps(b.fresh_process_job({mode!r}, t0)))
"""


def recommendation_span(response: str) -> Any:
    """The response's Recommendation line (the menu prompt's `explain:`), else its first line."""
    from prompt_salience.results import CharSpan

    start = response.find("Recommendation")
    start = max(start, 0)
    end = response.find("\n", start)
    return CharSpan(start, len(response) if end < 0 else end)


def fresh_process_job(mode: str, started: float) -> dict[str, Any]:
    """(In a fresh child process) the user's whole job: load the model, generate the menu
    prompt's 32 tokens, explain the response's Recommendation line. `mode` "lit" explains it
    with the LIT-style baseline instead of our salience; both generate the same way."""
    model = load()
    loaded = time.perf_counter()
    out: dict[str, Any] = {"load_s": loaded - started}
    from prompt_salience.engine.explainer import Explainer

    explainer = Explainer(model)
    generation = explainer.generate(menu_prompt(), 32)
    generated = time.perf_counter()
    out["first_generate_s"] = generated - loaded
    out["generated_tokens"] = len(generation.token_ids) - 1 - generation.prompt_token_count
    span = recommendation_span(generation.response)
    if mode == "lit":
        import jax
        import jax.numpy as jnp
        import numpy as np

        first, end = generation.span_tokens(span)
        mask = np.zeros(len(generation.token_ids), np.float32)
        mask[first:end] = 1
        ids = jnp.asarray(generation.token_ids, jnp.int32)
        jax.block_until_ready(lit_style(model)(model.weights, ids, jnp.asarray(mask)))
    else:
        explainer.explain(generation, span, method="grad_l2", granularity="sentences")
    out["first_salience_s"] = time.perf_counter() - generated
    out["explained"] = generation.response[span.start : span.end]
    out["total_s"] = time.perf_counter() - started
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def run_child(mode: str, env: dict[str, str]) -> dict[str, Any]:
    code = CHILD.format(root=str(ROOT), mode=mode)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark child ({mode}) failed:\n{out.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def bench_restart(report: dict[str, Any]) -> None:
    """(c) and (e): fresh processes doing load + generate + explain. Every child's own figures
    go into the report (`restart_<child>_<figure>`), so the JSON holds what the table cites."""
    env = dict(os.environ)
    run_child("ours", env)  # make sure the persistent caches hold these shapes
    warm = run_child("ours", env)
    with tempfile.TemporaryDirectory() as empty:
        # Same converted model, but empty program caches: link the models folder only.
        from prompt_salience.cache_dir import cache_root

        Path(empty, "models").symlink_to(cache_root() / "models")
        cold = run_child("ours", {**env, "PROMPT_SALIENCE_CACHE": empty})
    lit = run_child("lit", env)
    for name, child in (("warm_cache", warm), ("empty_cache", cold), ("lit_style", lit)):
        for key, value in child.items():
            report[f"restart_{name}_{key}"] = value
    report["restart_first_salience_warm_vs_empty"] = (
        warm["first_salience_s"] / cold["first_salience_s"]
    )
    report["restart_first_generate_warm_vs_empty"] = (
        warm["first_generate_s"] / cold["first_generate_s"]
    )
    report["restart_total_warm_vs_empty"] = warm["total_s"] / cold["total_s"]
    report["peak_rss_vs_lit"] = warm["peak_rss_mb"] / lit["peak_rss_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-restart", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    if not args.skip_restart:  # first: one process holding the model at a time
        bench_restart(report)
    model = load()
    prompt = menu_prompt()
    prompt_ids = [model.tokenizer.bos_id, *model.tokenizer.encode(prompt).ids]
    response = model.generate(prompt_ids, 32)
    ids = prompt_ids + response
    report["menu_prompt_tokens"] = len(prompt_ids)
    bench_salience(model, ids, args.repeats, report)
    bench_reselect(model, prompt, args.repeats, report)
    bench_generation(model, prompt, args.repeats, report)
    bench_flops(model, ids, report)
    report.update(machine_facts())
    report["peak_rss_this_process_mb"] = peak_rss_mb()
    print_report(report, args.json)


if __name__ == "__main__":
    main()
