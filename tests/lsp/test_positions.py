"""UTF-16 positions and moving results through edits: the server's pure parts, no process."""

from __future__ import annotations

import pytest
from lsp_helpers import position_of
from lsprotocol.types import Position, Range, TextDocumentContentChangePartial

from prompt_salience.engine.case_run import RunSettings, prepare_prompt
from prompt_salience.lsp.explanations import Explanation, dependency_extents
from prompt_salience.lsp.open_documents import OpenDocument
from prompt_salience.lsp.positions import UTF8, UTF32, PositionIndex, TextUnits
from prompt_salience.models.model_spec import parse_model_spec
from prompt_salience.prompt.documents import parse_document

TEXT = "héllo 🎉 wörld\r\nsecond 😀 line\rthird\n"


@pytest.mark.parametrize("offset", range(len(TEXT) + 1))
def test_offsets_and_positions_round_trip(offset: int) -> None:
    index = PositionIndex(TEXT)
    position = index.position_at(offset)
    if TEXT[offset - 1 : offset + 1] == "\r\n":  # between \r and \n: the line's end
        assert position == index.position_at(offset - 1)
        return
    assert position == position_of(TEXT, offset)
    assert index.offset_at(position) == offset


def test_positions_count_utf16_units() -> None:
    index = PositionIndex(TEXT)
    assert index.position_at(TEXT.index("wörld")) == Position(0, 9)  # 🎉 is 2 units
    assert index.offset_at(Position(0, 7)) == TEXT.index("🎉")  # inside the emoji: its start
    assert index.line_count == 4


def test_out_of_range_positions_are_clamped() -> None:
    index = PositionIndex(TEXT)
    assert index.offset_at(Position(0, 999)) == TEXT.index("\r\n")
    assert index.offset_at(Position(99, 0)) == len(TEXT)


def test_other_encodings() -> None:
    assert PositionIndex(TEXT, UTF8).position_at(TEXT.index("wörld")) == Position(0, 12)
    assert PositionIndex(TEXT, UTF32).position_at(TEXT.index("wörld")) == Position(0, 8)


def test_text_units() -> None:
    units = TextUnits("a🎉b")
    assert units.length == 4
    assert [units.to_units(i) for i in range(4)] == [0, 1, 3, 4]
    assert [units.to_offset(u) for u in range(5)] == [0, 1, 1, 2, 3]


PROMPT = """---
description: about food
vars:
  dish: Crêpe 🎉
---
Suggestion: {{dish}}
Analysis:
"""


def _document_with_run() -> tuple[OpenDocument, Explanation]:
    document = OpenDocument("file:///t/menu.prompt", PROMPT, 1)
    parsed = parse_document(PROMPT, "menu.prompt")
    spec = parse_model_spec("gemma3_270m")
    prepared = prepare_prompt(parsed, None, chat_setting="auto", spec=spec)
    case = parsed.case(None)
    extents = dependency_extents(parsed, case, prepared.source_map, (0, 0))
    explanation = Explanation(case.name, prepared, extents, RunSettings(), spec, 1)
    document.explanations[case.name] = explanation
    return document, explanation


def _edit(document: OpenDocument, start: int, end: int, new: str) -> list[str]:
    index = document.index
    change = TextDocumentContentChangePartial(
        range=Range(index.position_at(start), index.position_at(end)), text=new
    )
    return document.apply_changes([change], document.version + 1)


def test_an_edit_elsewhere_moves_the_result() -> None:
    document, explanation = _document_with_run()
    at = PROMPT.index("about")
    assert _edit(document, at, at, "all 🍰 ") == []
    value = document.text.index("Crêpe")
    assert explanation.file_map.file_ranges(12, 19) == [(value, value + 7)]
    parse, dropped, moved = document.parse(
        lambda d, e: prepare_prompt(d, e.case, chat_setting="auto", spec=e.spec)
    )
    assert parse.document is not None
    assert dropped == []
    assert moved == ["default"]  # the client is told to fetch the moved ranges
    assert "default" in document.explanations
    # Said once per edit: a second parse of the same revision reports nothing new.
    assert document.parse(lambda d, e: prepare_prompt(d, e.case, chat_setting="auto", spec=e.spec))[
        1:
    ] == ([], [])


@pytest.mark.parametrize("target", ["Crêpe", "Suggestion", "Analysis:\n"])
def test_an_edit_in_the_prompt_drops_the_result(target: str) -> None:
    document, explanation = _document_with_run()
    at = PROMPT.index(target) + 1
    assert _edit(document, at, at, "x") == ["default"]
    assert explanation.dropped
    assert document.explanations == {}


def test_an_edit_that_renders_differently_is_caught_after_the_parse() -> None:
    document, _ = _document_with_run()
    at = PROMPT.index("dish:")  # rename the variable: its value is not touched
    assert _edit(document, at, at + 4, "food") == []
    _, dropped, moved = document.parse(
        lambda d, e: prepare_prompt(d, e.case, chat_setting="auto", spec=e.spec)
    )
    assert dropped == ["default"]
    assert moved == []
