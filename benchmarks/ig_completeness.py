"""Integrated gradients on the embedded model: the old fixed 16-step rule against the adaptive one.

The codelab's menu prompt (menu-fewshot-mistake, case quiche-lorraine), its Recommendation line
as the span, lines granularity. Both run on the same SpanObjective after one warm-up (the
compiled shapes are shared), in alternating order, `--repeats` rounds:
  - old: the midpoint rule on 16 equal intervals, batches of 8, as the method did before;
  - new: the method at its defaults (trapezoid rule, points added until the gap is in bound).
The same two, timed once after a warm-up, on a short case: prompts/what-if-target.prompt.
Printed: the completeness gap (|sum of scores - (f(input) - f(baseline))| over the change), the
gradient points spent, seconds (median), and the ratio new/old; and, once, the old rule with as
many points as the new one spent (what placing the points buys at equal cost). Also AOPC over
the top 10 lines (the mean drop of log p(span) as the 1..10 best-ranked lines are hidden
together, hidden as segment ablation hides them) for each ranking, for segment ablation's, and
for random orders: higher is a ranking more faithful to deletion. And the profile f(alpha) of
the straight path at 65 points, which says why.

Usage: .venv/bin/python benchmarks/ig_completeness.py [--repeats 3] [--json out/ig.json]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

from bench_report import machine_facts, print_report, timed

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "prompts"
CASE = "quiche-lorraine"
OLD_STEPS = 16
BATCH = 8
TOP = 10
RANDOM_ORDERS = 8


def old_uniform_rule(objective: Any, steps: int) -> tuple[Any, float]:
    """The method as it was: mean gradient at `steps` midpoints times (input - baseline); the
    relative completeness gap."""
    import jax.numpy as jnp
    import numpy as np

    emb, baseline = objective.embeddings, objective.baseline_embeddings()
    alphas = (np.arange(steps, dtype=np.float32) + 0.5) / steps
    total = np.zeros((objective.length, emb.shape[1]), np.float64)
    for start in range(0, steps, BATCH):
        chunk = np.zeros((BATCH,), np.float32)
        chunk[: len(alphas[start : start + BATCH])] = alphas[start : start + BATCH]
        points = baseline[None] + jnp.asarray(chunk)[:, None, None] * (emb - baseline)[None]
        _, grads = objective.values_and_grads(points)
        total += grads[: min(BATCH, steps - start)].astype(np.float64).sum(axis=0)
    delta = (np.asarray(emb, np.float64) - np.asarray(baseline, np.float64))[: objective.length]
    scores = np.sum(total / steps * delta, axis=-1)
    ends = np.ones((2, objective.length), np.int32)
    f_input, f_base = objective.values(jnp.stack([emb, baseline]), ends)
    difference = f_input - f_base
    return scores, abs(float(np.sum(scores)) - difference) / abs(difference)


def aopc(objective: Any, groups: list[list[int]], order: list[int]) -> float:
    """Mean over k = 1..TOP of log p(span) minus log p(span | the first k lines of `order`
    hidden): their tokens become the padding embedding and are masked as keys."""
    import jax.numpy as jnp
    import numpy as np

    emb = objective.embeddings
    padding = objective.model.embed(objective.weights, jnp.asarray([0], jnp.int32))[0]
    full = float(objective.values(emb[None], np.ones((1, objective.length), np.int32))[0])
    drops: list[float] = []
    for start in range(0, TOP, BATCH):
        masks = np.ones((BATCH, objective.length), np.int32)
        hidden = np.zeros((BATCH, emb.shape[0], 1), np.float32)
        for row, k in enumerate(range(start + 1, min(TOP, start + BATCH) + 1)):
            for line in order[:k]:
                masks[row, groups[line]] = 0
                hidden[row, groups[line]] = 1.0
        rows = jnp.asarray(hidden, emb.dtype)
        values = objective.values(emb[None] * (1 - rows) + padding[None, None] * rows, masks)
        drops.extend(full - values[: min(TOP, start + BATCH) - start])
    return float(np.mean(drops))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import jax.numpy as jnp
    import numpy as np

    from prompt_salience.cache_dir import cache_root
    from prompt_salience.engine.case_run import RunSettings, prepare_prompt
    from prompt_salience.engine.explainer import Explainer
    from prompt_salience.engine.segmentation import group_tokens, segment_text
    from prompt_salience.engine.span_selection import find_span
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec
    from prompt_salience.prompt.documents import read_document
    from prompt_salience.salience.objective import SpanObjective
    from prompt_salience.salience.registry import get_method

    spec = parse_model_spec("gemma3_270m")
    model = load_model(spec, precision="float32", cache=cache_root(), report=lambda _: None)
    document = read_document(PROMPTS / "menu-fewshot-mistake.prompt")
    prepared = prepare_prompt(document, CASE, chat_setting="auto", spec=spec)
    run = RunSettings().merged_with(document.settings, {})
    generation = Explainer(model).generate(
        prepared.text, run.max_new_tokens, source_map=prepared.source_map
    )
    span = find_span(generation.response, run.explain)
    first, end = generation.span_tokens(span)
    objective = SpanObjective(model, generation.token_ids, first, end)
    segments = segment_text(
        generation.text,
        "lines",
        token_spans=generation.token_spans,
        source_map=generation.source_map,
        prompt_length=len(generation.prompt),
    )
    groups = [
        [i + 1 for i in group if 1 <= i + 1 < first]  # +1: BOS; attributable tokens only
        for group in group_tokens(segments, generation.token_spans)
    ]
    method = get_method("integrated_gradients")

    def ranking(scores: Any) -> list[int]:
        totals = [float(np.sum(scores[g])) if g else 0.0 for g in groups]
        return sorted((i for i in range(len(groups)) if groups[i]), key=lambda i: -totals[i])

    # The profile of f along the straight path (forwards only): where the change happens.
    alphas = np.linspace(0.0, 1.0, 65)
    emb, base = objective.embeddings, objective.baseline_embeddings()
    profile: list[float] = []
    for start in range(0, len(alphas), BATCH):
        chunk = np.zeros((BATCH,), np.float32)
        chunk[: len(alphas[start : start + BATCH])] = alphas[start : start + BATCH]
        points = base[None] + jnp.asarray(chunk)[:, None, None] * (emb - base)[None]
        values = objective.values(points, np.ones((BATCH, objective.length), np.int32))
        profile.extend(values[: len(alphas[start : start + BATCH])].tolist())

    old_scores, old_gap = old_uniform_rule(objective, OLD_STEPS)  # warm-up: compilation
    new = method.attribute(objective)
    old_s: list[float] = []
    new_s: list[float] = []
    for round_ in range(args.repeats):
        pair = [
            (old_s, lambda: old_uniform_rule(objective, OLD_STEPS)),
            (new_s, lambda: method.attribute(objective)),
        ]
        for times, fn in pair if round_ % 2 == 0 else list(reversed(pair)):
            times.append(timed(fn))
    equal_cost_scores, equal_cost_gap = old_uniform_rule(objective, int(new.notes["steps"]))
    ablation = get_method("segment_ablation").attribute(objective, [g for g in groups if g])
    rng = np.random.default_rng(0)
    lines = [i for i in range(len(groups)) if groups[i]]
    random_aopc = [
        aopc(objective, groups, rng.permutation(lines).tolist()) for _ in range(RANDOM_ORDERS)
    ]
    # A second, short case: the what-if prompt (a given target, no generation).
    what_if = read_document(PROMPTS / "what-if-target.prompt")
    short = prepare_prompt(what_if, None, chat_setting="auto", spec=spec)
    short_run = RunSettings().merged_with(what_if.settings, {})
    assert short.target is not None
    forced = Explainer(model).with_target(short.text, short.target)
    short_first, short_end = forced.span_tokens(find_span(forced.response, short_run.explain))
    short_objective = SpanObjective(model, forced.token_ids, short_first, short_end)
    _, short_old_gap = old_uniform_rule(short_objective, OLD_STEPS)  # warm-up
    method.attribute(short_objective)
    short_old_s = timed(lambda: old_uniform_rule(short_objective, OLD_STEPS))
    short_new = method.attribute(short_objective)
    short_new_s = timed(lambda: method.attribute(short_objective))

    notes = new.notes
    old_median, new_median = statistics.median(old_s), statistics.median(new_s)
    report: dict[str, Any] = {
        **machine_facts(),
        "tokens": objective.length,
        "span_tokens": end - first,
        "lines_with_tokens": len(lines),
        "f_input": notes["logprob_input"],
        "f_baseline": notes["logprob_baseline"],
        "old_gap_relative": old_gap,
        "old_steps": OLD_STEPS,
        "old_seconds": old_median,
        "new_gap_relative": notes["completeness_gap_relative"],
        "new_bound": notes["completeness_bound"],
        "new_steps": int(notes["steps"]),
        "new_steps_cap": int(notes["steps_cap"]),
        "new_largest_panel_gap_relative": notes["largest_panel_gap_relative"],
        "new_seconds": new_median,
        "time_ratio_new_over_old": new_median / old_median,
        "old_rule_at_new_steps_gap_relative": equal_cost_gap,
        "old_seconds_all": old_s,
        "new_seconds_all": new_s,
        "aopc_top10_old": aopc(objective, groups, ranking(old_scores)),
        "aopc_top10_new": aopc(objective, groups, ranking(new.token_scores)),
        "aopc_top10_old_rule_at_new_steps": aopc(objective, groups, ranking(equal_cost_scores)),
        "aopc_top10_segment_ablation": aopc(objective, groups, ranking(ablation.token_scores)),
        "aopc_top10_random_mean": float(np.mean(random_aopc)),
        "aopc_top10_random_all": random_aopc,
        "what_if_tokens": short_objective.length,
        "what_if_old_gap_relative": short_old_gap,
        "what_if_old_seconds": short_old_s,
        "what_if_new_gap_relative": short_new.notes["completeness_gap_relative"],
        "what_if_new_steps": int(short_new.notes["steps"]),
        "what_if_new_seconds": short_new_s,
        "what_if_time_ratio_new_over_old": short_new_s / short_old_s,
        "profile_alpha_step": 1 / 64,
        "profile_f": profile,
    }
    print_report(report, args.json)


if __name__ == "__main__":
    main()
