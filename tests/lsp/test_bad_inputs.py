"""Bad input never stops the server: problems arrive as diagnostics at typing speed (no model),
failures as window/showMessage with the fix, bad requests as JSON-RPC errors."""

from __future__ import annotations

import asyncio

import pytest
from lsp_helpers import (
    check_range,
    close_document,
    diagnostics_for,
    execute,
    hover,
    hover_text,
    open_document,
    position_of,
    request,
    text_in,
    unique_uri,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from prompt_salience.cache_dir import cache_root
from prompt_salience.models.embedded import embedded_preset_dir, is_converted

pytestmark = pytest.mark.asyncio(loop_scope="session")

REQUEST_FAILED = -32803
INVALID_PARAMS = -32602
ERROR, WARNING = types.DiagnosticSeverity.Error, types.DiagnosticSeverity.Warning

GOOD_BODY = "---\n{front}vars:\n  dish: Onion soup\n---\nSuggestion: {{{{dish}}}}\nAnalysis:\n"


async def _diagnostics(
    client: LanguageClient, text: str, name: str = "bad.prompt"
) -> list[types.Diagnostic]:
    uri = unique_uri(name)
    open_document(client, uri, text)
    found = await diagnostics_for(client, uri)
    for diagnostic in found:
        check_range(text, diagnostic.range)
        assert "Fix:" in diagnostic.message
    close_document(client, uri)
    return found


@pytest.mark.parametrize(
    ("text", "severity", "marked", "words"),
    [
        ("---\nvars:\n  dish: [Onion\n---\nSuggestion: {{dish}}\n", ERROR, None, "front-matter"),
        ("---\nvars:\n  dish: x\nSuggestion: {{dish}}\n", ERROR, None, "never closed"),
        (
            GOOD_BODY.format(front="") + "Also {{déssert}} {{dessert}}\n",
            ERROR,
            "{{dessert}}",
            "Unknown placeholder",
        ),
        (
            "---\nvars:\n  dish: Onion soup\n  side: 🥖 bread\n---\nSuggestion: {{dish}}\n",
            WARNING,
            "side",
            "never used",
        ),
        (GOOD_BODY.format(front="method: grad_l3\n"), ERROR, "grad_l3", "Unknown method"),
        (GOOD_BODY.format(front="granularity: wordz\n"), ERROR, "wordz", "Unknown granularity"),
        (GOOD_BODY.format(front='granularity: "regex:(ab"\n'), ERROR, None, "regex"),
        (GOOD_BODY.format(front='explain: "/(ab/"\n'), ERROR, None, "Invalid regex"),
    ],
)
async def test_problems_are_diagnostics(
    client: LanguageClient,
    text: str,
    severity: types.DiagnosticSeverity,
    marked: str | None,
    words: str,
) -> None:
    found = await _diagnostics(client, text)
    matching = [d for d in found if words in d.message and d.severity == severity]
    assert matching, [d.message for d in found]
    if marked is not None:
        assert text_in(text, matching[0].range) == marked


async def test_malformed_dataset_line(client: LanguageClient) -> None:
    text = '{"prompt": "Hello"}\n{"prompt": "broken\n'
    (diagnostic,) = await _diagnostics(client, text, "bad.jsonl")
    assert diagnostic.range.start.line == 1
    assert "not valid JSON" in diagnostic.message


@pytest.mark.skipif(not is_converted(embedded_preset_dir(cache_root())), reason="no tokenizer yet")
async def test_a_prompt_too_long_for_the_context(client: LanguageClient) -> None:
    text = GOOD_BODY.format(front="max_new_tokens: 5000\n")
    found = await _diagnostics(client, text)
    (too_long,) = [d for d in found if d.code == "prompt-too-long"]
    assert "exceed the configured limit of 2048 tokens" in too_long.message
    assert "`maxLength` setting" in too_long.message
    assert too_long.range.start.line == position_of(text, text.index("Suggestion")).line


async def _failure(future: asyncio.Future[object], code: int = REQUEST_FAILED) -> str:
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(future, 120)
    assert caught.value.code == code
    return caught.value.message


async def test_failures_are_messages_with_a_fix_and_the_server_stays_up(
    client: LanguageClient,
) -> None:
    uri = unique_uri("broken.prompt")
    text = "---\nvars:\n  dish: Onion soup\n---\nSuggestion: {{dessert}}\n"
    open_document(client, uri, text)
    shown = len(client.messages)
    message = await _failure(execute(client, "promptSalience.run", {"uri": uri}))
    assert "Unknown placeholder" in message
    assert "Fix:" in message
    assert client.messages[shown].type == types.MessageType.Error
    assert "Fix:" in client.messages[shown].message

    message = await _failure(execute(client, "promptSalience.explainSpan", {"uri": uri, "line": 0}))
    assert "Run it first" in message
    message = await _failure(execute(client, "promptSalience.setView", {"uri": uri, "method": "x"}))

    # An unknown preset: the model fails to load, with the fix; nothing is left half-loaded.
    bad_model = unique_uri("bad-model.prompt")
    open_document(client, bad_model, GOOD_BODY.format(front="model: not_a_gemma_preset\n"))
    message = await _failure(execute(client, "promptSalience.run", {"uri": bad_model}))
    assert "not a keras-hub Gemma preset" in message
    assert "Fix:" in message
    close_document(client, bad_model)

    # Bad requests: JSON-RPC errors, not silence.
    await _failure(
        execute(client, "promptSalience.run", {"uri": "file:///not/open.prompt"}), INVALID_PARAMS
    )
    await _failure(execute(client, "promptSalience.run", {"url": 3}), INVALID_PARAMS)
    await _failure(request(client, "promptSalience/result", {"case": 3}), INVALID_PARAMS)  # type: ignore[arg-type]
    await _failure(execute(client, "promptSalience.noSuchCommand", {}), INVALID_PARAMS)

    # Still answering.
    assert "No salience yet" in hover_text(await hover(client, uri, types.Position(4, 3)))
    assert await request(client, "promptSalience/result", {"uri": uri}) is None
    close_document(client, uri)


async def test_a_bad_setting_is_reported_and_the_rest_applied(client: LanguageClient) -> None:
    shown = len(client.messages)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"promptSalience": {"method": "grad_l3", "maxNewTokens": 8}}
        )
    )
    while len(client.messages) == shown:
        await asyncio.sleep(0.02)
    assert "grad_l3" in client.messages[shown].message
    assert client.messages[shown].type == types.MessageType.Warning


@pytest.mark.model
async def test_an_explain_text_missing_from_the_response_keeps_the_run(
    client: LanguageClient,
) -> None:
    uri = unique_uri("missing-span.prompt")
    open_document(client, uri, GOOD_BODY.format(front='max_new_tokens: 4\nexplain: "zzz"\n'))
    shown = len(client.messages)
    result = await execute(client, "promptSalience.run", {"uri": uri})
    assert result["spanText"] == result["response"].strip()
    warning = next(m for m in client.messages[shown:] if m.type == types.MessageType.Warning)
    assert "'zzz' is not in the response" in warning.message
    assert "Explaining the whole response instead" in warning.message
    close_document(client, uri)


async def test_a_huge_prompt_is_refused_before_any_model_work(client: LanguageClient) -> None:
    uri = unique_uri("huge.prompt")
    body = ("The soup arrived cold but the waiter apologised at once. " * 22000)[:1_250_000]
    open_document(client, uri, f"---\nvars:\n  x: a\n---\n{body}{{{{x}}}}\n")
    before = set(client.progress_reports)
    message = await _failure(execute(client, "promptSalience.run", {"uri": uri}))
    assert "has at least" in message  # decided from the characters, not by a tokenizer pass
    assert "configured limit of 2048 tokens" in message
    assert "Fix:" in message
    assert set(client.progress_reports) == before  # no model work was started
    close_document(client, uri)
