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
click), and the prefetched spans one at a time (what batching saves). One warm-up round first.

With `--over-lsp` (instead): the same clicks as an editor sends them, over stdio to a real
server (no model in this process): the run; at once a click on a span no lens offers (it stops
the prefetch; the click waits for the background call in flight); the prefetch's end (its
window/logMessage); then a lens click and another span no lens offers (summed rows). Round
trips, and the worker's own time (progress end "Done in").

Usage: .venv/bin/python benchmarks/reselect_bench.py [--rounds 3] [--batch 2] [--json out.json]
       .venv/bin/python benchmarks/reselect_bench.py --over-lsp [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import statistics
import sys
import threading
import time
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
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument(
        "--call-sizes",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[1, 2, 4],
        help="batch sizes of the one-call timings",
    )
    parser.add_argument("--over-lsp", action="store_true", help="clicks over LSP instead")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.over_lsp:
        print_report(asyncio.run(over_lsp()), args.json)
        return

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
    # The spans a prefetch computes: one per token range, less the run's own (memoized).
    ranges = {run.generation.span_tokens(s): s for s in reversed(spans)}
    ranges.pop(run.generation.span_tokens(default), None)
    computed = list(ranges.values())
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
        """The spans a prefetch computes, explained one by one instead (no batching)."""
        generation = dataclasses.replace(run.generation, key=key)
        return timed(lambda: [explainer.explain(generation, s, **view) for s in computed])

    one_round(10_000)  # warm-up: compile every shape
    one_call_each(10_001)
    one_at_a_time(10_002)
    rounds, calls, serial = [], [], []
    for r in range(args.rounds):  # interleaved, so that a change of load hits all alike
        rounds.append(one_round(20_000 + r))
        calls.append(one_call_each(30_000 + r))
        serial.append(one_at_a_time(40_000 + r))

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
        "spans_prefetched": len(computed),
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
    report["spans_one_at_a_time_s"] = statistics.median(serial)
    for name in ("other", "lens", "summed", "spans", "rows"):
        report[f"{name}_over_first"] = median(name, rounds) / first
    report["spans_over_one_at_a_time"] = median("spans", rounds) / statistics.median(serial)
    print_report(report, args.json)


async def over_lsp() -> dict[str, Any]:
    """Round trips of the clicks over stdio to a real server (see the module docstring)."""
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("reselect-bench", "1")
    logs: list[str] = []
    done_in: list[float] = []  # the worker's own time per request, from its progress end
    client.feature(types.WINDOW_LOG_MESSAGE)(lambda p: logs.append(p.message))
    client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)(lambda p: None)
    for method in ("textDocument/publishDiagnostics", "promptSalience/resultChanged"):
        client.feature(method)(lambda p: None)
    for method in ("promptSalience/modelState", types.WINDOW_SHOW_MESSAGE):
        client.feature(method)(lambda p: None)

    @client.feature(types.PROGRESS)
    def _progress(params: Any) -> None:
        value = params.value if isinstance(params.value, dict) else vars(params.value)
        message = str(value.get("message") or "")
        if value.get("kind") == "end" and message.startswith("Done in"):
            done_in.append(float(message.split()[2]))

    await client.start_io(sys.executable, "-m", "prompt_salience.server")
    assert client._server is not None
    assert client._server.stderr is not None
    drain = asyncio.ensure_future(_drain(client._server.stderr))  # a full pipe would block it
    capabilities = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True)
    )
    await client.initialize_async(types.InitializeParams(capabilities=capabilities))
    client.initialized(types.InitializedParams())
    text = PROMPT.read_text(encoding="utf-8")
    uri = PROMPT.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "prompt", 1, text))
    )

    async def command(name: str, argument: dict[str, Any]) -> tuple[float, Any]:
        started = time.perf_counter()
        params = types.ExecuteCommandParams(f"promptSalience.{name}", [argument])
        result = await client.workspace_execute_command_async(params)
        return time.perf_counter() - started, result

    async def prefetched() -> float:
        started = time.perf_counter()
        while not any(m.startswith("Prefetched") for m in logs):
            await asyncio.sleep(0.05)
        return time.perf_counter() - started

    def word(response: str, index: int) -> dict[str, Any]:
        found = list(re.finditer(r"\w+", response))[index]  # ASCII here: code points = UTF-16
        return {"uri": uri, "case": CASE, "start": found.start(), "end": found.end()}

    await command("run", {"uri": uri, "case": CASE})  # load, compile
    await prefetched()  # compile the prefetch's programs
    logs.clear()
    report: dict[str, Any] = {"prompt": f"{PROMPT.name} ({CASE}), over LSP (stdio)"}
    report["run_s"], run = await command("run", {"uri": uri, "case": CASE})
    report["run_worker_s"] = done_in[-1]
    response = run.response if hasattr(run, "response") else run["response"]
    report["click_at_once_s"], _ = await command("explainSpan", word(response, 1))
    report["click_at_once_worker_s"] = done_in[-1]
    report["prefetch_wall_s"] = await prefetched()
    line = next(m for m in re.finditer(r"[^\n]+", response) if m.group().strip())
    lens = {"uri": uri, "case": CASE, "start": line.start(), "end": line.end()}
    report["lens_click_s"], lensed = await command("explainSpan", lens)
    notes = lensed.notes if hasattr(lensed, "notes") else lensed["notes"]
    report["lens_click_notes"] = ", ".join(
        sorted(notes._asdict() if hasattr(notes, "_asdict") else notes)
    )
    report["summed_click_s"], summed = await command("explainSpan", word(response, 2))
    notes = summed.notes if hasattr(summed, "notes") else summed["notes"]
    report["summed_click_notes"] = ", ".join(
        sorted(notes._asdict() if hasattr(notes, "_asdict") else notes)
    )
    report["lens_over_click_at_once"] = report["lens_click_s"] / report["click_at_once_s"]
    report["summed_over_click_at_once"] = report["summed_click_s"] / report["click_at_once_s"]
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    drain.cancel()
    return report


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


if __name__ == "__main__":
    main()
