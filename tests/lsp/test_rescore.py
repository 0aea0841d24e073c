"""Pin, edit, re-score: the codelab's loop over plain LSP (real embedded Gemma).

After an edit and a pause, the server forces the pinned response (else the last one) under
the edited prompt, without generating, and reports how its log-probability changed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import (
    change,
    close_document,
    execute,
    hover,
    hover_text,
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

MISTAKE = (Path(__file__).parents[2] / "prompts" / "menu-fewshot-mistake.prompt").read_text()
CASE = "quiche-lorraine"
WRONG = "Recommendation: You have to try it."  # the first example's copy-paste mistake
REQUEST_FAILED = -32803


async def _notice(client: LanguageClient, count: int, reason: str, timeout: float = 120) -> Any:
    """The first resultChanged notice with `reason` after the first `count` ones."""
    changes: list[Any] = client.result_changes  # type: ignore[attr-defined]
    async with asyncio.timeout(timeout):
        while True:
            found = [c for c in changes[count:] if c.reason == reason]
            if found:
                return found[0]
            await asyncio.sleep(0.05)


def _fix_first_example(client: LanguageClient, uri: str, text: str, version: int) -> str:
    at = text.index(WRONG)
    start, end = position_of(text, at), position_of(text, at + len(WRONG))
    change(client, uri, version, types.Range(start, end), "Recommendation: Avoid.")
    return text[:at] + "Recommendation: Avoid." + text[at + len(WRONG) :]


async def test_a_pinned_answer_is_re_scored_after_the_fix_without_generating(
    client: LanguageClient,
) -> None:
    uri = unique_uri("rescore.prompt")
    open_document(client, uri, MISTAKE)
    try:
        ran = await asyncio.wait_for(
            execute(client, "promptSalience.run", {"uri": uri, "case": CASE}), 300
        )
        assert "You have to try it" in ran["response"]
        pinned = await execute(client, "promptSalience.pin", {"uri": uri, "case": CASE})
        assert pinned["pinned"] is True
        assert any(
            "Pinned" in (lens.command.title if lens.command else "")
            for lens in await lenses(client, uri)
        )
        count = len(client.result_changes)  # type: ignore[attr-defined]
        before_tokens = set(client.progress_reports)
        fixed = _fix_first_example(client, uri, MISTAKE, 2)
        notice = await _notice(client, count, "rescored")
        assert notice.version == 2
        result = await request(client, "promptSalience/result", {"uri": uri, "case": CASE})
        rescore = result["rescore"]
        assert rescore["pinned"] is True
        assert rescore["beforeLogprob"] == pytest.approx(ran["spanLogprob"])
        # Fixing the example makes the copied mistake less likely.
        assert rescore["deltaLogprob"] < 0
        assert result["response"] == ran["response"]
        assert result["responseIsGenerated"] is False
        titles = [lens.command.title for lens in await lenses(client, uri) if lens.command]
        assert any(t.startswith("log p(pinned answer)") and "less likely" in t for t in titles), (
            titles
        )
        # No generation happened for the re-score: only its own progress, no "Generating".
        new = [t for t in client.progress_reports if t not in before_tokens]
        messages = [
            getattr(v, "message", None) or getattr(v, "title", None) or ""
            for t in new
            for v in client.progress_reports[t]
        ]
        assert any("re-scoring" in m for m in messages), messages
        assert not any(m.startswith("Generating") for m in messages), messages
        # Hovers say what each segment weighed before the edit, and now.
        same = hover_text(await hover(client, uri, position_of(fixed, fixed.index("Onion soup"))))
        assert "Before the edit: salience" in same, same
        assert "→ now" in same
        edited = fixed.index("Recommendation: Avoid.")
        changed = hover_text(await hover(client, uri, position_of(fixed, edited + 3)))
        assert "Changed by the edit: it was `Recommendation: You have to try it.`" in changed, (
            changed
        )
    finally:
        close_document(client, uri)


async def test_without_a_pin_the_last_answer_is_re_scored(client: LanguageClient) -> None:
    uri = unique_uri("rescore-last.prompt")
    open_document(client, uri, MISTAKE)
    try:
        await asyncio.wait_for(
            execute(client, "promptSalience.run", {"uri": uri, "case": CASE}), 300
        )
        count = len(client.result_changes)  # type: ignore[attr-defined]
        _fix_first_example(client, uri, MISTAKE, 2)
        await _notice(client, count, "rescored")
        result = await request(client, "promptSalience/result", {"uri": uri, "case": CASE})
        assert result["rescore"]["pinned"] is False
        assert result["pinned"] is False
    finally:
        close_document(client, uri)


async def test_pinning_needs_a_result_and_no_run_in_flight(client: LanguageClient) -> None:
    uri = unique_uri("pin-bad.prompt")
    open_document(client, uri, MISTAKE)
    try:
        with pytest.raises(JsonRpcException) as nothing:
            await execute(client, "promptSalience.pin", {"uri": uri, "case": CASE})
        assert nothing.value.code == REQUEST_FAILED
        assert "no result" in str(nothing.value.message)
        run = asyncio.ensure_future(
            execute(client, "promptSalience.run", {"uri": uri, "case": CASE})
        )
        await asyncio.sleep(0.5)
        with pytest.raises(JsonRpcException) as in_flight:
            await execute(client, "promptSalience.pin", {"uri": uri, "case": CASE})
        assert "in flight" in str(in_flight.value.message)
        await asyncio.wait_for(run, 300)  # the run itself is not disturbed
    finally:
        close_document(client, uri)


async def test_the_setting_turns_re_scoring_off(client: LanguageClient) -> None:
    settings = {"maxNewTokens": 8, "rescoreOnEdit": False}
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams({"promptSalience": settings})
    )
    uri = unique_uri("rescore-off.prompt")
    open_document(client, uri, MISTAKE)
    try:
        await asyncio.wait_for(
            execute(client, "promptSalience.run", {"uri": uri, "case": CASE}), 300
        )
        count = len(client.result_changes)  # type: ignore[attr-defined]
        _fix_first_example(client, uri, MISTAKE, 2)
        with pytest.raises(TimeoutError):
            await _notice(client, count, "rescored", timeout=3)
    finally:
        restore = {"promptSalience": {"maxNewTokens": 8}}
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(restore))
        close_document(client, uri)


async def test_run_again_and_compare_with_the_pinned_answer(client: LanguageClient) -> None:
    """The codelab's loop: pin the mistake's answer, fix the first example, run again, and
    compare: the pinned answer became much less likely, the new one much more, and the edited
    line is the segment that changed (with its place in the document)."""
    uri = unique_uri("compare.prompt")
    open_document(client, uri, MISTAKE)
    try:
        run = {"uri": uri, "case": CASE}
        await asyncio.wait_for(execute(client, "promptSalience.run", run), 300)
        await execute(client, "promptSalience.pin", run)
        # Right after pinning, the pinned result is the current one: nothing to compare.
        titles = [lens.command.title for lens in await lenses(client, uri) if lens.command]
        assert not any(t.startswith("Compare with") for t in titles), titles
        with pytest.raises(JsonRpcException) as no_case:
            await execute(client, "promptSalience.compare", {"uri": uri, "case": "no-such-case"})
        assert no_case.value.code == REQUEST_FAILED
        count = len(client.result_changes)  # type: ignore[attr-defined]
        fixed = _fix_first_example(client, uri, MISTAKE, 2)
        await _notice(client, count, "rescored")
        again = await asyncio.wait_for(execute(client, "promptSalience.run", run), 300)
        assert "Avoid" in again["response"]
        titles = [lens.command.title for lens in await lenses(client, uri) if lens.command]
        assert "Compare with the pinned answer" in titles
        report = await asyncio.wait_for(execute(client, "promptSalience.compare", run), 300)
        assert report["pinned"] is True
        assert "You have to try it" in report["beforeResponse"]
        assert report["beforeAnswerNow"] - report["beforeAnswerBefore"] < -2
        assert report["afterAnswerNow"] - report["afterAnswerBefore"] > 2
        assert "less likely" in report["summary"][0]
        assert "more likely" in report["summary"][1]
        (changed,) = [s for s in report["segments"] if s["status"] == "changed"]
        assert changed["beforeText"] == "Recommendation: You have to try it."
        assert changed["afterText"] == "Recommendation: Avoid."
        # The difference map: the server's buckets and legend for the shares that moved.
        assert "before your edits" in report["scale"]["caption"]
        moved = [s for s in report["segments"] if s["status"] == "same" and s["bucket"] != 0]
        assert moved
        biggest = max(moved, key=lambda s: abs(s["shareChange"]))
        assert abs(biggest["bucket"]) == report["scale"]["steps"]
        assert (biggest["bucket"] > 0) == (biggest["shareChange"] > 0)
        assert changed["bucket"] == 0  # changed text has no before/after share to compare
        (where,) = changed["ranges"]
        at = fixed.index("Recommendation: Avoid.")
        assert where["start"] == {"line": position_of(fixed, at).line, "character": 0}
        # The comparison as a page for a teammate: the last one, no new run, self-contained.
        page = await request(client, "promptSalience/comparisonReport", run)
        assert page["fileName"].endswith(".quiche-lorraine.comparison.html")
        assert "Avoid" in page["html"]
        assert "You have to try it" in page["html"]
        assert "http://" not in page["html"]
        assert "https://" not in page["html"]
    finally:
        close_document(client, uri)


async def test_an_edit_during_a_re_score_stops_it_and_the_next_pause_re_scores_anew(
    client: LanguageClient,
) -> None:
    uri = unique_uri("rescore-edit.prompt")
    open_document(client, uri, MISTAKE)
    try:
        await asyncio.wait_for(
            execute(client, "promptSalience.run", {"uri": uri, "case": CASE}), 300
        )
        count = len(client.result_changes)  # type: ignore[attr-defined]
        before = set(client.progress_reports)
        fixed = _fix_first_example(client, uri, MISTAKE, 2)
        async with asyncio.timeout(30):  # the re-score begins after the pause
            while not any(
                "re-scoring" in (getattr(v, "title", None) or "")
                for t in client.progress_reports
                if t not in before
                for v in client.progress_reports[t]
            ):
                await asyncio.sleep(0.01)
        at = position_of(fixed, fixed.index("Analyze"))
        change(client, uri, 3, types.Range(at, at), "Please ")
        changes: list[Any] = client.result_changes  # type: ignore[attr-defined]
        async with asyncio.timeout(120):  # a re-score of the text as it is now
            while not any(c.reason == "rescored" and c.version == 3 for c in changes[count:]):
                await asyncio.sleep(0.05)
        # The edit reached the first re-score while it ran (it stopped) or just after it filed
        # its result for version 2 (that result was then dropped): either way nothing is lost.
        assert {c.version for c in changes[count:] if c.reason == "rescored"} <= {2, 3}
        ended = [
            getattr(v, "message", None)
            for t in client.progress_reports
            if t not in before
            for v in client.progress_reports[t]
            if isinstance(v, types.WorkDoneProgressEnd)
        ]
        assert "Failed" not in ended
        result = await request(client, "promptSalience/result", {"uri": uri, "case": CASE})
        assert result["version"] == 3
        assert result["rescore"]["deltaLogprob"] < 0
    finally:
        close_document(client, uri)


async def test_compare_with_another_open_file(client: LanguageClient) -> None:
    """Two files side by side: the fixed prompt's result against the mistake prompt's."""
    mistake_uri, fixed_uri = unique_uri("side-a.prompt"), unique_uri("side-b.prompt")
    fixed_text = (Path(__file__).parents[2] / "prompts" / "menu-fewshot-fixed.prompt").read_text()
    open_document(client, mistake_uri, MISTAKE)
    open_document(client, fixed_uri, fixed_text)
    try:
        for uri in (mistake_uri, fixed_uri):
            await asyncio.wait_for(
                execute(client, "promptSalience.run", {"uri": uri, "case": CASE}), 300
            )
        params = {"uri": fixed_uri, "case": CASE, "otherUri": mistake_uri}
        report = await asyncio.wait_for(execute(client, "promptSalience.compare", params), 300)
        assert report["pinned"] is False
        assert report["against"].startswith("the answer of case `quiche-lorraine` of side-a")
        assert "You have to try it" in report["beforeResponse"]
        assert "Avoid" in report["afterResponse"]
        assert report["beforeAnswerNow"] - report["beforeAnswerBefore"] < -2
        assert report["summary"][0].startswith("After this prompt, the answer of case")
        missing = {"uri": fixed_uri, "case": CASE, "otherUri": mistake_uri, "otherCase": "nope"}
        with pytest.raises(JsonRpcException) as no_result:
            await execute(client, "promptSalience.compare", missing)
        assert "There is no result of case `nope`" in str(no_result.value.message)
    finally:
        close_document(client, mistake_uri)
        close_document(client, fixed_uri)
