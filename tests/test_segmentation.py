"""Segmentation at every granularity, token grouping and per-segment sums."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompt_salience.engine import segmentation
from prompt_salience.engine.segmentation import (
    DEFAULT_GRANULARITY,
    GRANULARITIES,
    check_granularity,
    group_tokens,
    segment_text,
    sum_by_segment,
)
from prompt_salience.errors import PromptSalienceError
from prompt_salience.prompt.source_map import SourceMapBuilder
from prompt_salience.results import CharSpan


def texts(text: str, granularity: str, prompt_length: int | None = None) -> list[str]:
    length = len(text) if prompt_length is None else prompt_length
    spans = segment_text(text, granularity, token_spans=[], prompt_length=length)
    return [text[s.start : s.end] for s in spans]


def test_default_is_words_as_in_lit() -> None:
    assert DEFAULT_GRANULARITY == "words"
    assert GRANULARITIES == ("tokens", "words", "sentences", "lines", "paragraphs", "variables")


def test_words_are_runs_of_non_whitespace() -> None:
    assert texts("  Crêpe\tSuzette 😀!\r\n  été ", "words") == ["Crêpe", "Suzette", "😀!", "été"]


def test_words_never_straddle_the_end_of_the_prompt() -> None:
    text = "Analysis:Avoid it"
    assert texts(text, "words", prompt_length=9) == ["Analysis:", "Avoid", "it"]


def test_sentences_end_at_punctuation_with_closing_quotes_and_at_line_breaks() -> None:
    text = 'He said "Stop." Then left! Why?  (Really.) ok\nNext line. Last\r\nCRLF line'
    assert texts(text, "sentences") == [
        'He said "Stop."',
        "Then left!",
        "Why?",
        "(Really.)",
        "ok",
        "Next line.",
        "Last",
        "CRLF line",
    ]


def test_sentence_end_needs_whitespace_after_it() -> None:
    assert texts("Version 1.5 is out.Really", "sentences") == ["Version 1.5 is out.Really"]


def test_lines_split_at_lf_crlf_and_cr() -> None:
    assert texts("a b \r\n\r\n  c\rd\n", "lines") == ["a b", "c", "d"]


def test_paragraphs_split_at_blank_lines() -> None:
    text = "one\ntwo\n \t\nthree\r\n\r\n\r\nfour\nfive\n"
    assert texts(text, "paragraphs") == ["one\ntwo", "three", "four\nfive"]


def test_custom_regex_separator() -> None:
    assert texts("a, b,,c ,", "regex:,+") == ["a", "b", "c"]
    assert texts("x\n\ny\nz", r"regex:\n+") == ["x", "y", "z"]


def test_tokens_are_segments_as_they_are() -> None:
    tokens = [CharSpan(0, 2), CharSpan(2, 5), CharSpan(5, 6)]
    spans = segment_text("Hi you\n", "tokens", token_spans=tokens, prompt_length=3)
    assert spans == tokens


def test_variables_granularity_uses_the_source_map() -> None:
    builder = SourceMapBuilder()
    builder.add("Likes: ", range(0, 7), "template")
    builder.add("Crème brûlée", range(30, 42), "variable", "food")
    builder.add("\nDislikes:\nnone\n", range(16, 32), "template")
    builder.add(" eggs ", range(50, 56), "variable", "bad")
    builder.add("\nAnalysis:", range(40, 50), "template")
    prompt, source_map = builder.build()
    text = prompt + " Tasty. Try it!\nYes"
    spans = segment_text(
        text, "variables", token_spans=[], source_map=source_map, prompt_length=len(prompt)
    )
    assert [text[s.start : s.end] for s in spans] == [
        "Likes:",
        "Crème brûlée",
        "Dislikes:",
        "none",
        "eggs",
        "Analysis:",
        "Tasty.",
        "Try it!",
        "Yes",
    ]


def test_variables_granularity_needs_a_source_map() -> None:
    with pytest.raises(PromptSalienceError, match="source map") as info:
        segment_text("x", "variables", token_spans=[], prompt_length=1)
    assert info.value.fix


def test_unknown_granularity_suggests_a_known_one() -> None:
    with pytest.raises(PromptSalienceError, match="Unknown granularity") as info:
        check_granularity("sentence")
    assert "`sentences`" in info.value.fix


def test_invalid_regex_gives_its_position() -> None:
    with pytest.raises(PromptSalienceError, match="Invalid separator regex") as info:
        check_granularity("regex:a(b")
    # "missing )" at position 3 of the pattern: column 4 of it, plus the 6 of "regex:".
    assert info.value.column == 10
    with pytest.raises(PromptSalienceError, match="empty"):
        check_granularity("regex:")


def test_runaway_regex_times_out_with_a_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segmentation, "REGEX_TIMEOUT_S", 0.05)
    text = "a" * 40 + "!"  # (a|aa)+$ backtracks through every way to split 40 a's
    with pytest.raises(PromptSalienceError, match="took over") as info:
        segment_text(text, "regex:(a|aa)+$", token_spans=[], prompt_length=len(text))
    assert "simpler" in info.value.fix


def test_group_tokens_by_first_non_whitespace_character() -> None:
    text = "Hello world.\n\nNext"
    segments = segment_text(text, "words", token_spans=[], prompt_length=len(text))
    tokens = [CharSpan(0, 5), CharSpan(5, 11), CharSpan(11, 12), CharSpan(12, 14), CharSpan(14, 18)]
    # " world" -> world; "." -> "world."; "\n\n" (whitespace) -> the segment before; "Next".
    assert group_tokens(segments, tokens) == [[0], [1, 2, 3], [4]]
    assert group_tokens(segments, tokens, text) == [[0], [1, 2, 3], [4]]


def test_group_tokens_whitespace_before_any_segment_goes_to_the_first() -> None:
    text = "  \nword"
    segments = [CharSpan(3, 7)]
    assert group_tokens(segments, [CharSpan(0, 3), CharSpan(3, 7)], text) == [[0, 1]]


def test_group_tokens_first_non_whitespace_char_outside_segments_goes_before() -> None:
    text = "a, b"
    segments = segment_text(text, "regex:,", token_spans=[], prompt_length=len(text))
    tokens = [CharSpan(0, 1), CharSpan(1, 4)]  # ", b" starts with the separator
    assert group_tokens(segments, tokens, text) == [[0, 1], []]
    # Without the text, the first character shared with a segment decides.
    assert group_tokens(segments, tokens) == [[0], [1]]


def test_group_tokens_at_token_granularity_is_one_token_each() -> None:
    tokens = [CharSpan(0, 0), CharSpan(0, 2), CharSpan(2, 3), CharSpan(3, 5)]
    text = "Hi\nyo"
    segments = segment_text(text, "tokens", token_spans=tokens, prompt_length=2)
    assert group_tokens(segments, tokens, text) == [[0], [1], [2], [3]]


def test_group_tokens_without_segments() -> None:
    assert group_tokens([], [CharSpan(0, 1)]) == []


def test_sum_by_segment() -> None:
    assert sum_by_segment([0.5, -1.0, 2.0, 0.25], [[0, 1], [], [2, 3]]) == [-0.5, 0.0, 2.25]


# --- properties -----------------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    [*"ab .!?\"')\t\n\r,", "\r\n", "é", "😀", "  ", "\u00a0", "\u2028", "Z"]
)
_texts = st.lists(_ALPHABET, max_size=60).map("".join)
_granularities = st.sampled_from(
    [g for g in GRANULARITIES if g != "tokens"] + [r"regex:\n+", "regex:[,.]"]
)


def _random_tokens(text: str, cuts: list[int]) -> list[CharSpan]:
    points = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    return [CharSpan(a, b) for a, b in itertools.pairwise(points)]


def _random_source_map(text: str, cuts: list[int]) -> SourceMapBuilder:
    builder = SourceMapBuilder()
    points = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    for number, (a, b) in enumerate(itertools.pairwise(points)):
        variable = f"v{number}" if number % 2 else None
        builder.add(text[a:b], range(a, b), "variable" if variable else "template", variable)
    return builder


@settings(max_examples=150, deadline=None)
@given(
    _texts,
    _granularities,
    st.integers(min_value=0, max_value=70),
    st.lists(st.integers(0, 80), max_size=12),
)
def test_segments_are_ordered_disjoint_trimmed_and_tokens_grouped_once(
    text: str, granularity: str, prompt_length: int, cuts: list[int]
) -> None:
    prompt_length = min(prompt_length, len(text))
    _, source_map = _random_source_map(text[:prompt_length], cuts).build()
    tokens = _random_tokens(text, cuts)
    spans = segment_text(
        text, granularity, token_spans=tokens, source_map=source_map, prompt_length=prompt_length
    )
    previous_end = 0
    for span in spans:
        assert previous_end <= span.start < span.end <= len(text)
        piece = text[span.start : span.end]
        assert piece == piece.strip()
        assert span.end <= prompt_length or span.start >= prompt_length
        previous_end = span.end
    # Nothing but whitespace (and custom separators) is left out of the segments.
    if not granularity.startswith("regex:"):
        covered = {i for s in spans for i in range(s.start, s.end)}
        assert all(text[i].isspace() for i in range(len(text)) if i not in covered)
    for with_text in (None, text):
        groups = group_tokens(spans, tokens, with_text)
        flat = sorted(i for group in groups for i in group)
        assert flat == (list(range(len(tokens))) if spans else [])
        scores = sum_by_segment([1.0] * len(tokens), groups)
        assert sum(scores) == (len(tokens) if spans else 0)


@given(_texts, st.lists(st.integers(0, 80), max_size=12))
def test_token_segments_group_each_token_alone(text: str, cuts: list[int]) -> None:
    tokens = _random_tokens(text, cuts)
    spans = segment_text(text, "tokens", token_spans=tokens, prompt_length=len(text))
    assert group_tokens(spans, tokens, text) == [[i] for i in range(len(tokens))]
