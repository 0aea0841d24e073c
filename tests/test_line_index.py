"""The one line index: line starts, offset -> line/column, line ends, and who builds on it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prompt_salience.engine.segmentation import segment_text
from prompt_salience.lsp.positions import UTF16, PositionIndex
from prompt_salience.prompt.datasets import load_dataset
from prompt_salience.prompt.line_index import LineIndex, line_column

TEXT = "ab\r\ncd\ref\n\ngh"


def test_lines_end_at_crlf_cr_and_lf() -> None:
    index = LineIndex(TEXT)
    assert index.line_starts == [0, 4, 7, 10, 11]
    assert index.line_count == 5
    assert [TEXT[start:end] for start, end in index.line_spans()] == ["ab", "cd", "ef", "", "gh"]
    assert [index.line_end(line) for line in range(5)] == [2, 6, 9, 10, 13]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1c"])
def test_other_unicode_breaks_do_not_end_lines(separator: str) -> None:
    # str.splitlines would split at these; editors and LSP do not.
    index = LineIndex(f"a{separator}b")
    assert index.line_count == 1
    assert index.line_column(2) == (1, 3)


def test_line_of_and_line_column() -> None:
    index = LineIndex(TEXT)
    assert [index.line_column(TEXT.index(c)) for c in "acegh"] == [
        (1, 1),
        (2, 1),
        (3, 1),
        (5, 1),
        (5, 2),
    ]
    assert index.line_of(TEXT.index("\r\n") + 1) == 0  # between \r and \n: the line it ends
    assert index.line_column(-5) == (1, 1)  # clamped into the text
    assert index.line_column(999) == (5, 3)
    assert line_column(TEXT, TEXT.index("d")) == (2, 2)


_texts = st.lists(
    st.sampled_from(["a", "é", "😀", " ", "\r", "\n", "\r\n", "\u2028"]), max_size=30
).map("".join)


@given(_texts)
def test_lines_and_breaks_rebuild_the_text(text: str) -> None:
    index = LineIndex(text)
    spans = list(index.line_spans())
    rebuilt = ""
    for line, (start, end) in enumerate(spans):
        line_break = text[end : index.line_starts[line + 1]] if line + 1 < len(spans) else ""
        assert line_break in ("\r\n", "\r", "\n", "")
        assert "\r" not in text[start:end]
        assert "\n" not in text[start:end]
        rebuilt += text[start:end] + line_break
    assert rebuilt == text
    for offset in range(len(text) + 1):
        line = index.line_of(offset)
        assert index.line_starts[line] <= offset
        assert index.line_column(offset) == (line + 1, offset - index.line_starts[line] + 1)


@given(_texts)
def test_positions_segments_and_datasets_share_the_lines(text: str) -> None:
    index = LineIndex(text)
    lines = [text[start:end] for start, end in index.line_spans()]
    positions = PositionIndex(text, UTF16)
    assert positions.line_starts == index.line_starts
    assert [positions.position_at(s).line for s in index.line_starts] == list(range(len(lines)))
    segments = segment_text(text, "lines", token_spans=[], prompt_length=len(text))
    assert [text[s.start : s.end] for s in segments] == [ln.strip() for ln in lines if ln.strip()]


def test_dataset_records_are_numbered_by_the_shared_lines() -> None:
    text = '{"prompt": "a"}\r\n\r{"prompt": "b"}\n\n{"prompt": "c"}'
    assert [r.line for r in load_dataset(text)] == [0, 2, 4]
