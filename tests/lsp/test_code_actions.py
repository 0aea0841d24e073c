"""Quick fixes (textDocument/codeAction): each diagnostic that an edit mends carries the edit in
its `data`; applied to the text, the next diagnostics no longer hold that problem."""

from __future__ import annotations

import re

import pytest
from editing_server import editor  # noqa: F401  (the fixture)
from lsp_helpers import (
    close_document,
    diagnostics_for,
    lines_of,
    open_document,
    unique_uri,
    utf16_len,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from prompt_salience.salience.registry import methods

pytestmark = pytest.mark.asyncio(loop_scope="module")

MENU = "---\nvars:\n  menu_item: Quiche\n---\nSuggestion: {{ menu_itme }}\nAnalysis:\n"


def apply(text: str, edit: types.TextEdit) -> str:
    """`text` with `edit` applied, its positions read in UTF-16 independently of the server."""
    chunks = [m.group() for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text)]
    lines = lines_of(text)

    def offset(position: types.Position) -> int:
        at = sum(len(chunk) for chunk in chunks[: position.line])
        units = 0
        for char in lines[position.line]:
            if units >= position.character:
                break
            units += utf16_len(char)
            at += 1
        return at

    return text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]


async def fixes_for(
    client: LanguageClient, uri: str, diagnostic: types.Diagnostic
) -> list[types.CodeAction]:
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            diagnostic.range,
            types.CodeActionContext(diagnostics=[diagnostic], only=[types.CodeActionKind.QuickFix]),
        )
    )
    assert found is not None
    return [a for a in found if isinstance(a, types.CodeAction)]


def the_edit(action: types.CodeAction, uri: str, version: int) -> types.TextEdit:
    """The action's one text edit, checked to be for this document at this version."""
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.edit is not None
    assert action.edit.document_changes is not None
    (change,) = action.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.uri == uri
    assert change.text_document.version == version
    (edit,) = change.edits
    assert isinstance(edit, types.TextEdit)
    return edit


async def diagnostics_after(client: LanguageClient, text: str) -> list[types.Diagnostic]:
    uri = unique_uri("fixed.prompt")
    open_document(client, uri, text)
    found = await diagnostics_for(client, uri)
    close_document(client, uri)
    return found


CASES = [
    pytest.param(
        MENU,
        "unknown-placeholder",
        "Change to `menu_item`",
        "{{ menu_item }}",
        id="rename-placeholder",
    ),
    pytest.param(
        "---\nvars:\n  menu_item: Quiche\n  tone: |\n    warm\n    and kind\n---\n{{menu_item}}\n",
        "unused-variable",
        "Remove `tone`",
        "---\nvars:\n  menu_item: Quiche\n---\n",
        id="remove-unused",
    ),
    pytest.param(
        "---\ndescription: Menu\n---\nSuggestion: {{dish}}\n",
        "unknown-placeholder",
        "Add `dish` to `vars:`",
        "vars:\n  dish: TODO\n---",
        id="add-missing-creating-vars",
    ),
    pytest.param(
        "---\nvars:\n  tone: warm\n---\n{{tone}} {{dish}}\n",
        "unknown-placeholder",
        "Add `dish` to `vars:`",
        "vars:\n  dish: TODO\n  tone: warm\n",
        id="add-missing-to-vars",
    ),
    pytest.param(
        "---\nmethdo: grad_l2\nvars:\n  a: 1\n---\n{{a}}\n",
        "unknown-key",
        "Change to `method`",
        "\nmethod: grad_l2\n",
        id="rename-key",
    ),
    pytest.param(
        "---\nmethod: grad_l3\nvars:\n  a: 1\n---\n{{a}}\n",
        "invalid-setting",
        "Change to `grad_l2`",
        "\nmethod: grad_l2\n",
        id="replace-method",
    ),
    pytest.param(
        "---\ncases:\n  - name: one\n    vars:\n      a: 1\n  - name: two\n---\n{{a}}\n",
        "case-missing-variable",
        "Add `a` to this case's `vars:`",
        "  - name: two\n    vars:\n      a: TODO\n---",
        id="case-missing-variable",
    ),
    pytest.param(
        "---\r\nvars:\r\n  menu_item: Quiche \U0001f967\r\n---\r\nPlat \U0001f37d\ufe0f é: {{menu_itme}}\r\n",
        "unknown-placeholder",
        "Change to `menu_item`",
        "Plat \U0001f37d\ufe0f é: {{menu_item}}\r\n",
        id="rename-after-emoji-crlf",
    ),
    pytest.param(
        "---\r\ndescription: \U0001f967\r\n---\r\n\U0001f37d {{dish}}\r\n",
        "unknown-placeholder",
        "Add `dish` to `vars:`",
        "description: \U0001f967\r\nvars:\r\n  dish: TODO\r\n---\r\n",
        id="add-missing-crlf",
    ),
    pytest.param(
        "Suggestion: {{dish}}\n",
        "placeholder-without-front-matter",
        "Add a front-matter defining `dish`",
        "---\nvars:\n  dish: TODO\n---\nSuggestion: {{dish}}",
        id="raw-placeholder",
    ),
]


@pytest.mark.parametrize(("text", "code", "title", "expected"), CASES)
async def test_the_preferred_quick_fix_mends_its_diagnostic(
    editor: LanguageClient,  # noqa: F811
    text: str,
    code: str,
    title: str,
    expected: str,
) -> None:
    uri = unique_uri("fix.prompt")
    open_document(editor, uri, text, version=3)
    (diagnostic,) = [d for d in await diagnostics_for(editor, uri) if d.code == code]
    actions = await fixes_for(editor, uri, diagnostic)
    close_document(editor, uri)
    preferred = [a for a in actions if a.is_preferred]
    chosen = preferred[0] if preferred else actions[0]
    assert chosen.title == title
    assert len(preferred) <= 1
    assert list(chosen.diagnostics or ()) == [diagnostic]
    fixed = apply(text, the_edit(chosen, uri, 3))
    assert expected in fixed
    assert code not in [d.code for d in await diagnostics_after(editor, fixed)]


async def test_an_unknown_method_with_no_close_name_offers_each_method(
    editor: LanguageClient,  # noqa: F811
) -> None:
    text = "---\nmethod: zzzz\nvars:\n  a: 1\n---\n{{a}}\n"
    uri = unique_uri("method.prompt")
    open_document(editor, uri, text)
    (diagnostic,) = [d for d in await diagnostics_for(editor, uri) if d.code == "invalid-setting"]
    actions = await fixes_for(editor, uri, diagnostic)
    close_document(editor, uri)
    assert [a.title for a in actions] == [f"Change to `{cls.name}`" for cls in methods()]
    assert not any(a.is_preferred for a in actions)
    for action in actions:
        fixed = apply(text, the_edit(action, uri, 1))
        assert "invalid-setting" not in [d.code for d in await diagnostics_after(editor, fixed)]


async def test_a_diagnostic_of_an_older_version_gets_no_fix(
    editor: LanguageClient,  # noqa: F811
) -> None:
    uri = unique_uri("stale.prompt")
    open_document(editor, uri, MENU)
    found = await diagnostics_for(editor, uri)
    (diagnostic,) = [d for d in found if d.code == "unknown-placeholder"]
    assert await fixes_for(editor, uri, diagnostic)  # at its own version, it has fixes
    editor.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangeWholeDocument(text="\n" + MENU)],
        )
    )
    assert await fixes_for(editor, uri, diagnostic) == []
    close_document(editor, uri)


async def test_every_code_the_parser_gives_a_fix_is_documented() -> None:
    """docs/protocol.md lists each diagnostic code and whether it has a quick fix."""
    from lsp_helpers import ROOT

    protocol = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    for param in CASES:
        assert f"`{param.values[1]}`" in protocol
