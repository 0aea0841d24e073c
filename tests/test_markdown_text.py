"""Text shown inside Markdown (hovers) renders exactly as written."""

from __future__ import annotations

import html

import markdown_it
import pytest

from prompt_salience.lsp.markdown_text import code_span


@pytest.mark.parametrize(
    "text",
    ["a `b` c", "``", "`x`", " x ", "[l](u)", "<img src=x>", "**b**", "line\nbreak", "", "   "],
)
def test_a_code_span_shows_exactly_its_characters(text: str) -> None:
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).renderInline(code_span(text))
    assert rendered.startswith("<code>")
    assert rendered.endswith("</code>")
    inner = rendered[len("<code>") : -len("</code>")]
    assert html.unescape(inner) == (text.replace("\n", " ") or " ")
