"""Load ahead of the click: the first click on a freshly started server, with and without the
preload, against the warm in-process run of the same case.

1. Engine (a child process, warm): `engine.case_run.run_case` on the menu prompt's first case
   (generate + find the span + explain), after one untimed run; the median of `--runs`.
2. Server, preload on: start it over stdio, open the menu prompt, wait `--wait` seconds (the
   aim: a click 10 s or more after opening), then `promptSalience.run`: click to result. Also
   when the model was announced ready, and a second (warm) click.
3. Server, preload off (`preloadModel: false`): the same, so the click loads the model.
4. Engine again, to bracket the machine's noise.

Ratios are against the engine's median in the same script. One model process at a time: the
engine runs in a child process before and after the servers. The click is timed to the
command's answer (the paint is the editor's, not measured here).

    .venv/bin/python benchmarks/preload_bench.py [--runs 3] [--wait 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_report import print_report

ROOT = Path(__file__).resolve().parents[1]
MENU = ROOT / "prompts" / "menu-fewshot-mistake.prompt"
MODEL_STATE = "promptSalience/modelState"


def engine_runs(runs: int) -> dict[str, Any]:
    """(Child process) Seconds of warm in-process runs of the menu prompt's first case."""
    from bench_report import machine_facts

    from prompt_salience.cache_dir import cache_root
    from prompt_salience.engine.case_run import RunSettings, prepare_prompt, run_case
    from prompt_salience.engine.explainer import Explainer
    from prompt_salience.models.loader import load_model
    from prompt_salience.models.model_spec import parse_model_spec
    from prompt_salience.prompt.documents import read_document

    document = read_document(MENU)
    settings = RunSettings().merged_with(document.settings, {})
    spec = parse_model_spec(settings.model)
    started = time.perf_counter()
    model = load_model(spec, precision=settings.precision, cache=cache_root(), report=print)
    load_s = time.perf_counter() - started
    explainer = Explainer(model, max_length=settings.max_length)

    def one() -> float:
        begun = time.perf_counter()
        prepared = prepare_prompt(document, None, chat_setting=settings.chat_template, spec=spec)
        run_case(explainer, prepared, settings)
        return time.perf_counter() - begun

    first = one()  # compiles, or loads the stored programs
    times = [one() for _ in range(runs)]
    return {"load_s": load_s, "first_s": first, "warm_s": times, **machine_facts()}


def engine_child(runs: int) -> dict[str, Any]:
    """Run `engine_runs` in a child process (so only one process holds a model at a time)."""
    done = subprocess.run(
        [sys.executable, __file__, "--engine-only", "--runs", str(runs)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


async def first_click(preload: bool, wait_s: float, log: Path | None) -> dict[str, Any]:
    """A fresh server: open the menu prompt, wait, click Run; then click again (warm)."""
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("preload-bench", "1")
    states: list[tuple[float, str, str]] = []  # (seconds since the open, state, text)
    opened = [0.0]

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def _create(params: Any) -> None:
        return None

    @client.feature(MODEL_STATE)
    def _state(params: Any) -> None:
        state, text = getattr(params, "state", "?"), getattr(params, "text", "?")
        states.append((time.perf_counter() - opened[0], state, text))

    ends: list[str] = []  # progress end messages: "Done in 3.05 s" = the model work alone

    @client.feature(types.PROGRESS)
    def _progress(params: types.ProgressParams) -> None:
        value = params.value
        kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
        if kind == "end":
            message = value.get("message") if isinstance(value, dict) else value.message
            ends.append(str(message))

    for method in (
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        types.WINDOW_LOG_MESSAGE,
        "promptSalience/resultChanged",
    ):
        client.feature(method)(lambda params: None)

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def _message(params: types.ShowMessageParams) -> None:
        print("server says:", params.message, file=sys.stderr)

    await client.start_io(sys.executable, "-m", "prompt_salience.server")
    assert client._server is not None
    assert client._server.stderr is not None
    drain = asyncio.ensure_future(_drain(client._server.stderr, log))
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True)
            ),
            initialization_options={"promptSalience": {"preloadModel": preload}},
        )
    )
    client.initialized(types.InitializedParams())
    uri = MENU.as_uri()
    text = MENU.read_text(encoding="utf-8")
    opened[0] = time.perf_counter()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "prompt", 1, text))
    )
    await asyncio.sleep(wait_s)
    command = types.ExecuteCommandParams("promptSalience.run", [{"uri": uri}])
    clicked = time.perf_counter()
    await client.workspace_execute_command_async(command)
    click_s = time.perf_counter() - clicked
    click_work = _work_s(ends)
    ready = [at for at, state, _ in states if state == "ready"]
    again = time.perf_counter()
    await client.workspace_execute_command_async(command)
    warm_s = time.perf_counter() - again
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    drain.cancel()
    return {
        "click_s": click_s,
        "click_work_s": click_work,
        "warm_click_s": warm_s,
        "warm_click_work_s": _work_s(ends),
        "ready_after_open_s": ready[0] if ready else None,
        "states": [f"{at:.1f}s {state}: {text}" for at, state, text in states],
    }


def _work_s(ends: list[str]) -> float:
    """The model work of the last run, as the server timed it ("Done in 3.05 s")."""
    done = [float(m.split()[-2]) for m in ends if m.startswith("Done in")]
    return done[-1] if done else float("nan")


async def _drain(stream: asyncio.StreamReader, log: Path | None) -> None:
    """Read the server's stderr (its log), into `log` when given."""
    with open(log if log is not None else os.devnull, "a", encoding="utf-8") as sink:
        while line := await stream.readline():
            sink.write(line.decode(errors="replace"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wait", type=float, default=10.0, help="seconds from open to click")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--server-log", type=Path, default=None, help="append servers' stderr")
    parser.add_argument("--engine-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_only:
        print(json.dumps(engine_runs(args.runs)))
        return
    before = engine_child(args.runs)
    preloaded = asyncio.run(first_click(True, args.wait, args.server_log))
    cold = asyncio.run(first_click(False, args.wait, args.server_log))
    after = engine_child(args.runs)
    engine_s = statistics.median(before["warm_s"] + after["warm_s"])
    report: dict[str, Any] = {
        "when_utc": before["when_utc"],
        "cpus": before["cpus"],
        "load_average_1m_start": before["load_average_1m"],
        "load_average_1m_end": os.getloadavg()[0],
        "prompt": MENU.name,
        "wait_before_click_s": args.wait,
        "engine_load_s": before["load_s"],
        "engine_first_run_s": before["first_s"],
        "engine_warm_runs_before_s": before["warm_s"],
        "engine_warm_runs_after_s": after["warm_s"],
        "engine_warm_median_s": engine_s,
        "preload_ready_after_open_s": preloaded["ready_after_open_s"],
        "preload_first_click_s": preloaded["click_s"],
        "preload_first_click_work_s": preloaded["click_work_s"],
        "preload_second_click_s": preloaded["warm_click_s"],
        "preload_second_click_work_s": preloaded["warm_click_work_s"],
        "no_preload_first_click_s": cold["click_s"],
        "no_preload_first_click_work_s": cold["click_work_s"],
        "no_preload_second_click_s": cold["warm_click_s"],
        "no_preload_second_click_work_s": cold["warm_click_work_s"],
        "ratio_preload_first_click_to_engine": preloaded["click_s"] / engine_s,
        "ratio_no_preload_first_click_to_engine": cold["click_s"] / engine_s,
        "ratio_preload_second_click_to_engine": preloaded["warm_click_s"] / engine_s,
        "ratio_no_preload_to_preload_first_click": cold["click_s"] / preloaded["click_s"],
    }
    print_report(report, None)
    for name, server in (("preload on", preloaded), ("preload off", cold)):
        print(f"model states, {name}: " + " | ".join(server["states"]))
    if args.json is not None:
        states = {"preload_states": preloaded["states"], "no_preload_states": cold["states"]}
        args.json.write_text(json.dumps({**report, **states}, indent=1))


if __name__ == "__main__":
    main()
