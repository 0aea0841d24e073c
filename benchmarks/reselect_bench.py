"""Re-selecting a span of a finished run, on the menu prompt with the embedded model, in one
process: what a click costs with and without the background prefetch (lsp/span_prefetch.py).

Case quiche-lorraine of the mistake prompt, its settings (Grad L2, 32 new tokens). Each round is
a new generation of the same tokens (a fresh key: nothing cached), timed in this order:
  first     the first explanation of the response: its default span (the baseline);
  other     a span no lens offers (the response's second word), before any prefetch: a pass;
  spans     the prefetch of the lens spans (lines, sentences, the default span), batched;
  lens      a click on a line lens after the prefetch (a cache hit);
  rows      the prefetch's second part: every response token's gradient rows;
  summed    another span no lens offers (the third word), summed from the rows.
Also one jitted call of each batch size (`--call-sizes`: the most a background job delays a
click), and the lens spans one at a time (what batching saves). One warm-up round (compilation) first.

Usage: .venv/bin/python benchmarks/reselect_bench.py [--rounds 3] [--batch 4] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import statistics
import threading
from pathlib import Path
from typing import Any

from bench_report import machine_facts, print_report, timed

ROOT = Path(__file__).resolve().parent.parent
PROMPT = ROOT / "prompts" / "menu-fewshot-mistake.prompt"
CASE = "quiche-lorraine"


def _word(response: str, index: int) -> Any:
    from prompt_salience.results import CharSpan

    found = list(re.finditer(r"\w+", response))[index]
    return CharSpan(found.start(), found.end())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument(
        "--call-sizes",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[1, 2, 4],
        help="batch sizes of the one-call timings",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from prompt_salience.cache_dir import cache_root
    from prompt_salience.engine.case_run import RunSettings, prepare_prompt, run_case
    from prompt_salience.engine.explainer import Explainer
    from prompt_salience.lsp.span_prefetch import lens_spans
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec
    from prompt_salience.prompt.documents import read_document
    from prompt_salience.results import CharSpan
    from prompt_salience.salience.multi_span import SequenceGradients

    spec = parse_model_spec("gemma3_270m")
    model = load_model(spec, precision="float32", cache=cache_root(), report=lambda _: None)
    explainer = Explainer(model)
    document = read_document(PROMPT)
    settings = RunSettings().merged_with(document.settings, {})
    prepared = prepare_prompt(document, CASE, chat_setting="auto", spec=spec)
    run = run_case(explainer, prepared, settings)
    shift = len(run.generation.prompt)
    default = CharSpan(run.result.span.start - shift, run.result.span.end - shift)
    response = run.generation.response
    spans = lens_spans(response, default)
    lenses = [s for s in spans if s != default]
    view = {"method": settings.method, "granularity": settings.granularity}
    never = threading.Event()

    def one_round(key: int) -> dict[str, float]:
        generation = dataclasses.replace(run.generation, key=key)
        first = timed(lambda: explainer.explain(generation, default, **view))
        other = timed(lambda: explainer.explain(generation, _word(response, 1), **view))
        prefetch = lambda rows: explainer.prefetch(  # noqa: E731
            generation,
            spans,
            method=settings.method,
            cancel=never,
            batch=args.batch,
            token_rows=rows,
        )
        spans_s = timed(lambda: prefetch(False))
        lens = timed(lambda: explainer.explain(generation, lenses[0], **view))
        rows = timed(lambda: prefetch(True))
        summed_result: list[Any] = []
        summed = timed(
            lambda: summed_result.append(explainer.explain(generation, _word(response, 2), **view))
        )
        assert "summed_token_rows" in summed_result[0].notes
        return {
            "first": first,
            "other": other,
            "spans": spans_s,
            "lens": lens,
            "rows": rows,
            "summed": summed,
        }

    def one_call_each(key: int) -> dict[str, float]:
        """One jitted call of each batch size: the most a background job delays a click."""
        generation = dataclasses.replace(run.generation, key=key)
        ids = generation.token_ids
        sequence = SequenceGradients(model, ids, len(ids))
        first = 1 + generation.prompt_token_count
        ranges = [generation.span_tokens(s) for s in spans]
        out = {}
        for size in args.call_sizes:
            batch = (ranges * size)[:size]
            out[f"span_call_{size}"] = timed(
                lambda b=batch, n=size: sequence.span_gradients(b, batch=n)
            )
            out[f"rows_call_{size}"] = timed(lambda n=size: sequence.token_rows(first, n))
        return out

    def one_at_a_time(key: int) -> float:
        """The lens spans explained one by one (no batching), with both gradient methods."""
        generation = dataclasses.replace(run.generation, key=key)
        return timed(lambda: [explainer.explain(generation, s, **view) for s in spans])

    one_round(10_000)  # warm-up: compile every shape
    one_call_each(10_001)
    one_at_a_time(10_002)
    rounds = [one_round(20_000 + r) for r in range(args.rounds)]
    calls = [one_call_each(30_000 + r) for r in range(args.rounds)]
    serial = [one_at_a_time(40_000 + r) for r in range(args.rounds)]

    def median(name: str, rows: list[dict[str, float]]) -> float:
        return statistics.median(r[name] for r in rows)

    tokens = len(run.generation.token_ids)
    distinct = len({run.generation.span_tokens(s) for s in spans})
    report: dict[str, Any] = {
        **machine_facts(),
        "prompt": f"{PROMPT.name} ({CASE}), {settings.method}",
        "tokens_total": tokens,
        "response_tokens": tokens - 1 - run.generation.prompt_token_count,
        "lens_spans_distinct": distinct,
        "batch": args.batch,
        "rounds": args.rounds,
    }
    first = median("first", rounds)
    for name in ("first", "other", "spans", "lens", "rows", "summed"):
        report[f"{name}_s"] = median(name, rounds)
    for size in args.call_sizes:
        for kind in ("span", "rows"):
            report[f"{kind}_call_{size}_s"] = median(f"{kind}_call_{size}", calls)
            report[f"{kind}_call_{size}_over_first"] = median(f"{kind}_call_{size}", calls) / first
    report["lens_one_at_a_time_s"] = statistics.median(serial)
    for name in ("other", "lens", "summed", "spans", "rows"):
        report[f"{name}_over_first"] = median(name, rounds) / first
    report["spans_over_one_at_a_time"] = median("spans", rounds) / statistics.median(serial)
    print_report(report, args.json)


if __name__ == "__main__":
    main()
