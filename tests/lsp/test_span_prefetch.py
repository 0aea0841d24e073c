"""Lens spans ready before they are clicked (real server, real embedded Gemma): a result carries
the response view's lens spans (its lines, then the sentences of longer lines) and the worker
prefetches exactly those; clicking one is answered from the cache (its result says so in a
note), any other span is summed from the token rows, and a user's request stops the background
work."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from typing import Any

import pytest
from lsp_helpers import close_document, execute, open_document, unique_uri, utf16_len
from lsprotocol import types
from pytest_lsp import LanguageClient

from prompt_salience.errors import Cancelled
from prompt_salience.lsp.worker import ModelWorker

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _prompt(case: str, method: str = "grad_l2") -> str:
    # The explained span is the response's first word: every line lens is another span.
    return f"""---
max_new_tokens: 20
method: {method}
explain: "/\\\\w+/"
cases:
  - name: {case}
---
List two soups, one per line, then say which is best.
"""


def _target_prompt(case: str, target: str) -> str:
    """A what-if: `target` is explained as if generated, so its lines and sentences are known."""
    return f"""---
method: grad_l2
explain: Tea
target: {json.dumps(target, ensure_ascii=False)}
cases:
  - name: {case}
---
List two soups, one per line, then say which is best.
"""


def _lens_spans(result: Any, kind: str | None = None) -> list[tuple[int, int]]:
    """The lens spans `result` carries (UTF-16 units), of `kind` if given."""
    return [
        (s["start"], s["end"]) for s in result["lensSpans"] if kind is None or s["kind"] == kind
    ]


def _utf16_slice(text: str, start: int, end: int) -> str:
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


async def _answered_from_the_prefetch(
    client: LanguageClient, uri: str, case: str, run: Any
) -> None:
    """Each lens span of `run` but the explained one, clicked: answered from the cache."""
    explained = (run["span"]["start"], run["span"]["end"])
    others = [span for span in _lens_spans(run) if span != explained]
    assert others, run["response"]
    for start, end in others:
        result = await _explain(client, uri, case, start, end)
        assert (result["span"]["start"], result["span"]["end"]) == (start, end)
        assert result["notes"].get("prefetched_span") == 1.0, result["spanText"]
        assert any(s["score"] > 0 for s in result["segments"])
        assert result["lensSpans"] == run["lensSpans"]  # the same response, the same lenses


async def _log_line(client: LanguageClient, pattern: str, after: int = 0) -> str:
    """The first window/logMessage from index `after` on matching `pattern` (waits; the bound
    only stops a hang)."""

    async def found() -> str:
        while True:
            for params in client.log_messages[after:]:
                if re.search(pattern, params.message):
                    return str(params.message)
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(found(), 300)


async def _explain(client: LanguageClient, uri: str, case: str, start: int, end: int) -> Any:
    argument = {"uri": uri, "case": case, "start": start, "end": end}
    return await asyncio.wait_for(execute(client, "promptSalience.explainSpan", argument), 300)


@pytest.mark.model
async def test_a_lens_click_after_a_run_is_answered_from_the_prefetch(
    client: LanguageClient,
) -> None:
    uri, case = unique_uri("prefetch.prompt"), "soups-prefetched"
    open_document(client, uri, _prompt(case))
    seen = len(client.log_messages)
    run = await asyncio.wait_for(execute(client, "promptSalience.run", {"uri": uri}), 300)
    assert "prefetched_span" not in run["notes"]  # the run computed its own span
    await _log_line(
        client, rf"Prefetched \d+ span\(s\) and \d+ token gradient row\(s\) of {case}", seen
    )

    await _answered_from_the_prefetch(client, uri, case, run)

    # A span no lens offers (the second word on): summed from the prefetched token rows.
    response = run["response"]
    second = re.search(r"\w+\W+(\w+)", response)
    assert second is not None, response
    start = utf16_len(response[: second.start(1)])
    result = await _explain(client, uri, case, start, start + utf16_len(second.group(1)))
    assert result["notes"].get("summed_token_rows") == 1.0
    assert "prefetched_span" not in result["notes"]
    close_document(client, uri)


@pytest.mark.model
async def test_sentence_lenses_in_utf16_units_are_answered_from_the_prefetch(
    client: LanguageClient,
) -> None:
    """Lines first, then the sentences of the line that holds two; offsets in UTF-16 units
    (the emoji counts two), and every one of them ready when clicked."""
    uri, case = unique_uri("prefetch-sentences.prompt"), "soups-sentences"
    target = " Soup first. Then crème brûlée 😀!\nTea is last.\n\n  Water."
    open_document(client, uri, _target_prompt(case, target))
    seen = len(client.log_messages)
    run = await asyncio.wait_for(execute(client, "promptSalience.run", {"uri": uri}), 300)
    assert run["response"] == target
    assert not run["responseIsGenerated"]
    texts = [(s["kind"], _utf16_slice(target, s["start"], s["end"])) for s in run["lensSpans"]]
    assert texts == [
        ("line", "Soup first. Then crème brûlée 😀!"),
        ("line", "Tea is last."),
        ("line", "Water."),
        ("sentence", "Soup first."),
        ("sentence", "Then crème brûlée 😀!"),
    ]
    assert _utf16_slice(target, run["span"]["start"], run["span"]["end"]) == "Tea"
    await _log_line(
        client, rf"Prefetched \d+ span\(s\) and \d+ token gradient row\(s\) of {case}", seen
    )
    await _answered_from_the_prefetch(client, uri, case, run)
    close_document(client, uri)


@pytest.mark.model
async def test_a_user_request_stops_the_prefetch(client: LanguageClient) -> None:
    uri, case = unique_uri("prefetch-stop.prompt"), "soups-interrupted"
    open_document(client, uri, _prompt(case, method="grad_dot_input"))
    seen = len(client.log_messages)
    run = await asyncio.wait_for(execute(client, "promptSalience.run", {"uri": uri}), 300)
    # At once, before the background batches are through: a click on the whole response.
    clicked = await _explain(client, uri, case, 0, utf16_len(run["response"]))
    await _log_line(client, f"Prefetch of {case} stopped: another request came", seen)
    assert clicked["method"] == "grad_dot_input"
    # The click's own result schedules the prefetch again, and it runs to the end.
    await _log_line(
        client, rf"Prefetched \d+ span\(s\) and \d+ token gradient row\(s\) of {case}", seen
    )
    close_document(client, uri)


@pytest.mark.model
async def test_methods_that_are_not_batched_are_not_prefetched(client: LanguageClient) -> None:
    uri, case = unique_uri("prefetch-ablation.prompt"), "soups-ablation"
    open_document(client, uri, _prompt(case, method="segment_ablation"))
    seen = len(client.log_messages)
    run = await asyncio.wait_for(execute(client, "promptSalience.run", {"uri": uri}), 300)
    start, end = _lens_spans(run, "line")[0]
    result = await _explain(client, uri, case, start, end)  # computed now, not prefetched
    assert "prefetched_span" not in result["notes"]
    assert not any(case in params.message for params in client.log_messages[seen:])
    close_document(client, uri)


@pytest.mark.model
async def test_the_setting_turns_the_prefetch_off(client: LanguageClient) -> None:
    uri, case = unique_uri("prefetch-off.prompt"), "soups-not-prefetched"
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"promptSalience": {"maxNewTokens": 8, "prefetchSpans": False}}
        )
    )
    try:
        open_document(client, uri, _prompt(case))
        seen = len(client.log_messages)
        run = await asyncio.wait_for(execute(client, "promptSalience.run", {"uri": uri}), 300)
        start, end = _lens_spans(run, "line")[-1]
        result = await _explain(client, uri, case, start, end)
        assert "prefetched_span" not in result["notes"]
        assert "summed_token_rows" not in result["notes"]
        assert not any(case in params.message for params in client.log_messages[seen:])
    finally:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"promptSalience": {"maxNewTokens": 8}})
        )
        close_document(client, uri)


async def test_the_worker_stops_background_jobs_for_any_other_job() -> None:
    """No model: a running background job sees its cancel event set when a job is submitted,
    and runs no further than its next check; one still queued never starts."""
    worker = ModelWorker()
    started, steps = threading.Event(), [0]

    def background(cancel: threading.Event) -> str:
        started.set()
        for _ in range(3000):  # a bound, so that a worker that never stops it fails, not hangs
            if cancel.wait(0.01):
                raise Cancelled()
        return "never stopped"

    def queued(cancel: threading.Event) -> str:
        steps.append(-1)  # must never run
        return "ran"

    running = asyncio.ensure_future(worker.submit_background(background))
    waiting = asyncio.ensure_future(worker.submit_background(queued))
    await asyncio.get_running_loop().run_in_executor(None, started.wait)
    assert await worker.submit(lambda: "foreground") == "foreground"
    with pytest.raises(Cancelled):
        await running
    with pytest.raises(Cancelled):
        await waiting
    assert -1 not in steps
    # A background job submitted after the foreground one runs normally.
    assert await worker.submit_background(lambda cancel: "later") == "later"
    worker.shutdown()
