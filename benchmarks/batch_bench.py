"""Batch throughput: the menu template over N generated cases, batched against one case at a
time, on the embedded model, in the same script; the peak memory of each; the time to resume a
finished run (nothing recomputed, no model loaded).

Each mode runs in its own child process (its own peak memory), after a warm-up batch that
compiles its shapes (not counted: a long run compiles once). The cases are the same in both.

Usage: .venv/bin/python benchmarks/batch_bench.py [--cases 200] [--batch-size 8]
           [--max-new-tokens 16] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "pyserver"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ["KERAS_BACKEND"] = "jax"

TEMPLATE = ROOT / "prompts" / "menu-fewshot-mistake.prompt"
LIKES = ["Cheese", "Oranges and desserts", "Spicy food", "Fish", "Bread", "Chocolate", "Tea"]
DISLIKES = ["Eggs", "No alcohol", "Garlic", "Nuts", "Milk", "Onions", "Sugar"]
ITEMS = [
    "Quiche Lorraine",
    "Crêpe Suzette",
    "Onion soup",
    "Tarte Tatin",
    "Bouillabaisse",
    "Ratatouille",
    "Croissant",
    "Coq au vin",
    "Macaron",
    "Cassoulet",
    "Madeleine",
]


def write_data(path: Path, cases: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(cases):
            row = {
                "name": f"case-{i:04d}",
                "food_likes": LIKES[i % len(LIKES)],
                "food_dislikes": DISLIKES[(i // len(LIKES)) % len(DISLIKES)],
                "menu_item": ITEMS[i % len(ITEMS)],
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def child(data: Path, batch_size: int, max_new_tokens: int, out: Path | None) -> dict[str, Any]:
    from prompt_salience.cache_dir import cache_root
    from prompt_salience.engine.batch_run import plan_batch, run_planned
    from prompt_salience.engine.explainer import Explainer
    from prompt_salience.engine.results_file import ResultsWriter
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec

    flags = {"max_new_tokens": max_new_tokens}
    plan = plan_batch(TEMPLATE, data, flags, lambda d: d)
    model = load_model(
        parse_model_spec("gemma3_270m"), precision="float32", cache=cache_root(), report=print
    )
    explainer = Explainer(model)
    warm = plan.cases[:batch_size]
    started = time.perf_counter()
    for _ in run_planned(explainer, plan, warm, lambda r: None, batch_size=batch_size):
        pass
    warm_up = time.perf_counter() - started
    records: list[dict[str, Any]] = []
    started = time.perf_counter()
    for _, error in run_planned(explainer, plan, plan.cases, records.append, batch_size=batch_size):
        assert error is None, error
    seconds = time.perf_counter() - started
    if out is not None:
        with ResultsWriter(out, resume=False) as writer:
            for record in records:
                writer.write(record)
    return {
        "cases": len(records),
        "seconds": seconds,
        "cases_per_s": len(records) / seconds,
        "warm_up_s": warm_up,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def run_child(
    args: argparse.Namespace, data: Path, batch_size: int, out: Path | None
) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        str(data),
        str(batch_size),
        "--max-new-tokens",
        str(args.max_new_tokens),
    ]
    if out is not None:
        command += ["--child-out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs=2, metavar=("DATA", "BATCH"))
    parser.add_argument("--child-out", type=Path)
    args = parser.parse_args()
    if args.child:
        report = child(Path(args.child[0]), int(args.child[1]), args.max_new_tokens, args.child_out)
        print(json.dumps(report))
        return 0

    import jax  # noqa: F401  (machine_facts reads its version)
    from bench_report import machine_facts, print_report

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "cases.jsonl"
        write_data(data, args.cases)
        results = Path(folder) / "results.jsonl"
        batched = run_child(args, data, args.batch_size, results)
        single = run_child(args, data, 1, None)
        command = [
            str(ROOT / ".venv" / "bin" / "prompt-salience"),
            "batch",
            str(TEMPLATE),
            "--data",
            str(data),
            "--out",
            str(results),
            "--resume",
            "--max-new-tokens",
            str(args.max_new_tokens),
        ]
        started = time.perf_counter()
        resumed = subprocess.run(command, capture_output=True, text=True, check=True)
        resume_s = time.perf_counter() - started
        assert "0 run now" in resumed.stdout, resumed.stdout
    report = {
        **machine_facts(),
        "cases": args.cases,
        "batch_size": args.batch_size,
        "max_new_tokens": args.max_new_tokens,
        "batched_cases_per_s": batched["cases_per_s"],
        "one_by_one_cases_per_s": single["cases_per_s"],
        "speed_up": batched["cases_per_s"] / single["cases_per_s"],
        "batched_seconds": batched["seconds"],
        "one_by_one_seconds": single["seconds"],
        "batched_warm_up_s": batched["warm_up_s"],
        "one_by_one_warm_up_s": single["warm_up_s"],
        "batched_peak_rss_gb": batched["peak_rss_gb"],
        "one_by_one_peak_rss_gb": single["peak_rss_gb"],
        "resume_finished_run_s": resume_s,
    }
    print_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
