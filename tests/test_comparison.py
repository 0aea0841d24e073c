"""Comparing two runs without a model: the alignment of prompt segments, the shares, the deltas,
and the comparison's JSON, terminal and HTML views on synthetic results. The real model's story
is in test_compare_story.py."""

from __future__ import annotations

import io
import json
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from prompt_salience.engine.case_run import RunSettings
from prompt_salience.engine.comparison import (
    align_segments,
    check_comparable,
    check_comparable_settings,
    prompt_segments,
)
from prompt_salience.errors import PromptSalienceError
from prompt_salience.report.comparison_html import comparison_html
from prompt_salience.report.comparison_layout import describe_delta, share_movers, word_diff
from prompt_salience.report.comparison_terminal import render_comparison
from prompt_salience.report.json_export import comparison_to_json
from prompt_salience.results import (
    AlignedSegment,
    CharSpan,
    Comparison,
    CrossScores,
    SalienceResult,
    ScoredSegment,
)

MISTAKE = [
    "Analyze a menu item.",
    "Suggestion: Onion soup",
    "Analysis: it has cooked onions in it.",
    "Recommendation: You have to try it.",
    "Suggestion: Quiche",
    "Analysis:",
]


def make_result(
    lines: list[str],
    scores: list[float],
    response: str = " Avoid.",
    *,
    signed: bool = False,
    granularity: str = "lines",
) -> SalienceResult:
    """One segment per prompt line with the given scores, and the response as one segment."""
    prompt = "\n".join(lines) + "\n"
    segments, offset = [], 0
    for line, score in zip(lines, scores, strict=True):
        segments.append(ScoredSegment(offset, offset + len(line), line, score))
        offset += len(line) + 1
    text = prompt + response
    start = len(prompt) + len(response) - len(response.lstrip())
    segments.append(ScoredSegment(start, len(text), text[start:], 0.0))
    return SalienceResult(
        model="tiny",
        method="grad_dot_input" if signed else "grad_l2",
        granularity=granularity,
        signed=signed,
        prompt=prompt,
        response=response,
        response_is_generated=True,
        span=CharSpan(start, len(text)),
        segments=tuple(segments),
        token_spans=tuple(CharSpan(s.start, s.end) for s in segments),
        token_scores=tuple(s.score for s in segments),
        span_logprob=-1.5,
    )


def _scores(n: int, seed: int) -> list[float]:
    return [((i * 7919 + seed * 104729) % 13 + 1) / 4.0 for i in range(n)]


def _statuses(aligned: tuple[AlignedSegment, ...]) -> list[str]:
    return [s.status for s in aligned]


# ---------------------------------------------------------------- alignment


def test_identical_prompts_are_all_same_and_their_share_changes_sum_to_zero() -> None:
    a = make_result(MISTAKE, _scores(len(MISTAKE), 1))
    b = make_result(MISTAKE, _scores(len(MISTAKE), 2))
    aligned = align_segments(a, b)
    assert _statuses(aligned) == ["same"] * len(MISTAKE)
    changes = [s.share_change for s in aligned]
    assert all(c is not None for c in changes)
    assert any(c != 0 for c in changes)  # the scores differ, so the shares do
    assert sum(c for c in changes if c is not None) == pytest.approx(0.0, abs=1e-12)
    for side in ("share_a", "share_b"):
        assert sum(getattr(s, side) for s in aligned) == pytest.approx(1.0)


def test_an_inserted_line_is_added_and_the_others_keep_their_own_offsets() -> None:
    principle = "* Be clear about dietary restrictions."
    fixed = [MISTAKE[0], principle, *MISTAKE[1:]]
    a, b = make_result(MISTAKE, _scores(6, 1)), make_result(fixed, _scores(7, 2))
    aligned = align_segments(a, b)
    assert _statuses(aligned) == ["same", "added", "same", "same", "same", "same", "same"]
    added = aligned[1]
    assert added.a is None
    assert added.share_a is None
    assert added.share_change is None
    assert added.b is not None
    assert b.prompt[added.b.start : added.b.end] == principle
    assert added.share_b == pytest.approx(abs(added.b.score) / sum(abs(x) for x in _scores(7, 2)))
    for pair in aligned:  # each side's offsets index its own prompt
        if pair.a is not None:
            assert a.prompt[pair.a.start : pair.a.end] == pair.a.text
        if pair.b is not None:
            assert b.prompt[pair.b.start : pair.b.end] == pair.b.text


def test_an_edited_line_is_changed_with_no_share_change() -> None:
    fixed = [*MISTAKE[:3], "Recommendation: Avoid.", *MISTAKE[4:]]
    aligned = align_segments(make_result(MISTAKE, _scores(6, 1)), make_result(fixed, _scores(6, 3)))
    assert _statuses(aligned) == ["same", "same", "same", "changed", "same", "same"]
    changed = aligned[3]
    assert changed.a is not None
    assert changed.b is not None
    assert (changed.a.text, changed.b.text) == (MISTAKE[3], "Recommendation: Avoid.")
    assert changed.share_a is not None
    assert changed.share_b is not None
    assert changed.share_change is None


def test_an_uneven_replacement_pairs_in_order_and_a_deleted_line_is_removed() -> None:
    edited = [MISTAKE[0], "Suggestion: Soup", "Note one.", "Note two.", *MISTAKE[3:5]]
    aligned = align_segments(
        make_result(MISTAKE, _scores(6, 1)), make_result(edited, _scores(6, 1))
    )
    assert _statuses(aligned) == ["same", "changed", "changed", "added", "same", "same", "removed"]
    assert [(s.a.text if s.a else None, s.b.text if s.b else None) for s in aligned[1:4]] == [
        (MISTAKE[1], "Suggestion: Soup"),
        (MISTAKE[2], "Note one."),
        (None, "Note two."),
    ]
    assert aligned[-1].a is not None
    assert aligned[-1].a.text == "Analysis:"


def test_long_few_shot_prompts_with_repeated_lines_still_align() -> None:
    """Hundreds of repeated example lines: difflib's autojunk would treat them as junk (popular
    items in sequences of 200+) and misalign; the alignment turns it off."""
    example = ["Taste-likes: sweet", "Suggestion: Macaron", "Recommendation: Try it."]
    lines = example * 80
    edited = list(lines)
    edited[100] = "Recommendation: Avoid."
    aligned = align_segments(
        make_result(lines, _scores(len(lines), 1)), make_result(edited, _scores(len(lines), 2))
    )
    assert _statuses(aligned).count("same") == len(lines) - 1
    assert [i for i, s in enumerate(aligned) if s.status == "changed"] == [100]


def test_only_prompt_segments_are_aligned_and_shares_use_magnitudes() -> None:
    signed = make_result(MISTAKE, [1.0, -3.0, 0.5, -0.5, 0.0, 1.0], signed=True)
    assert len(prompt_segments(signed)) == len(MISTAKE)  # the response segment is left out
    aligned = align_segments(signed, signed)
    assert len(aligned) == len(MISTAKE)
    assert [s.share_a for s in aligned] == pytest.approx([1 / 6, 3 / 6, 0.5 / 6, 0.5 / 6, 0, 1 / 6])


def test_all_zero_scores_give_zero_shares_not_a_division_error() -> None:
    zero = make_result(MISTAKE, [0.0] * 6)
    assert {s.share_a for s in align_segments(zero, zero)} == {0.0}


# ---------------------------------------------------------------- checks and deltas


def test_results_with_different_granularities_or_methods_are_refused() -> None:
    a = make_result(MISTAKE, _scores(6, 1))
    with pytest.raises(PromptSalienceError, match=r"granularity 'lines'.*'words'"):
        check_comparable(a, make_result(MISTAKE, _scores(6, 1), granularity="words"))
    with pytest.raises(PromptSalienceError, match=r"method 'grad_l2'.*'grad_dot_input'"):
        check_comparable(a, make_result(MISTAKE, _scores(6, 1), signed=True))


def test_settings_on_different_models_are_refused_before_any_load() -> None:
    base = RunSettings()
    check_comparable_settings(base, RunSettings(model="embedded"))  # two names, one model
    with pytest.raises(PromptSalienceError) as caught:
        check_comparable_settings(base, RunSettings(model="gemma2_instruct_2b_en"))
    assert "'gemma3_270m'" in caught.value.problem
    assert "'gemma2_instruct_2b_en'" in caught.value.problem
    assert "--model" in caught.value.fix
    with pytest.raises(PromptSalienceError, match="precision"):
        check_comparable_settings(base, RunSettings(precision="bfloat16"))
    with pytest.raises(PromptSalienceError, match="granularity"):
        check_comparable_settings(base, RunSettings(granularity="lines"))


def test_deltas_are_b_minus_a_for_both_answers() -> None:
    cross = CrossScores(a_under_a=-1.5, a_under_b=-5.3, b_under_a=-7.2, b_under_b=-1.2)
    assert cross.delta_a == pytest.approx(-3.8)
    assert cross.delta_b == pytest.approx(6.0)


@pytest.mark.parametrize(
    ("delta", "phrase"),
    [
        (-math.log(43), "is 43x less likely than after"),
        (math.log(2.5), "is 2.5x more likely than after"),
        (0.05, "is about as likely as after"),
        (-0.05, "is about as likely as after"),
    ],
)
def test_a_delta_reads_as_a_factor(delta: float, phrase: str) -> None:
    sentence = describe_delta(delta, "A's answer", "A's prompt", "B's prompt")
    assert sentence.startswith("After B's prompt, A's answer ")
    assert phrase in sentence


_TEXT = st.text(alphabet=st.sampled_from("ab \n."), max_size=30)


@given(_TEXT, _TEXT)
def test_the_word_diff_gives_both_texts_back(a: str, b: str) -> None:
    pieces = word_diff(a, b)
    assert "".join(p.text for p in pieces if p.kind != "added") == a
    assert "".join(p.text for p in pieces if p.kind != "removed") == b


# ---------------------------------------------------------------- the views


def _comparison(prompt_b: list[str] | None = None) -> Comparison:
    fixed = prompt_b or [
        MISTAKE[0],
        "* Be <clear> & brief.",
        *MISTAKE[1:3],
        "Recommendation: Avoid.",
        *MISTAKE[4:],
    ]
    a = make_result(MISTAKE, _scores(6, 1), " You have to try it.")
    b = make_result(fixed, _scores(len(fixed), 2), " Avoid <now>.")
    cross = CrossScores(a_under_a=-1.5, a_under_b=-5.3, b_under_a=-7.2, b_under_b=-1.2)
    return Comparison(a, b, "a.prompt · case q", "b.prompt · case q", cross, align_segments(a, b))


def test_the_json_has_the_issue_shape_and_is_strict_json() -> None:
    comparison = _comparison()
    document = comparison_to_json(
        comparison, extras=({"case": "q", "file": "a.prompt"}, {"case": "q", "file": "b.prompt"})
    )
    assert json.loads(json.dumps(document, allow_nan=False)) == document
    assert set(document) == {"a", "b", "cross", "delta_logprob", "segments"}
    a, b = document["a"], document["b"]
    assert isinstance(a, dict)
    assert isinstance(b, dict)
    assert a["target"]["logprob"] == -1.5
    assert (a["file"], b["file"]) == ("a.prompt", "b.prompt")
    assert document["delta_logprob"] == {
        "a_target": pytest.approx(-3.8),
        "b_target": pytest.approx(6.0),
    }
    cross = document["cross"]
    assert isinstance(cross, dict)
    assert cross["a_target_under_b"] == -5.3
    assert cross["b_target_under_a"] == -7.2
    segments = document["segments"]
    assert isinstance(segments, list)
    assert [s["status"] for s in segments] == [
        "same",
        "added",
        "same",
        "same",
        "changed",
        "same",
        "same",
    ]
    for segment in segments:
        assert set(segment) == {"status", "a", "b", "share_change"}
        assert (segment["share_change"] is None) == (segment["status"] != "same")
        for side, result in (("a", a), ("b", b)):
            if segment[side] is not None:
                part = segment[side]
                assert set(part) == {"start", "end", "text", "score", "share"}
                assert str(result["prompt"])[part["start"] : part["end"]] == part["text"]
    assert segments[1]["a"] is None


def test_the_terminal_shows_the_diff_the_deltas_and_the_moves_without_colour() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, no_color=True, width=200)
    render_comparison(_comparison(), console, top=3, lines=(lambda o: 10 + o // 40, lambda o: 1))
    output = buffer.getvalue()
    assert "[-You have to try it.-]{+Avoid <now>.+}" in output
    assert "After B's prompt, A's answer is 45x less likely than after A's prompt." in output
    assert "After B's prompt, B's answer is 403x more likely than after A's prompt." in output
    assert "Shared segments that gained most share" in output
    assert "Shared segments that lost most share" in output
    assert re.search(r"added\s.*\* Be <clear> & brief\. \(\d+\.\d%, score [\d.]+, line 1\)", output)
    assert re.search(r"changed\s.*Recommendation: You have to try it\.", output)


def test_share_movers_rank_by_change_and_leave_out_what_did_not_move() -> None:
    comparison = _comparison()
    gained, lost = share_movers(comparison, 10)
    changes = [s.share_change for s in gained]
    assert changes == sorted(changes, reverse=True)  # type: ignore[type-var]
    assert all(c is not None and c > 0 for c in changes)
    assert all(s.share_change is not None and s.share_change < 0 for s in lost)
    same = [s for s in comparison.segments if s.status == "same" and s.share_change != 0]
    assert len(gained) + len(lost) == len(same)
    assert share_movers(comparison, 1)[0] == gained[:1]


def test_the_html_is_self_contained_escaped_and_has_both_heatmaps() -> None:
    page = comparison_html(_comparison(), title="Compare <a> & <b>")
    assert "<title>Compare &lt;a&gt; &amp; &lt;b&gt;</title>" in page
    assert "<clear>" not in page
    assert "Avoid <now>" not in page
    assert "* Be &lt;clear&gt; &amp; brief." in page
    assert "<ins" in page
    assert "<del" in page
    assert page.count('<div class="sides">') == 1
    assert page.count("<h3>The prompt</h3>") == 2  # A's heatmap and B's
    assert "After B&#x27;s prompt, A&#x27;s answer is 45x less likely" in page
    assert "only in B (added)" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?!#)""", page)  # nothing fetched or linked
    assert "@import" not in page
    assert "url(" not in page
