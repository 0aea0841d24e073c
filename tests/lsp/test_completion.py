"""textDocument/completion in `.prompt` files: variables after `{{`, front-matter keys, and the
values of `method:`, `granularity:` and `model:` from the server's lists (no model needed)."""

from __future__ import annotations

import asyncio

import pytest
from editing_server import editor  # noqa: F401  (the fixture)
from lsp_helpers import close_document, open_document, unique_uri
from lsprotocol import types
from pytest_lsp import LanguageClient

from prompt_salience.engine.segmentation import GRANULARITY_CHOICES
from prompt_salience.models.model_catalogue import known_presets
from prompt_salience.prompt.front_matter import CASE_KEYS, FRONT_MATTER_KEYS
from prompt_salience.salience.registry import methods
from prompt_salience.settings import front_matter_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

MENU = """---
description: Menu suggestions
vars:
  menu_item: Quiche Lorraine
  tone: warm
cases:
  - name: soup
    vars:
      menu_item: Onion soup
      side: bread
---
Suggestion: {{menu_item}} with {{side}}, in a {{tone}} voice.
Analysis: {{
"""


async def complete(
    client: LanguageClient,
    text: str,
    line: int,
    character: int,
    trigger: str | None = None,
    name: str = "complete.prompt",
) -> tuple[list[types.CompletionItem], bool]:
    """The items offered at (line, character) of a fresh document holding `text`."""
    uri = unique_uri(name)
    open_document(client, uri, text)
    context = types.CompletionContext(
        types.CompletionTriggerKind.TriggerCharacter
        if trigger
        else types.CompletionTriggerKind.Invoked,
        trigger,
    )
    found = await client.text_document_completion_async(
        types.CompletionParams(
            types.TextDocumentIdentifier(uri), types.Position(line, character), context=context
        )
    )
    close_document(client, uri)
    if found is None:
        return [], False
    if isinstance(found, list):
        return found, False
    return found.items, found.is_incomplete


def end_of(text: str, line: int) -> int:
    return len(text.split("\n")[line])


def inserted(item: types.CompletionItem) -> str:
    edit = item.text_edit
    assert isinstance(edit, types.TextEdit)
    return edit.new_text


async def test_after_double_braces_the_variables_of_the_file_and_its_cases(
    editor: LanguageClient,  # noqa: F811
) -> None:
    items, _ = await complete(editor, MENU, 12, end_of(MENU, 12), "{")
    assert [i.label for i in items] == ["menu_item", "tone", "side"]
    assert all(i.kind == types.CompletionItemKind.Variable for i in items)
    assert [inserted(i) for i in items] == ["menu_item}}", "tone}}", "side}}"]
    assert "Quiche Lorraine" in (items[0].detail or "")
    assert "soup" in (items[2].detail or "")


async def test_inside_closed_braces_the_name_alone_replaces_what_was_typed(
    editor: LanguageClient,  # noqa: F811
) -> None:
    text = MENU.replace("Analysis: {{", "Analysis: {{ to}}")
    items, _ = await complete(editor, text, 12, len("Analysis: {{ to"))
    tone = next(i for i in items if i.label == "tone")
    edit = tone.text_edit
    assert isinstance(edit, types.TextEdit)
    assert edit.new_text == "tone"
    assert (edit.range.start.character, edit.range.end.character) == (13, 15)


async def test_no_variables_outside_the_body_or_after_an_escaped_brace(
    editor: LanguageClient,  # noqa: F811
) -> None:
    escaped = MENU.replace("Analysis: {{", "Analysis: \\{{")
    assert (await complete(editor, escaped, 12, end_of(escaped, 12), "{"))[0] == []
    raw = "Suggestion: {{"
    assert (await complete(editor, raw, 0, len(raw), "{"))[0] == []
    record = '{"prompt": "Suggestion: {{"}'
    assert (await complete(editor, record, 0, len(record) - 2, "{", name="data.jsonl"))[0] == []


async def test_on_method_the_registry_methods_in_order(editor: LanguageClient) -> None:  # noqa: F811
    text = "---\nmethod: \nvars:\n  a: 1\n---\n{{a}}\n"
    items, incomplete = await complete(editor, text, 1, len("method: "), " ")
    assert [i.label for i in items] == [cls.name for cls in methods()]
    assert not incomplete
    assert items[0].detail is not None
    assert methods()[0].label in items[0].detail
    assert [inserted(i) for i in items] == [cls.name for cls in methods()]
    # Right after the colon, the value comes with its space.
    items, _ = await complete(editor, text.replace("method: ", "method:"), 1, len("method:"), ":")
    assert [inserted(i) for i in items] == [f" {cls.name}" for cls in methods()]


async def test_on_granularity_the_declared_choices(editor: LanguageClient) -> None:  # noqa: F811
    text = "---\ngranularity: wo\n---\nHello\n"
    items, _ = await complete(editor, text, 1, len("granularity: wo"))
    assert [i.label for i in items] == [g.name for g in GRANULARITY_CHOICES]
    edit = items[0].text_edit
    assert isinstance(edit, types.TextEdit)
    assert edit.range.start.character == len("granularity: ")


async def test_on_model_the_embedded_model_first(editor: LanguageClient) -> None:  # noqa: F811
    text = "---\nmodel: \n---\nHello\n"
    items, incomplete = await complete(editor, text, 1, len("model: "), " ")
    assert items[0].label == "gemma3_270m"
    assert items[0].detail == "embedded"
    for _ in range(600):  # the presets come once keras-hub is imported (seconds, once)
        if not incomplete:
            break
        await asyncio.sleep(0.1)
        items, incomplete = await complete(editor, text, 1, len("model: "))
    assert not incomplete
    assert [i.label for i in items] == ["gemma3_270m", *(p.name for p in known_presets())]


async def test_front_matter_keys_where_a_key_goes(editor: LanguageClient) -> None:  # noqa: F811
    text = "---\nvars:\n  a: 1\nmeth\n---\n{{a}}\n"  # unreadable YAML while typing
    items, _ = await complete(editor, text, 3, len("meth"))
    assert [i.label for i in items] == [k for k in FRONT_MATTER_KEYS if k != "vars"]  # written
    method = next(i for i in items if i.label == "method")
    assert inserted(method) == "method: "
    assert isinstance(method.documentation, types.MarkupContent)
    declared = {s.name: s.description for s in front_matter_settings()}
    assert method.documentation.value == declared["method"]
    items, _ = await complete(editor, "---\n\n---\nHello\n", 1, 0)
    assert [i.label for i in items] == list(FRONT_MATTER_KEYS)
    assert inserted(next(i for i in items if i.label == "vars")) == "vars:"


async def test_case_keys_in_a_case_and_expectation_kinds_under_expect(
    editor: LanguageClient,  # noqa: F811
) -> None:
    text = "---\ncases:\n  - name: one\n    \nexpect:\n  - \n---\nHello\n"
    items, _ = await complete(editor, text, 3, 4)
    assert [i.label for i in items] == list(CASE_KEYS)
    items, _ = await complete(editor, text, 5, 4)
    assert [i.label for i in items] == ["contains", "not_contains", "regex", "not_regex"]
    # Under `vars:`, names are the user's own: nothing is offered.
    text = "---\nvars:\n  \n---\nHello\n"
    assert (await complete(editor, text, 2, 2))[0] == []
