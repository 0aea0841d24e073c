"""Testing cases over LSP (`promptSalience.test`): a failing case becomes a warning on its line
with the reason and what drove the offending span, which is explained and painted; nothing is
reported before a test run, and an edit clears it (real embedded Gemma)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_helpers import (
    change,
    close_document,
    diagnostics_for,
    execute,
    fresh_diagnostics,
    lenses,
    open_document,
    position_of,
    request,
    unique_uri,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="session")]

PROMPTS = Path(__file__).parents[2] / "prompts"
CASE_LINE = "  - name: quiche-lorraine\n"
# The codelab's mistake prompt, with the expectation a prompt engineer would write for it.
MISTAKE = (
    (PROMPTS / "menu-fewshot-mistake.prompt")
    .read_text()
    .replace(CASE_LINE, CASE_LINE + '    expect:\n      - not_contains: "You have to try it"\n')
)


def _failures(diagnostics: list[types.Diagnostic]) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code == "expectation-failed"]


async def test_a_failing_case_is_a_warning_on_its_line_with_why(client: LanguageClient) -> None:
    assert "expect:" in MISTAKE
    uri = unique_uri("tested.prompt")
    open_document(client, uri, MISTAKE)
    try:
        assert _failures(await fresh_diagnostics(client, uri)) == []  # only after a test run
        titles = [lens.command.title for lens in await lenses(client, uri) if lens.command]
        assert "Test expectations" in titles
        client.diagnostics.pop(uri, None)  # the test run publishes anew
        report = await asyncio.wait_for(execute(client, "promptSalience.test", {"uri": uri}), 300)
        (verdict,) = report["cases"]  # only the case with `expect:` is tested
        assert verdict["case"] == "quiche-lorraine"
        assert verdict["passed"] is False
        assert "You have to try it" in verdict["response"]
        assert verdict["offendingText"] == "You have to try it"
        (warning,) = _failures(await diagnostics_for(client, uri))
        assert warning.severity == types.DiagnosticSeverity.Warning
        assert warning.range.start.line == position_of(MISTAKE, MISTAKE.index(CASE_LINE)).line
        assert 'the response contains "You have to try it"' in warning.message
        assert "Most salient for" in warning.message
        # The offending span is explained: the case's result, painted like a run.
        result = await request(
            client, "promptSalience/result", {"uri": uri, "case": "quiche-lorraine"}
        )
        assert result["spanText"] == "You have to try it"
        titles = [lens.command.title for lens in await lenses(client, uri) if lens.command]
        assert "✗ Expectations failed · test again" in titles
        # An edit: the verdict judged a text that is gone.
        at = position_of(MISTAKE, MISTAKE.index("Analyze"))
        change(client, uri, 2, types.Range(at, at), "Please ")
        assert _failures(await fresh_diagnostics(client, uri)) == []
    finally:
        close_document(client, uri)


async def test_nothing_to_test_says_how_to_add_expectations(client: LanguageClient) -> None:
    uri = unique_uri("untested.prompt")
    text = (PROMPTS / "menu-fewshot-mistake.prompt").read_text()
    open_document(client, uri, text)
    try:
        with pytest.raises(JsonRpcException) as raised:
            await execute(client, "promptSalience.test", {"uri": uri})
        assert "no `expect:` items" in str(raised.value.message)
        assert "contains" in str(raised.value.message)
    finally:
        close_document(client, uri)


async def test_the_test_lens_stays_during_a_run_and_testing_waits_for_it(
    client: LanguageClient,
) -> None:
    """Whether a case has expectations does not depend on a run: its test lens stays while the
    case runs (an editor listing tests keeps it), and testing it then is refused, not a stop."""
    uri = unique_uri("tested-busy.prompt")
    open_document(client, uri, MISTAKE)
    try:
        run = asyncio.ensure_future(
            execute(client, "promptSalience.run", {"uri": uri, "case": "quiche-lorraine"})
        )
        async with asyncio.timeout(30):
            while True:
                titles = [lens.command.title for lens in await lenses(client, uri) if lens.command]
                if any(t.startswith("Running") for t in titles):
                    break
                await asyncio.sleep(0.05)
        assert "Test expectations" in titles
        with pytest.raises(JsonRpcException) as busy:
            await execute(client, "promptSalience.test", {"uri": uri, "case": "quiche-lorraine"})
        assert "in flight" in str(busy.value.message)
        result = await asyncio.wait_for(run, 300)  # the run was not stopped
        assert result["case"] == "quiche-lorraine"
    finally:
        close_document(client, uri)
