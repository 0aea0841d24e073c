"""The model work of a live re-score against a full run, in one process, on the embedded model.

The story of the codelab: the mistake prompt's answer is the baseline; the user fixes the first
example. What is timed, both on the fixed prompt (case quiche-lorraine, the file's settings):
  - a re-score, as `lsp/rescore.py` does it: the baseline response forced as the target
    (`with_target`, no generation), then its explained span explained again;
  - a full run, as "Run again" does: `run_case` (generate 32 tokens, then explain).
Not timed: the 0.7 s pause in typing before a re-score starts, and the language server's own
overhead (0.4 % of the model work, docs/benchmarks.md). One warm-up each (compilation), then
`--repeats` rounds in alternating order; every round is a new generation (no cached scores).

Usage: .venv/bin/python benchmarks/rescore_bench.py [--repeats 5] [--json out/rescore.json]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from prompt_salience.cache_dir import cache_root
    from prompt_salience.engine.case_run import (
        RunSettings,
        method_options,
        prepare_prompt,
        run_case,
    )
    from prompt_salience.engine.explainer import Explainer
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec
    from prompt_salience.prompt.documents import read_document

    spec = parse_model_spec("gemma3_270m")
    model = load_model(spec, precision="float32", cache=cache_root(), report=lambda _: None)
    explainer = Explainer(model)

    def side(name: str) -> tuple[Any, RunSettings]:
        document = read_document(PROMPTS / f"{name}.prompt")
        prepared = prepare_prompt(document, CASE, chat_setting="auto", spec=spec)
        return prepared, RunSettings().merged_with(document.settings, {})

    mistake, settings = side("menu-fewshot-mistake")
    fixed, fixed_settings = side("menu-fewshot-fixed")
    baseline = run_case(explainer, mistake, settings)  # the pinned answer
    logprobs: list[float] = []

    def rescore() -> None:
        forced = explainer.with_target(fixed.text, baseline.generation.response)
        result = explainer.explain(
            forced,
            baseline.span,
            method=baseline.result.method,
            granularity=baseline.result.granularity,
            method_options=method_options(fixed_settings, baseline.result.method),
        )
        assert result.span_logprob is not None
        logprobs.append(result.span_logprob)

    def full_run() -> None:
        run_case(explainer, fixed, fixed_settings)

    warm_rescore, warm_run = timed(rescore), timed(full_run)
    rescore_s, run_s = [], []
    for round_ in range(args.repeats):
        pair = [(rescore_s, rescore), (run_s, full_run)]
        for times, fn in pair if round_ % 2 == 0 else reversed(pair):
            times.append(timed(fn))
    paired = [r / f for r, f in zip(rescore_s, run_s, strict=True)]
    report: dict[str, Any] = {
        **machine_facts(),
        "repeats": args.repeats,
        "warmup_rescore_s": warm_rescore,
        "warmup_full_run_s": warm_run,
        "rescore_median_s": statistics.median(rescore_s),
        "full_run_median_s": statistics.median(run_s),
        "rescore_vs_full_run_ratio_of_medians": statistics.median(rescore_s)
        / statistics.median(run_s),
        "rescore_vs_full_run_median_of_paired_ratios": statistics.median(paired),
        "rescore_s": rescore_s,
        "full_run_s": run_s,
        "baseline_logprob": baseline.result.span_logprob,
        "rescored_logprob": logprobs[-1],
    }
    print_report(report, args.json)


if __name__ == "__main__":
    main()
