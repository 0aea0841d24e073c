"""Hovers show prompt and model text literally: Markdown and HTML in a what-if target or in the
prompt are not interpreted when the editor renders the hover."""

from __future__ import annotations

import markdown_it
import pytest
from lsp_helpers import execute, hover, hover_text, open_document, position_of, unique_uri
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="session")]

HOSTILE = "``[site](https://example.com) <img src=x onerror=alert(1)> **loud** <b>bold</b>``"

TEXT = f"""---
granularity: sentences
target: " {HOSTILE}"
---
Say something. Then say: {HOSTILE}
"""


def rendered(markdown: str) -> str:
    """HTML as a CommonMark renderer with raw HTML enabled makes of the hover."""
    return markdown_it.MarkdownIt("commonmark", {"html": True}).render(markdown)


async def test_markdown_and_html_in_target_and_prompt_are_shown_literally(
    client: LanguageClient,
) -> None:
    uri = unique_uri("hostile.prompt")
    open_document(client, uri, TEXT)
    await execute(client, "promptSalience.run", {"uri": uri})
    markdown = hover_text(await hover(client, uri, position_of(TEXT, TEXT.rindex("<img") + 2)))
    html = rendered(markdown)
    # The hover does describe the segment and the span (the text is there)...
    assert "onerror=alert(1)" in html
    assert "&lt;img" in html
    # ...and none of it became a link, an image, emphasis or raw HTML.
    assert "[site](https://example.com)" in html
    for made in ("<a ", "<img", "<strong>loud", "<b>bold", "<em>"):
        assert made not in html, (made, markdown)
    assert html.count("<code>") >= 2  # the segment and the explained span
