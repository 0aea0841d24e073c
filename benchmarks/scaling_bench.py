"""How salience cost grows with the prompt, on the embedded Gemma 3 270M (CPU).

Grad L2 of the last 16 tokens of the menu prompt repeated to 256 ... 4,096 tokens, timed for:
  ours      the salience forward (models/gemma_forward.py: chunked sliding-window attention in
            the local layers, the last block at the span only);
  before    the same objective through keras-hub's own blocks (T x T attention everywhere):
            what the engine ran before the sliding window;
  lit       engine_bench's LIT-style baseline (logits at every position) on keras-hub's blocks.
Each row gives medians (wall seconds, and CPU seconds of this process, which the load from
other processes disturbs less), ratios in this run, and the growth per doubling; the contenders
take turns within a length. Then what padding
costs: one length timed at its exact shape and at its bucket (models/shapes.py), old and new.

Usage: .venv/bin/python benchmarks/scaling_bench.py [--lengths 256 512 ...]
       [--max-baseline-length 2048] [--max-before-length 2048] [--repeats 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

from bench_report import machine_facts, print_report
from engine_bench import lit_style, load, menu_prompt

SPAN = 16


class KerasHubBlocks:
    """The loaded model scored through keras-hub's own decoder blocks (the reference path)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.hidden_dim = model.hidden_dim

    @property
    def weights(self) -> Any:
        return self.model.weights

    def embed(self, weights: Any, token_ids: Any) -> Any:
        return self.model.embed(weights, token_ids)

    def span_logits(self, weights: Any, embeddings: Any, mask: Any, positions: Any) -> Any:
        import jax.numpy as jnp

        from prompt_salience.models import gemma_forward

        with self.model._scope(weights):
            x = gemma_forward.keras_hub_forward(self.model.backbone, embeddings, mask, positions)
            x = self.model.backbone.layer_norm(x)
            return self.model.backbone.token_embedding(x, reverse=True).astype(jnp.float32)


def repeated_menu(model: Any, length: int) -> list[int]:
    """BOS, then the menu prompt's tokens repeated, `length` tokens in all."""
    text = model.tokenizer.encode(menu_prompt()).ids
    body = (text * (length // len(text) + 1))[: length - 1]
    return [model.tokenizer.bos_id, *body]


def interleaved(calls: dict[str, Callable[[], Any]], repeats: int) -> dict[str, Any]:
    """Each call once to compile (its seconds as `<name>_first`), then `repeats` rounds that
    take turns, so that a change in the machine's load hits every contender alike. Medians,
    and each call's last result as `<name>_result`."""
    out: dict[str, Any] = {}
    times: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}

    def run(name: str) -> float:
        start, start_cpu = time.perf_counter(), time.process_time()
        out[f"{name}_result"] = calls[name]()
        cpu[name].append(time.process_time() - start_cpu)
        return time.perf_counter() - start

    for name in calls:
        out[f"{name}_first"] = run(name)
        cpu[name].clear()
    for _ in range(repeats):
        for name in calls:
            times[name].append(run(name))
    out.update({name: statistics.median(seconds) for name, seconds in times.items()})
    # CPU seconds of this process: steadier than wall time while others load the machine.
    out.update({f"{name}_cpu": statistics.median(seconds) for name, seconds in cpu.items()})
    return out


def old_bucket(n: int) -> int:
    """models/shapes.bucket_length before: steps of an eighth of the next power of two."""
    step = max(32, (1 << (n - 1).bit_length()) // 8)
    return max(64, -(-n // step) * step)


def grad_l2(scoring: Any, ids: Sequence[int], padded_to: int | None = None) -> Any:
    """Grad L2 of the last SPAN tokens; padded to `padded_to` instead of the bucket if given."""
    from prompt_salience.salience import objective
    from prompt_salience.salience.registry import get_method

    n = len(ids)
    bucket = objective.bucket_length if padded_to is None else (lambda _: padded_to)
    with mock.patch.object(objective, "bucket_length", bucket):
        span = objective.SpanObjective(scoring, ids, n - SPAN, n)
    return get_method("grad_l2").attribute(span).token_scores


def lit_call(model: Any, ids: Sequence[int]) -> Callable[[], Any]:
    import jax
    import jax.numpy as jnp
    import numpy as np

    value_and_grad = lit_style(KerasHubBlocks(model))
    mask = np.zeros((len(ids),), np.float32)
    mask[-SPAN:] = 1
    token_ids, target = jnp.asarray(ids, jnp.int32), jnp.asarray(mask)
    return lambda: jax.block_until_ready(value_and_grad(model.weights, token_ids, target))


class Report(dict[str, Any]):
    """The figures, each also printed as it comes (a long run can be cut short)."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        print(f"  {key} = {value:.3f}" if isinstance(value, float) else f"  {key} = {value}")
        sys.stdout.flush()


def bench_lengths(model: Any, args: argparse.Namespace, report: dict[str, Any]) -> None:
    import numpy as np

    before_model = KerasHubBlocks(model)
    previous: dict[str, float] = {}
    for length in args.lengths:
        ids = repeated_menu(model, length)
        calls: dict[str, Callable[[], Any]] = {"ours": lambda ids=ids: grad_l2(model, ids)}
        if length <= args.max_before_length:
            calls["before"] = lambda ids=ids: grad_l2(before_model, ids)
        if length <= args.max_baseline_length:
            calls["lit"] = lit_call(model, ids)
        repeats = args.repeats if length < 2048 else 1  # the long ones take minutes
        timing = interleaved(calls, repeats)
        report[f"{length}_ours_first_call_s"] = timing["ours_first"]
        for clock in ("", "_cpu"):  # wall seconds, then CPU seconds
            for name in calls:
                key = f"{name}{clock}"
                report[f"{length}_{key}_s"] = timing[key]
                if key in previous:
                    report[f"{length}_{key}_growth_per_doubling"] = timing[key] / previous[key]
            for name in ("before", "lit"):
                if name in calls:
                    ratio = timing[f"ours{clock}"] / timing[f"{name}{clock}"]
                    report[f"{length}_ours_vs_{name}{clock}"] = ratio
        if "before" in calls:
            ours, before = timing["ours_result"], timing["before_result"]
            same = np.corrcoef(ours[1:-SPAN], before[1:-SPAN])[0, 1]
            report[f"{length}_ours_corr_with_before"] = float(same)
        previous = {key: timing[key] for name in calls for key in (name, f"{name}_cpu")}


def bench_padding(model: Any, args: argparse.Namespace, report: dict[str, Any]) -> None:
    """One length at its exact shape, its new bucket and its old one."""
    from prompt_salience.models.shapes import bucket_length

    for n in args.padding_lengths:
        ids = repeated_menu(model, n)
        shapes = {"exact": n, "bucket": bucket_length(n), "old_bucket": old_bucket(n)}
        calls: dict[str, Callable[[], Any]] = {
            f"{name}_{padded}": lambda ids=ids, padded=padded: grad_l2(model, ids, padded)
            for name, padded in shapes.items()
        }
        timing = interleaved(calls, args.repeats)
        for clock in ("", "_cpu"):
            exact = timing[f"exact_{n}{clock}"]
            for name in calls:
                report[f"padding_{n}_{name}{clock}_s"] = timing[f"{name}{clock}"]
                if not name.startswith("exact"):
                    ratio = timing[f"{name}{clock}"] / exact
                    report[f"padding_{n}_{name}{clock}_vs_exact"] = ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096])
    parser.add_argument("--max-baseline-length", type=int, default=2048)
    parser.add_argument("--max-before-length", type=int, default=2048)
    parser.add_argument("--padding-lengths", type=int, nargs="*", default=[65, 1025])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report: dict[str, Any] = Report()
    model = load()
    for key, value in machine_facts().items():
        report[key] = value
    bench_lengths(model, args, report)
    bench_padding(model, args, report)
    report["load_average_1m_at_end"] = machine_facts()["load_average_1m"]
    print_report(report, args.json)


if __name__ == "__main__":
    main()
