"""A whole `compare` against two plain runs, in one process, on the embedded Gemma 3 270M.

The sides are the codelab's mistake and fixed menu prompts (case quiche-lorraine, the files'
own settings: 32 new tokens, grad_l2, sentences). What is timed:
  - two runs: `run_case` on A, then on B (generate + explain each), as `run` does twice;
  - a whole compare: the same two runs, then `compare_runs` (the four cross-scores: each
    response forced after the other prompt, forward passes only; and the segment alignment).
Each gets one warm-up (compilation), then both run once per round for `--repeats` rounds, in
alternating order, so that background load hits both alike. Printed: the medians, the ratio of
the medians, the median of each round's own ratio (the steadier figure on a busy machine), and
what the comparison itself adds after the two runs. Every round generates afresh: new
generations share no cached attribution with earlier ones.

Usage: .venv/bin/python benchmarks/compare_bench.py [--repeats 5] [--json out/compare.json]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from bench_report import machine_facts, print_report, timed

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "prompts"
CASE = "quiche-lorraine"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from prompt_salience.cache_dir import cache_root
    from prompt_salience.engine.case_run import RunSettings, prepare_prompt, run_case
    from prompt_salience.engine.comparison import compare_runs
    from prompt_salience.engine.explainer import Explainer
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec
    from prompt_salience.prompt.documents import read_document

    spec = parse_model_spec("gemma3_270m")
    model = load_model(spec, precision="float32", cache=cache_root(), report=lambda _: None)
    explainer = Explainer(model)
    sides = []
    for name in ("menu-fewshot-mistake", "menu-fewshot-fixed"):
        document = read_document(PROMPTS / f"{name}.prompt")
        prepared = prepare_prompt(document, CASE, chat_setting="auto", spec=spec)
        sides.append((prepared, RunSettings().merged_with(document.settings, {})))

    def two_runs() -> Any:
        return [run_case(explainer, prepared, settings) for prepared, settings in sides]

    cross_times: list[float] = []

    def whole_compare() -> Any:
        run_a, run_b = two_runs()
        start = time.perf_counter()
        comparison = compare_runs(explainer, run_a, run_b, a_label="A", b_label="B")
        cross_times.append(time.perf_counter() - start)
        return comparison

    warm_runs, warm_compare = timed(two_runs), timed(whole_compare)
    cross_times.clear()
    runs_s, compare_s = [], []
    for round_ in range(args.repeats):
        if round_ % 2:  # alternate which goes first, so that a drift in load hits both alike
            compare_s.append(timed(whole_compare))
            runs_s.append(timed(two_runs))
        else:
            runs_s.append(timed(two_runs))
            compare_s.append(timed(whole_compare))
    comparison = whole_compare()
    paired = [c / r for c, r in zip(compare_s, runs_s, strict=True)]
    extra = statistics.median(cross_times[:-1])
    report: dict[str, Any] = {
        **machine_facts(),
        "repeats": args.repeats,
        "warmup_two_runs_s": warm_runs,
        "warmup_compare_s": warm_compare,
        "two_runs_median_s": statistics.median(runs_s),
        "compare_median_s": statistics.median(compare_s),
        "compare_part_after_the_runs_median_s": extra,
        "compare_vs_two_runs_ratio_of_medians": statistics.median(compare_s)
        / statistics.median(runs_s),
        "compare_vs_two_runs_median_of_paired_ratios": statistics.median(paired),
        "compare_part_after_the_runs_vs_two_runs": extra / statistics.median(runs_s),
        "two_runs_s": runs_s,
        "compare_s": compare_s,
        "delta_logprob_a_target": comparison.cross.delta_a,
        "delta_logprob_b_target": comparison.cross.delta_b,
    }
    print_report(report, args.json)


if __name__ == "__main__":
    main()
