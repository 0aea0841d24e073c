"""Language-server latency, measured over LSP (stdio) against the real server and model.

1. Hover latency while a run is in flight (goal: under 50 ms), when idle, and during the
   first run (model load and compilation).
2. executeCommand `promptSalience.run` -> its response (the first salience result) on the
   menu prompt with a warm model, against the engine's own time for the same work in-process
   (prepare, generate, find the span, explain). Medians and the ratio.

    .venv/bin/python benchmarks/lsp_latency.py [--runs 3] [--prompt prompts/menu-fewshot-mistake.prompt]

The engine (in this process) and the server (a child process, over stdio) run alternately,
never at once, so background load hits both alike; the ratio is the median of paired runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[1]
MENU = ROOT / "prompts" / "menu-fewshot-mistake.prompt"
HOVER_GAP_S = 0.02
RESULT_CHANGED = "promptSalience/resultChanged"


class Engine:
    """The engine driven directly, in this process: the work a run does, without LSP."""

    def __init__(self, path: Path) -> None:
        from prompt_salience.cache_dir import cache_root
        from prompt_salience.engine.case_run import RunSettings
        from prompt_salience.engine.explainer import Explainer
        from prompt_salience.models.loader import load_model
        from prompt_salience.models.model_spec import parse_model_spec
        from prompt_salience.prompt.documents import parse_document

        self.path = path
        self.text = path.read_text(encoding="utf-8")
        front = parse_document(self.text, str(path)).settings
        self.settings = RunSettings().merged_with(front, {})
        self.spec = parse_model_spec(self.settings.model)
        model = load_model(self.spec, precision="float32", cache=cache_root(), report=print)
        self.explainer = Explainer(model)

    def run(self) -> float:
        """Seconds for parse + prepare + generate + find the span + explain (first case)."""
        from prompt_salience.engine.case_run import method_options, prepare_prompt
        from prompt_salience.engine.span_selection import find_span
        from prompt_salience.prompt.documents import parse_document

        started = time.perf_counter()
        document = parse_document(self.text, str(self.path))
        prepared = prepare_prompt(document, None, chat_setting="auto", spec=self.spec)
        generation = self.explainer.generate(
            prepared.text, self.settings.max_new_tokens, source_map=prepared.source_map
        )
        span = find_span(generation.response, self.settings.explain)
        self.explainer.explain(
            generation,
            span,
            method=self.settings.method,
            granularity=self.settings.granularity,
            method_options=method_options(self.settings),
        )
        return time.perf_counter() - started


@dataclass
class Timings:
    engine: list[float]  # in-process, paired with `server` run by run
    server: list[float]  # executeCommand -> response, nothing else going on
    worker: list[float]  # the same runs: the model work alone, as the server timed it
    hovered: list[float]  # executeCommand -> response, hovering all the while
    busy_hovers: list[float]  # hover round trips while a run is in flight
    idle_hovers: list[float]
    loading_hovers: list[float]  # hover round trips during the first run (load + compile)


async def measure(path: Path, runs: int) -> Timings:
    """Engine and server alternately (so background load hits both alike), then hovers."""
    engine = Engine(path)
    engine.run()  # compile
    client = LanguageClient("lsp-latency", "1")

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def _create(params: Any) -> None:
        return None

    ends: list[str] = []  # progress end messages: "Done in 3.05 s" = the model work alone

    @client.feature(types.PROGRESS)
    def _progress(params: types.ProgressParams) -> None:
        value = params.value
        if isinstance(value, dict) and value.get("kind") == "end":
            ends.append(str(value.get("message", "")))
        elif getattr(value, "kind", None) == "end":
            ends.append(str(getattr(value, "message", "")))

    for method in (types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, RESULT_CHANGED):
        client.feature(method)(lambda params: None)

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def _message(params: types.ShowMessageParams) -> None:
        print("server says:", params.message, file=sys.stderr)

    await client.start_io(sys.executable, "-m", "prompt_salience.server")
    assert client._server is not None
    assert client._server.stderr is not None
    drain = asyncio.ensure_future(_drain(client._server.stderr))
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True)
            )
        )
    )
    client.initialized(types.InitializedParams())
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "prompt", 1, text))
    )
    hover = types.HoverParams(
        types.TextDocumentIdentifier(uri), _position(text, text.index("Onion soup"))
    )
    command = types.ExecuteCommandParams("promptSalience.run", [{"uri": uri}])

    timings = Timings([], [], [], [], [], [], [])
    first = asyncio.ensure_future(client.workspace_execute_command_async(command))
    while not first.done():  # the first run loads the model and compiles
        timings.loading_hovers.append(await _timed(client.text_document_hover_async(hover)))
        await asyncio.sleep(HOVER_GAP_S)
    await first
    for _ in range(runs):
        timings.engine.append(engine.run())
        timings.server.append(await _timed(client.workspace_execute_command_async(command)))
        timings.worker.append(float(ends[-1].split()[-2]))
    for _ in range(20):
        timings.idle_hovers.append(await _timed(client.text_document_hover_async(hover)))
    for _ in range(runs):
        started = time.perf_counter()
        run = asyncio.ensure_future(client.workspace_execute_command_async(command))
        while not run.done():
            timings.busy_hovers.append(await _timed(client.text_document_hover_async(hover)))
            await asyncio.sleep(HOVER_GAP_S)
        await run
        timings.hovered.append(time.perf_counter() - started)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    drain.cancel()
    return timings


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


async def _timed(request: Any) -> float:
    started = time.perf_counter()
    await request
    return time.perf_counter() - started


def _position(text: str, offset: int) -> types.Position:
    before = text[:offset]
    line = before.count("\n")
    column = before[before.rfind("\n") + 1 :]
    return types.Position(line, len(column.encode("utf-16-le")) // 2)


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {1000 * statistics.median(values):.1f} ms, p95 {1000 * p95:.1f} ms, "
        f"max {1000 * max(values):.1f} ms (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prompt", type=Path, default=MENU)
    args = parser.parse_args()
    t = asyncio.run(measure(args.prompt.resolve(), args.runs))
    ratios = [s / e for s, e in zip(t.server, t.engine, strict=True)]
    print(f"prompt: {args.prompt.name}, {args.runs} runs each, warm model")
    print(f"hover while a run is in flight: {_ms(t.busy_hovers)}")
    print(f"hover when idle:                {_ms(t.idle_hovers)}")
    print(f"hover during the first run (model load + compile): {_ms(t.loading_hovers)}")
    print(
        f"engine, same work in-process:   median {statistics.median(t.engine):.2f} s {_s(t.engine)}"
    )
    print(
        f"executeCommand -> result:       median {statistics.median(t.server):.2f} s {_s(t.server)}"
    )
    print(
        f"  while hovering every {1000 * HOVER_GAP_S:.0f} ms:   median {statistics.median(t.hovered):.2f} s {_s(t.hovered)}"
    )
    print(f"ratio server / engine (median of paired runs): {statistics.median(ratios):.3f}")
    overhead = [1000 * (s - w) for s, w in zip(t.server, t.worker, strict=True)]
    shares = [(s - w) / s for s, w in zip(t.server, t.worker, strict=True)]
    print(
        f"protocol overhead (request time - the server's model work): median "
        f"{statistics.median(overhead):.0f} ms = {100 * statistics.median(shares):.1f} %"
        f" ({', '.join(f'{o:.0f}' for o in overhead)} ms)"
    )


def _s(values: list[float]) -> str:
    return "(" + ", ".join(f"{v:.2f}" for v in values) + ")"


if __name__ == "__main__":
    main()
