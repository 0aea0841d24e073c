"""Greedy generation on the embedded Gemma 3 270M against keras-hub's compiled loop, same tokens.

Rows, timed in one process with the rounds interleaved (the machine is shared and noisy):
  keras_hub         `Gemma3CausalLM.generate_function`: prefill of prompt + new tokens, then a
                    compiled while loop of cached steps (the reference, 1.00);
  ours              `GemmaLM.generate` as this platform runs it;
  ours_keras_blocks our loop with keras-hub's decoder blocks (the decode step before
                    models/gemma3_decode.py), for the share of the layers;
  ours_bf16_head    our loop with the bfloat16 candidate head forced (models/decoding_head.py).
Every row generates exactly `--tokens` tokens (stop tokens ignored) on the menu prompt, and the
tokens must be equal. Then a per-token profile of the decode step: its layers (ours, keras-hub's
blocks) and its head (float32 matrix-vector product, keras-hub's reverse embedding, the
bfloat16 candidates), and the prefill.

Usage: .venv/bin/python benchmarks/generation_bench.py [--repeats 5] [--tokens 32]
           [--json docs/benchmarks/generation-cpu.json]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_report import machine_facts, print_report, timed

ROOT = Path(__file__).resolve().parent.parent
MENU = ROOT / "prompts" / "menu-fewshot-mistake.prompt"


class NoStop:
    """A tokenizer stand-in for generate(): no stop tokens, so every row makes `--tokens`."""

    stop_ids: tuple[int, ...] = ()


def variant(model: Any, *, fast_layers: bool, low_head: Any) -> Any:
    """Another GemmaLM on the same weights, with plain jit (no stored programs to share)."""
    import jax

    from prompt_salience.models.language_model import GemmaLM

    other = GemmaLM(model.backbone, model.tokenizer, model.info)
    other.tokenizer = NoStop()
    other._fast_layers = fast_layers
    other._low_head = low_head
    other._decode = jax.jit(other._decode_impl, donate_argnums=(2,))
    other._prefill = jax.jit(other._prefill_impl)
    return other


def interleaved(rows: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds of each row, after one warm-up each, the rows alternating per round."""
    for fn in rows.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(repeats):
        for name, fn in rows.items():
            times[name].append(timed(fn))
    return {name: statistics.median(values) for name, values in times.items()}


def generation_rows(model: Any, ids: list[int], tokens: int, report: dict[str, Any]) -> None:
    import keras_hub
    import numpy as np

    from prompt_salience.models import decoding_head

    table = model.backbone.token_embedding.embeddings.value
    ours = variant(model, fast_layers=model._fast_layers, low_head=model._low_head)
    keras_blocks = variant(model, fast_layers=False, low_head=model._low_head)
    bf16 = variant(model, fast_layers=True, low_head=decoding_head.low_precision_copy(table))
    causal_lm = keras_hub.models.Gemma3CausalLM(backbone=model.backbone, preprocessor=None)
    causal_lm.compile(sampler="greedy")
    causal_lm.make_generate_function()
    n = len(ids)
    inputs = {
        "token_ids": np.array([ids + [0] * tokens], "int32"),
        "padding_mask": np.array([[1] * n + [0] * tokens], "int32"),
    }

    def keras_hub_generate() -> list[int]:
        out = causal_lm.generate_function(inputs, stop_token_ids=None)
        return [int(t) for t in np.asarray(out["token_ids"])[0, n:]]

    rows: dict[str, Callable[[], Any]] = {
        "keras_hub": keras_hub_generate,
        "ours": lambda: ours.generate(ids, tokens),
        "ours_keras_blocks": lambda: keras_blocks.generate(ids, tokens),
        "ours_bf16_head": lambda: bf16.generate(ids, tokens),
    }
    reference = keras_hub_generate()
    for name, fn in rows.items():
        report[f"tokens_equal_{name}"] = fn() == reference
    medians = interleaved(rows, report["repeats"])
    for name, seconds in medians.items():
        report[f"generate_{tokens}_{name}_s"] = seconds
    for name, seconds in medians.items():
        report[f"{name}_vs_keras_hub"] = seconds / medians["keras_hub"]
    report["response"] = model.tokenizer.decode(reference).text


def step_profile(model: Any, ids: list[int], report: dict[str, Any]) -> None:
    """Milliseconds per piece of one decode step at the prompt's end, and the prefill."""
    import jax
    import jax.numpy as jnp

    from prompt_salience.models import decoding_head, gemma3_decode
    from prompt_salience.models.shapes import bucket_length

    weights = model.weights
    n = len(ids)
    cache = model._empty_cache(bucket_length(n + 32, 64))
    token = jnp.asarray([[ids[-1]]], jnp.int32)
    index = jnp.asarray(n - 1, jnp.int32)

    def layers(fast: bool) -> Callable[..., Any]:
        def run(weights: Any, token: Any, cache: Any, index: Any) -> Any:
            with model._scope(weights):
                x = model.embed(weights, token)
                if fast:
                    return gemma3_decode.run_decoder_layers(model.backbone, x, cache, index)
                for i, layer in enumerate(model.backbone.transformer_layers):
                    x, _ = layer(x, cache=cache[i], cache_update_index=index)
                return x

        return jax.jit(run)

    ours_layers, keras_layers = layers(True), layers(False)
    hidden, _ = ours_layers(weights, token, cache, index)
    with model._scope(weights):
        normed = model.backbone.layer_norm(hidden)[0, -1]
    table = model.backbone.token_embedding.embeddings.value
    low = decoding_head.low_precision_copy(table)
    head_f32 = jax.jit(decoding_head.greedy_token)
    head_bf16 = jax.jit(lambda table, h, low: decoding_head.greedy_token(table, h, None, low))

    @jax.jit
    def head_keras(weights: Any, h: Any) -> Any:
        with model._scope(weights):
            return jnp.argmax(model.backbone.token_embedding(h[None], reverse=True)[0])

    padded = bucket_length(n, 64)
    prompt = jnp.zeros((1, padded), jnp.int32).at[0, :n].set(jnp.asarray(ids))
    prefill = jax.jit(model._prefill_impl)
    pieces: dict[str, Callable[[], Any]] = {
        "layers_ours": lambda: ours_layers(weights, token, cache, index),
        "layers_keras_blocks": lambda: keras_layers(weights, token, cache, index),
        "head_f32_matvec": lambda: head_f32(table, normed),
        "head_keras_reverse_embedding": lambda: head_keras(weights, normed),
        "head_bf16_candidates": lambda: head_bf16(table, normed, low),
        "prefill_ours": lambda: prefill(weights, model._low_head, prompt, jnp.asarray(n), cache),
    }
    ready = {name: (lambda fn=fn: jax.block_until_ready(fn())) for name, fn in pieces.items()}
    for name, seconds in interleaved(ready, report["repeats"] * 2).items():
        report[f"step_{name}_ms"] = seconds * 1000
    same = int(head_bf16(table, normed, low)) == int(head_f32(table, normed))
    report["step_bf16_head_token_equal"] = same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from prompt_salience.cache_dir import cache_root
    from prompt_salience.engine.case_run import prepare_prompt
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec
    from prompt_salience.prompt.documents import read_document

    spec = parse_model_spec("gemma3_270m")
    model = load_model(spec, precision="float32", cache=cache_root(), report=lambda _: None)
    text = prepare_prompt(read_document(MENU), "quiche-lorraine", chat_setting="off", spec=spec)
    ids = [model.tokenizer.bos_id, *model.tokenizer.encode(text.text).ids]
    report: dict[str, Any] = {**machine_facts(), "repeats": args.repeats}
    report["prompt_tokens"] = len(ids)
    report["new_tokens"] = args.tokens
    report["low_precision_head_on_this_platform"] = model._low_head is not None
    generation_rows(model, ids, args.tokens, report)
    step_profile(model, ids, report)
    import os

    report["load_average_1m_at_end"] = os.getloadavg()[0]
    print_report(report, args.json)


if __name__ == "__main__":
    main()
