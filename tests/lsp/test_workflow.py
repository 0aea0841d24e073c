"""The menu prompt end to end over LSP: diagnostics, CodeLens, run with progress, hovers,
another span, another method — with the real embedded Gemma."""

from __future__ import annotations

import asyncio
import html
import re

import pytest
from lsp_helpers import (
    PROMPTS,
    check_range,
    close_document,
    diagnostics_for,
    execute,
    hover,
    hover_text,
    lenses,
    open_document,
    position_of,
    request,
    text_in,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="session")]

MENU = PROMPTS / "menu-fewshot-mistake.prompt"


async def test_menu_prompt_run_hover_explain_and_switch(client: LanguageClient) -> None:
    text = MENU.read_text(encoding="utf-8")
    uri = MENU.as_uri()
    open_document(client, uri, text)
    errors = [
        d
        for d in await diagnostics_for(client, uri)
        if d.severity == types.DiagnosticSeverity.Error
    ]
    assert errors == []

    onion = position_of(text, text.index("Onion soup") + 2)
    assert "Run and explain" in hover_text(await hover(client, uri, onion))

    found = await lenses(client, uri)
    assert [lens.command.title for lens in found if lens.command] == [
        "▶ Run and explain `quiche-lorraine`",
        "▶ Run and explain `crepe-suzette`",
    ]
    first = found[0]
    assert first.command is not None
    assert first.range.start.line == position_of(text, text.index("- name: quiche")).line

    # Run through workspace/executeCommand, as any client would.
    tokens_before = set(client.progress_reports)
    run = asyncio.ensure_future(execute(client, first.command.command, first.command.arguments[0]))
    while not (started := [t for t in client.progress_reports if t not in tokens_before]):
        await asyncio.sleep(0.05)
    busy = hover_text(await hover(client, uri, onion))
    # The hover is answered while the model loads or runs: when its answer comes, the run has
    # neither answered nor ended its progress (the server answers in order on one stream).
    assert not run.done()
    assert not isinstance(client.progress_reports[started[0]][-1], types.WorkDoneProgressEnd)
    assert "Running" in busy
    result = await asyncio.wait_for(run, 300)

    assert result["case"] == "quiche-lorraine"
    assert result["method"] == "grad_l2"
    assert result["granularity"] == "sentences"
    assert result["spanText"].startswith("Recommendation:")
    span = result["span"]
    assert result["response"][span["start"] : span["end"]] == result["spanText"]
    (token,) = [t for t in client.progress_reports if t not in tokens_before]
    reports = client.progress_reports[token]
    assert isinstance(reports[0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)
    messages = [getattr(r, "message", "") or "" for r in reports]
    assert any(re.fullmatch(r"Generating: \d+/32 tokens", m) for m in messages)
    assert any(m.startswith("Salience") for m in messages)

    # Every prompt segment's ranges hold exactly its text (template and front-matter values).
    mapped = [s for s in result["segments"] if s["ranges"]]
    assert mapped
    for segment in mapped:
        ranges = [types.Range(**_range(r)) for r in segment["ranges"]]
        for range_ in ranges:
            check_range(text, range_)
        assert "".join(text_in(text, r) for r in ranges) == segment["text"]

    # Hover: template text, a front-matter value, a placeholder.
    shown = hover_text(await hover(client, uri, onion))
    for expected in (
        "Salience",
        "rank",
        "% of the total",
        "grad_l2",
        "sentences",
        "Recommendation:",
    ):
        assert expected in shown
    cheese = await hover(client, uri, position_of(text, text.index("Cheese") + 1))
    assert "Taste-likes: Cheese" in hover_text(cheese)
    assert cheese is not None
    assert cheese.range is not None
    assert text_in(text, cheese.range) == "Cheese"
    placeholder = await hover(client, uri, position_of(text, text.index("{{food_likes}}") + 3))
    assert "Taste-likes: Cheese" in hover_text(placeholder)

    # After the run: the response on the lens, and lenses to explain another line.
    titles = [lens.command.title for lens in await lenses(client, uri) if lens.command]
    assert titles[0].startswith("Response: ")
    explain_line = next(
        lens
        for lens in await lenses(client, uri)
        if lens.command and "Explain line 1" in lens.command.title
    )
    assert explain_line.command is not None
    second = await execute(client, explain_line.command.command, explain_line.command.arguments[0])
    assert second["response"] == result["response"]
    first_line = result["response"].strip().splitlines()[0].strip()
    assert second["spanText"] == first_line

    # Switch the method: same response and span, no new generation.
    tokens_before = set(client.progress_reports)
    switched = await execute(
        client,
        "promptSalience.setView",
        {"uri": uri, "case": "quiche-lorraine", "method": "grad_dot_input"},
    )
    assert switched["method"] == "grad_dot_input"
    assert switched["signed"] is True
    assert switched["spanText"] == first_line
    new_messages = [
        getattr(r, "message", "") or ""
        for t in client.progress_reports
        if t not in tokens_before
        for r in client.progress_reports[t]
    ]
    assert not any(m.startswith("Generating") for m in new_messages)

    # The custom request gives the same result, immediately.
    fetched = await request(
        client, "promptSalience/result", {"uri": uri, "case": "quiche-lorraine"}
    )
    assert fetched["method"] == "grad_dot_input"
    assert fetched["version"] == 1

    # The HTML report is made from that very result: no new run, the shown response inside.
    report = await request(client, "promptSalience/report", {"uri": uri, "case": "quiche-lorraine"})
    assert report["fileName"] == "menu-fewshot-mistake.quiche-lorraine.salience.html"
    assert report["html"].startswith("<!DOCTYPE html>")
    assert html.escape(fetched["response"].splitlines()[0].strip()) in report["html"]
    assert "grad_dot_input" in report["html"]
    assert "http://" not in report["html"]
    assert "https://" not in report["html"]
    close_document(client, uri)


def _range(raw: dict[str, dict[str, int]]) -> dict[str, types.Position]:
    return {
        "start": types.Position(raw["start"]["line"], raw["start"]["character"]),
        "end": types.Position(raw["end"]["line"], raw["end"]["character"]),
    }


async def test_a_dataset_has_a_lens_per_record_and_hovers_inside_json(
    client: LanguageClient,
) -> None:
    path = PROMPTS / "menu-samples.jsonl"
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    open_document(client, uri, text)
    records = [line for line in text.splitlines() if line.strip()]
    every = [lens for lens in await lenses(client, uri) if lens.command]
    found = [
        lens for lens in every if lens.command and lens.command.command == "promptSalience.run"
    ]
    assert len(found) == len(records)
    # A record with `expect` also offers a test of it.
    tests = [
        lens for lens in every if lens.command and lens.command.command == "promptSalience.test"
    ]
    assert len(tests) == sum('"expect"' in record for record in records) > 0
    assert found[0].command is not None
    assert "fewshot-mistake" in found[0].command.title
    assert [lens.range.start.line for lens in found] == [
        i for i, line in enumerate(text.splitlines()) if line.strip()
    ]
    result = await execute(client, found[0].command.command, found[0].command.arguments[0])
    assert result["case"] == "fewshot-mistake"
    shown = await hover(client, uri, position_of(text, text.index("Onion soup") + 1))
    assert "Salience" in hover_text(shown)
    assert shown is not None
    assert shown.range is not None
    assert shown.range.start.line == 0
    close_document(client, uri)
