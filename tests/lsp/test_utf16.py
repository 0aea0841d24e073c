"""UTF-16 positions: emoji and accented letters before the explained words and values."""

from __future__ import annotations

import pytest
from lsp_helpers import (
    check_range,
    close_document,
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
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="session")]

TEXT = """---
description: "Un café 😀 pour Zoë"
max_new_tokens: 4
granularity: words
vars:
  guest: "Zoë 🎉 Müller"
---
Café ☕ crème 😀 brûlée for {{guest}}: the best dessert is
"""


async def test_ranges_and_hovers_count_utf16_units(client: LanguageClient) -> None:
    uri = unique_uri("utf16.prompt")
    open_document(client, uri, TEXT)
    result = await execute(client, "promptSalience.run", {"uri": uri})

    for segment in result["segments"]:
        ranges = [
            types.Range(
                types.Position(r["start"]["line"], r["start"]["character"]),
                types.Position(r["end"]["line"], r["end"]["character"]),
            )
            for r in segment["ranges"]
        ]
        for range_ in ranges:
            check_range(TEXT, range_)
        if ranges:
            assert "".join(text_in(TEXT, r) for r in ranges) == segment["text"]
    words = {s["text"] for s in result["segments"] if s["ranges"]}
    assert {"brûlée", "😀", "Müller:"} <= words

    for word in ("brûlée", "Müller"):
        shown = await hover(client, uri, position_of(TEXT, TEXT.index(word) + 2))
        assert "Salience" in hover_text(shown)
        assert shown is not None
        assert shown.range is not None
        assert text_in(TEXT, shown.range) == word

    # Response offsets are UTF-16 units too: the tokens tile the response.
    fetched = await request(client, "promptSalience/result", {"uri": uri})
    response = fetched["response"]
    units = len(response.encode("utf-16-le")) // 2
    assert all(0 <= t["start"] <= t["end"] <= units for t in fetched["responseTokens"])
    close_document(client, uri)


async def test_response_offsets_count_utf16_units(client: LanguageClient) -> None:
    target = " Zoë 🎉 likes crêpes 😀 a lot"
    text = f'---\ntarget: "{target}"\nvars:\n  guest: Zoë\n---\n{{{{guest}}}} says:\n'
    uri = unique_uri("offsets.prompt")
    open_document(client, uri, text)
    result = await execute(client, "promptSalience.run", {"uri": uri})
    assert result["response"] == target
    assert result["responseIsGenerated"] is False
    start = len(target[: target.index("crêpes")].encode("utf-16-le")) // 2
    end = start + len("crêpes")
    explained = await execute(
        client, "promptSalience.explainSpan", {"uri": uri, "start": start, "end": end}
    )
    assert explained["spanText"] == "crêpes"
    assert explained["span"] == {"start": start, "end": end}
    emoji = len(target[: target.index("😀")].encode("utf-16-le")) // 2
    explained = await execute(
        client, "promptSalience.explainSpan", {"uri": uri, "start": emoji, "end": emoji + 2}
    )
    assert explained["spanText"] == "😀"
    close_document(client, uri)
