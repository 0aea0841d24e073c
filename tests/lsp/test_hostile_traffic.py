"""Hostile traffic over stdio with the real embedded Gemma: cancellation storms, edits racing
runs, out-of-order and repeated versions, didClose during a run, fifty runs in a row.

Passes when the server never crashes (it answers at the end and its stderr has no Traceback),
never paints a result on the wrong version (each result's ranges fit the text of the version it
names, and a result older than the document is followed by a notice that moves or drops it),
and its resident memory after fifty runs is at most 1.2x that after five.

Its own server, so that its memory and stderr are this module's alone."""

from __future__ import annotations

import asyncio
import itertools
import random
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_helpers import (
    check_range,
    close_document,
    fresh_diagnostics,
    hover,
    hover_text,
    lenses,
    open_document,
    position_of,
    request,
    text_in,
    unique_uri,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from prompt_salience.lsp.protocol import CHOICES_REQUEST

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

STDERR = Path(tempfile.mkdtemp(prefix="hostile-traffic-")) / "server-stderr.log"
# `exec`: the process pytest-lsp starts is the server itself (its pid is the one to measure).
SERVER = ClientServerConfig(
    server_command=[
        "bash",
        "-c",
        'exec "$0" -m prompt_salience.server 2>>"$1"',
        sys.executable,
        str(STDERR),
    ]
)
CONTENT_MODIFIED = -32801
REQUEST_CANCELLED = -32800
WAIT_S = 300  # a first run loads the model on a busy 2-core machine
_run_ids = itertools.count(1)
# Error replies a hostile client earns (answered without a Traceback since lsp/rpc.py's fix).
EXPECTED_REPLIES = (
    "pygls.exceptions.JsonRpcRequestCancelled:",
    "pygls.exceptions.JsonRpcContentModified:",
    "pygls.exceptions.JsonRpcInvalidParams:",
)
DISHES = ["Onion soup", "Leek soup", "Pea soup", "Fish soup", "Bean soup"]


def _prompt(dish: str = "Onion soup") -> str:
    return f"""---
description: hostile traffic
max_new_tokens: 4
vars:
  dish: {dish}
---
Suggestion: {{{{dish}}}}
Analysis:
"""


@pytest_lsp.fixture(scope="module", loop_scope="module", config=SERVER)
async def hostile(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    """A server of its own; `lsp_client.result_changes` records its resultChanged notices."""
    changes: list[Any] = []
    lsp_client.result_changes = changes  # type: ignore[attr-defined]
    lsp_client.feature("promptSalience/resultChanged")(lambda params: changes.append(params))
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True),
                text_document=types.TextDocumentClientCapabilities(
                    hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown])
                ),
            ),
            initialization_options={"promptSalience": {"maxNewTokens": 4}},
        )
    )
    yield lsp_client
    await lsp_client.shutdown_session()


@dataclass
class Doc:
    """The client's copy of one document: its text at every version it sent."""

    client: LanguageClient
    uri: str
    text: str
    version: int = 1
    texts: dict[int, str] = field(default_factory=dict)

    def open(self) -> None:
        self.texts[self.version] = self.text
        open_document(self.client, self.uri, self.text, self.version)

    def edit(self, start: int, end: int, new: str, version: int | None = None) -> None:
        """Replace code points [start, end) and send it as an incremental change."""
        range_ = types.Range(position_of(self.text, start), position_of(self.text, end))
        self.text = self.text[:start] + new + self.text[end:]
        self.version = self.version + 1 if version is None else version
        self.texts[self.version] = self.text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                [types.TextDocumentContentChangePartial(range=range_, text=new)],
            )
        )

    def insert(self, before: str, new: str) -> None:
        at = self.text.index(before)
        self.edit(at, at, new)

    def close(self) -> None:
        close_document(self.client, self.uri)


def _notices(client: LanguageClient, uri: str) -> list[Any]:
    return [c for c in client.result_changes if c.uri == uri]  # type: ignore[attr-defined]


def _check_painted(doc: Doc, result: dict[str, Any]) -> None:
    """The result's ranges cover, in the text of the version it names, text of their segment."""
    version = result["version"]
    assert version in doc.texts, (version, sorted(doc.texts))
    text = doc.texts[version]
    painted = 0
    for segment in result["segments"]:
        for raw in segment["ranges"]:
            range_ = types.Range(types.Position(**raw["start"]), types.Position(**raw["end"]))
            check_range(text, range_)
            covered = text_in(text, range_)
            assert covered.strip() in segment["text"], (covered, segment["text"], version)
            painted += 1
    assert painted, "a result paints something"


async def _settled(client: LanguageClient, doc: Doc, result: dict[str, Any]) -> None:
    """A result older than the document is followed by a notice for a newer version (moved or
    dropped); the result the server holds now is tied to the latest version."""
    if result["version"] != doc.version:
        async with asyncio.timeout(30):
            while not any(n.version == doc.version for n in _notices(client, doc.uri)):
                await asyncio.sleep(0.05)
    current = await request(client, "promptSalience/result", {"uri": doc.uri})
    if current is not None:
        assert current["version"] == doc.version, (current["version"], doc.version)
        _check_painted(doc, current)


def _run(client: LanguageClient, doc: Doc, msg_id: str | None = None) -> asyncio.Future[Any]:
    """Send a run now (so that it goes out before any later notification)."""
    params = types.ExecuteCommandParams(command="promptSalience.run", arguments=[{"uri": doc.uri}])
    msg_id = msg_id or f"run-{next(_run_ids)}"
    sent = client.protocol.send_request("workspace/executeCommand", params, msg_id=msg_id)
    return asyncio.wrap_future(sent)


async def _outcome(future: asyncio.Future[Any]) -> dict[str, Any] | int:
    """The run's result, or the error code it failed with."""
    try:
        result: dict[str, Any] = await asyncio.wait_for(future, WAIT_S)
    except JsonRpcException as error:
        print(f"run failed: {error.code} {error}")
        return int(error.code)
    return result


async def _new_token(client: LanguageClient, before: set[Any], run: asyncio.Future[Any]) -> Any:
    """The progress token of the run just started (None if it ended without one)."""
    async with asyncio.timeout(WAIT_S):
        while not run.done():
            new = [t for t in client.progress_reports if t not in before]
            if new:
                return new[0]
            await asyncio.sleep(0.01)
    return None


def _process(client: LanguageClient) -> asyncio.subprocess.Process:
    """The server process pytest-lsp started (through `exec`, the server itself)."""
    process = client._server
    assert process is not None
    return process


def _rss_kib(client: LanguageClient) -> int:
    pid = _process(client).pid
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_a_first_run_loads_the_model(hostile: LanguageClient) -> None:
    doc = Doc(hostile, unique_uri("hostile-first.prompt"), _prompt())
    doc.open()
    result = await _outcome(_run(hostile, doc))
    assert isinstance(result, dict), result
    _check_painted(doc, result)
    doc.close()


async def test_a_cancellation_storm_among_hovers_and_lenses(hostile: LanguageClient) -> None:
    rng = random.Random(10)
    doc = Doc(hostile, unique_uri("hostile-storm.prompt"), _prompt())
    doc.open()
    at = position_of(doc.text, doc.text.index("Onion"))
    outcomes: list[dict[str, Any] | int] = []
    for round_ in range(12):
        before = set(hostile.progress_reports)
        run = _run(hostile, doc, msg_id=f"storm-{round_}")
        asides = [hover(hostile, doc.uri, at), lenses(hostile, doc.uri)]
        how = rng.choice(["request", "request-late", "progress"])
        if how == "request":  # at once, before the server may even have started it
            hostile.protocol.notify("$/cancelRequest", types.CancelParams(id=f"storm-{round_}"))
        else:
            token = await _new_token(hostile, before, run)
            await asyncio.sleep(rng.uniform(0, 0.1))
            if how == "progress" and token is not None:
                cancel = types.WorkDoneProgressCancelParams(token=token)
                hostile.window_work_done_progress_cancel(cancel)
            else:
                notice = types.CancelParams(id=f"storm-{round_}")
                hostile.protocol.notify("$/cancelRequest", notice)
        await asyncio.gather(*asides)
        outcomes.append(await _outcome(run))
    for outcome in outcomes:  # cancelled, or finished first: never any other failure
        assert outcome == REQUEST_CANCELLED or isinstance(outcome, dict), outcomes
        if isinstance(outcome, dict):
            _check_painted(doc, outcome)
    assert REQUEST_CANCELLED in outcomes
    # After the storm a run still completes and its result is shown.
    result = await _outcome(_run(hostile, doc))
    assert isinstance(result, dict), result
    _check_painted(doc, result)
    assert "Salience" in hover_text(await hover(hostile, doc.uri, at))
    doc.close()


async def test_edits_racing_runs_never_paint_the_wrong_version(hostile: LanguageClient) -> None:
    rng = random.Random(7)
    doc = Doc(hostile, unique_uri("hostile-race.prompt"), _prompt())
    doc.open()
    outcomes: list[dict[str, Any] | int] = []
    for _ in range(8):
        before = set(hostile.progress_reports)
        run = _run(hostile, doc)
        if rng.random() < 0.5:
            await _new_token(hostile, before, run)
        await asyncio.sleep(rng.uniform(0, 0.5))
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.7:  # elsewhere: the result moves
                doc.insert("hostile", rng.choice(["x ", "🎉 ", "é "]))
            else:  # the value the run depends on: the result is dropped
                doc.insert("soup", rng.choice(["hot ", "cold "]))
        outcome = await _outcome(run)
        outcomes.append(outcome)
        if isinstance(outcome, dict):
            _check_painted(doc, outcome)
            await _settled(hostile, doc, outcome)
        else:
            assert outcome == CONTENT_MODIFIED, outcome
    print("race outcomes:", [o if isinstance(o, int) else o["version"] for o in outcomes])
    assert any(isinstance(o, dict) for o in outcomes), outcomes
    doc.close()


async def test_out_of_order_and_repeated_versions_keep_the_latest_text(
    hostile: LanguageClient,
) -> None:
    doc = Doc(hostile, unique_uri("hostile-versions.prompt"), _prompt(), version=5)
    doc.open()
    # Lower, equal, equal again, then far lower: applied in the order sent, as LSP says.
    start = doc.text.index("hostile")
    doc.edit(start, start, "a ", version=3)
    doc.edit(start, start, "b ", version=3)
    doc.edit(start, start + 2, "", version=3)
    analysis = doc.text.index("Analysis:")
    doc.edit(analysis, analysis, "Side: {{missing}}\n", version=1)
    diagnostics = await fresh_diagnostics(hostile, doc.uri)
    missing = doc.text.index("{{missing}}")
    lines = {d.range.start.line for d in diagnostics}
    assert position_of(doc.text, missing).line in lines, diagnostics
    # Remove the bad line again (version 2): no diagnostic is left on it.
    doc.edit(missing - len("Side: "), missing + len("{{missing}}\n"), "", version=2)
    assert not [
        d
        for d in await fresh_diagnostics(hostile, doc.uri)
        if d.severity == types.DiagnosticSeverity.Error
    ]
    result = await _outcome(_run(hostile, doc))
    assert isinstance(result, dict), result
    assert result["version"] == 2
    _check_painted(doc, result)
    at = position_of(doc.text, doc.text.index("Onion") + 1)
    assert "Salience" in hover_text(await hover(hostile, doc.uri, at))
    doc.close()


async def test_did_close_during_a_run(hostile: LanguageClient) -> None:
    for attempt in range(4):
        doc = Doc(hostile, unique_uri("hostile-close.prompt"), _prompt())
        doc.open()
        before = set(hostile.progress_reports)
        run = _run(hostile, doc)
        if attempt % 2:
            await _new_token(hostile, before, run)
        doc.close()
        outcome = await _outcome(run)
        assert outcome in (CONTENT_MODIFIED, REQUEST_CANCELLED) or isinstance(outcome, dict)
        with pytest.raises(JsonRpcException) as gone:  # closed: forgotten, not an old result
            await request(hostile, "promptSalience/result", {"uri": doc.uri})
        assert gone.value.code == types.ErrorCodes.InvalidParams
        # Opened again, the same file runs as new.
        doc.version += 1
        doc.open()
        again = await _outcome(_run(hostile, doc))
        assert isinstance(again, dict), again
        _check_painted(doc, again)
        doc.close()


async def test_fifty_runs_in_a_row_hold_memory(hostile: LanguageClient) -> None:
    doc = Doc(hostile, unique_uri("hostile-fifty.prompt"), _prompt(DISHES[0]))
    doc.open()
    after_five = 0
    for run_number in range(1, 51):
        result = await _outcome(_run(hostile, doc))
        assert isinstance(result, dict), (run_number, result)
        _check_painted(doc, result)
        if run_number == 5:
            after_five = _rss_kib(hostile)
        start = doc.text.index("dish: ") + len("dish: ")
        end = doc.text.index("\n", start)
        doc.edit(start, end, DISHES[run_number % len(DISHES)])
    after_fifty = _rss_kib(hostile)
    print(
        f"server VmRSS: after 5 runs {after_five} KiB, after 50 runs {after_fifty} KiB, "
        f"ratio {after_fifty / after_five:.3f}"
    )
    assert after_fifty <= 1.2 * after_five, (after_five, after_fifty)
    doc.close()


def _tracebacks() -> list[str]:
    """The exception line that ends each Traceback in the server's stderr."""
    lines = STDERR.read_text(errors="replace").splitlines()
    ends = []
    for number, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last):"):
            rest = lines[number + 1 :]
            ends.append(next((x for x in rest if x and not x[0].isspace()), "(cut short)"))
    return ends


async def test_the_server_answers_and_no_handler_failed_unexpectedly(
    hostile: LanguageClient,
) -> None:
    """Alive at the end, and every Traceback in its stderr is an error reply it meant to send."""
    answer = await asyncio.wait_for(request(hostile, CHOICES_REQUEST, {}), 30)
    assert answer["methods"]
    assert _process(hostile).returncode is None
    unexpected = [end for end in _tracebacks() if not end.startswith(EXPECTED_REPLIES)]
    assert not unexpected, unexpected


async def test_the_server_logged_no_traceback(hostile: LanguageClient) -> None:
    assert not _tracebacks(), _tracebacks()
