"""The real embedded Gemma 3 270M, loaded once (conftest's `real_model`): the conversion is right,
the tokenizer's offsets are exact, generation is deterministic, and the LIT codelab's story holds.

Salience maths (finite differences, padding, completeness) is proved on tiny random models in
test_salience_maths.py; here every assertion is about behaviour a user sees on the real model.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prompt_salience.engine import explainer as explain_module
from prompt_salience.engine.case_run import PreparedPrompt, RunSettings, prepare_prompt, run_case
from prompt_salience.engine.explainer import Explainer, Generation
from prompt_salience.engine.span_selection import find_span
from prompt_salience.errors import SpanError
from prompt_salience.models.model_spec import parse_model_spec
from prompt_salience.prompt.documents import read_document
from prompt_salience.prompt.parsed_prompt import PromptFile
from prompt_salience.results import CharSpan, SalienceResult
from prompt_salience.salience.objective import SpanObjective

pytestmark = pytest.mark.model

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
SPEC = parse_model_spec("gemma3_270m")
CASE = "quiche-lorraine"

PARAGRAPH = (
    "The old library stood at the corner of the market square. Every morning, the librarian "
    "opened the heavy wooden doors and switched on the lights in the reading room. Children "
    "came after school to borrow picture books, and their parents looked for novels, cookbooks "
    "and maps. On rainy afternoons the room was full, and the only sound was the turning of "
    "pages."
)
CHAT = "<start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n"
CHAT_IDS = [105, 2364, 107, 2202, 106, 107, 105, 4368, 107]

# Text the tokenizer must map back to exact character offsets.
AWKWARD_TEXTS = [
    "Crème brûlée, naïve café, déjà vu: ça coûte 5 € (Œuvre, ÅSA, São Paulo, Łódź).",
    "Decomposed: e\u0301te\u0301, n\u0303; precomposed: été, ñ.",
    "Emoji: 👩\u200d🍳 bakes 🍰🥐 in 🇫🇷! Rare: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0001fae0 \U0001f9ff.",
    "Windows lines\r\nsecond line\r\n\r\nafter a blank line\r\nlone CR\rend\r\n",
    "col1\tcol2\t\tcol3\n\tindented\t\n\t\t",
    "runs   of    spaces     here\n\n\n   leading and trailing   ",
    "日本語のテキストと中文文本，한국어 텍스트。",
    "Odd bytes: \x0b\x0c\u2028\u00a0nbsp\ufeff and \x00 NUL, <unk> and <0x41> as text.",
    " ",
    "",
]
_BYTE_PIECE = re.compile(r"<0x([0-9A-F]{2})>")


def _document(name: str) -> PromptFile:
    return read_document(PROMPTS / f"{name}.prompt")


def _prepared(name: str, case: str | None = CASE) -> tuple[PreparedPrompt, RunSettings]:
    document = _document(name)
    prepared = prepare_prompt(document, case, chat_setting="auto", spec=SPEC)
    return prepared, RunSettings().merged_with(document.settings, {})


@pytest.fixture(scope="module")
def explainer(real_model: Any) -> Explainer:
    return Explainer(real_model)


@pytest.fixture(scope="module")
def mistake(explainer: Explainer) -> Generation:
    """The codelab's prompt with the copy-paste mistake, answered by the model."""
    prepared, run = _prepared("menu-fewshot-mistake")
    return explainer.generate(prepared.text, run.max_new_tokens, source_map=prepared.source_map)


@pytest.fixture(scope="module")
def fixed(explainer: Explainer) -> Generation:
    prepared, run = _prepared("menu-fewshot-fixed")
    return explainer.generate(prepared.text, run.max_new_tokens, source_map=prepared.source_map)


@pytest.fixture(scope="module")
def recommendation(mistake: Generation) -> CharSpan:
    """The response's Recommendation line: the span the prompt file explains by default."""
    _, run = _prepared("menu-fewshot-mistake")
    return find_span(mistake.response, run.explain)


@pytest.fixture(scope="module")
def grad_l2(explainer: Explainer, mistake: Generation, recommendation: CharSpan) -> SalienceResult:
    return explainer.explain(mistake, recommendation, method="grad_l2", granularity="sentences")


@pytest.fixture(scope="module")
def what_if(real_model: Any) -> tuple[SalienceResult, Explainer]:
    """prompts/what-if-target.prompt run as the CLI runs it; generation must not happen."""
    prepared, run = _prepared("what-if-target", None)
    explainer = Explainer(real_model)

    def no_generation(*args: object, **kwargs: object) -> list[int]:
        raise AssertionError("a what-if target must be explained without generating")

    real_model.generate, saved = no_generation, real_model.generate
    try:
        result = run_case(explainer, prepared, run).result
    finally:
        real_model.generate = saved
    return result, explainer


# --- helpers --------------------------------------------------------------------------------------


def _scores(result: SalienceResult) -> np.ndarray:
    return np.asarray([s.score for s in result.segments], np.float64)


def _rank(result: SalienceResult, start: int, end: int) -> int:
    """0-based rank, by |score|, of the segment [start, end) of prompt + response."""
    ordered = sorted(result.segments, key=lambda s: -abs(s.score))
    return next(i for i, s in enumerate(ordered) if (s.start, s.end) == (start, end))


def _expected_segment_sums(result: SalienceResult) -> list[float]:
    """The documented rule, written out independently of the engine: a token counts for the
    segment holding its first non-whitespace character; a whitespace-only token (or one whose
    first character lies in no segment) for the nearest segment before it, else the first."""
    text = result.text
    sums = [0.0] * len(result.segments)
    for span, score in zip(result.token_spans, result.token_scores, strict=True):
        anchor = next((p for p in range(span.start, span.end) if not text[p].isspace()), span.start)
        before = [i for i, s in enumerate(result.segments) if s.start <= anchor]
        sums[before[-1] if before else 0] += score
    return sums


def _assert_result_is_sane(result: SalienceResult) -> None:
    """Finite, non-trivial, consistent offsets, nothing scored at or after the span."""
    scores = _scores(result)
    assert np.all(np.isfinite(scores))
    assert np.all(np.isfinite(result.token_scores))
    assert np.any(scores != 0.0), "every segment scored 0"
    assert len(np.unique(scores[scores != 0.0])) > 1, "all non-zero scores are equal"
    for segment in result.segments:
        assert result.text[segment.start : segment.end] == segment.text
        if segment.start >= result.span.start:
            assert segment.score == 0.0, f"{segment.text!r} is at or after the span"
    for span, score in zip(result.token_spans, result.token_scores, strict=True):
        if span.start >= result.span.start:
            assert score == 0.0


def _check_offsets(tokenizer: Any, text: str) -> None:
    encoded = tokenizer.encode(text)
    spans = encoded.spans
    assert len(spans) == len(encoded.ids)
    # The spans tile the text: in order, no gap, no overlap.
    position = 0
    for span in spans:
        assert span.start == position, (text, spans)
        position = span.end
    assert position == len(text)
    # Each token's characters are exactly its piece (byte-fallback runs: their UTF-8 bytes).
    i = 0
    while i < len(spans):
        piece = tokenizer.piece(encoded.ids[i])
        if _BYTE_PIECE.fullmatch(piece) is None:
            assert text[spans[i].start : spans[i].end] == piece.replace("▁", " "), (text, i)
            i += 1
            continue
        j, data = i, bytearray()
        while j < len(spans) and (match := _BYTE_PIECE.fullmatch(tokenizer.piece(encoded.ids[j]))):
            data.append(int(match.group(1), 16))
            j += 1
        assert text[spans[i].start : spans[j - 1].end] == data.decode("utf-8"), (text, i)
        i = j
    # Decoding gives the text back, with spans that tile it as well.
    decoded = tokenizer.decode(encoded.ids)
    assert decoded.text == text
    assert [s.start for s in decoded.spans] == [s.start for s in spans]
    assert [s.end for s in decoded.spans] == [s.end for s in spans]


# --- the conversion and the tokenizer --------------------------------------------------------------


def test_converted_model_predicts_english_far_better_than_uniform(real_model: Any) -> None:
    tokenizer = real_model.tokenizer
    ids = [tokenizer.bos_id, *tokenizer.encode(PARAGRAPH).ids]
    objective = SpanObjective(real_model, ids, 1, len(ids))  # every token after BOS
    logprob = objective.values(objective.embeddings[None], np.ones((1, len(ids)), np.int32))[0]
    mean_nll = -logprob / (len(ids) - 1)
    uniform = math.log(tokenizer.vocabulary_size)
    assert tokenizer.vocabulary_size == 262144
    # A broken conversion (e.g. RMSNorm scales not shifted by 1) gives ~20 nats, worse than
    # uniform (12.5); the real model is a few nats at most on plain English.
    assert 0.0 < mean_nll < 4.0 < uniform


def test_chat_markers_have_gemmas_token_ids(real_model: Any) -> None:
    tokenizer = real_model.tokenizer
    assert list(tokenizer.encode(CHAT).ids) == CHAT_IDS
    assert (tokenizer.bos_id, tokenizer.eos_id) == (2, 1)
    assert set(tokenizer.stop_ids) == {1, 106}  # end of sequence, <end_of_turn>


@pytest.mark.parametrize("text", AWKWARD_TEXTS)
def test_token_offsets_are_exact_on_awkward_text(real_model: Any, text: str) -> None:
    _check_offsets(real_model.tokenizer, text)


# U+2581 is left out: SentencePiece reads it as its own space marker, so it decodes as " ".
_ALPHABET = st.characters(
    exclude_categories=("Cs",), exclude_characters="\u2581", max_codepoint=0x1FAFF
) | st.sampled_from(["\r\n", "\t", "   ", "👩\u200d🍳", "e\u0301", "\u00a0", "é", "€", " "])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=30).map("".join))
def test_token_offsets_are_exact_on_any_text(real_model: Any, text: str) -> None:
    _check_offsets(real_model.tokenizer, text)


# --- generation ---------------------------------------------------------------------------------


def test_generation_is_deterministic(explainer: Explainer, mistake: Generation) -> None:
    prepared, run = _prepared("menu-fewshot-mistake")
    again = explainer.generate(prepared.text, run.max_new_tokens, source_map=prepared.source_map)
    assert again.token_ids == mistake.token_ids
    assert again.response == mistake.response
    assert mistake.generated
    assert mistake.response.strip()


def test_codelab_story_the_mistake_is_copied_and_the_fix_changes_the_answer(
    mistake: Generation, fixed: Generation
) -> None:
    # The mistake prompt's first example recommends "You have to try it." for a dish the person
    # dislikes; the model copies that recommendation. With the example fixed, it says Avoid.
    assert "Recommendation: You have to try it." in mistake.response
    assert "Recommendation: Avoid" in fixed.response
    assert "Avoid" not in mistake.response


# --- salience on the codelab's prompt -------------------------------------------------------------


def test_grad_l2_salience_of_the_recommendation_is_finite_and_non_trivial(
    grad_l2: SalienceResult, recommendation: CharSpan, mistake: Generation
) -> None:
    assert grad_l2.span_text.startswith("Recommendation:")
    assert grad_l2.span == CharSpan(
        len(mistake.prompt) + recommendation.start, len(mistake.prompt) + recommendation.end
    )
    assert not grad_l2.signed
    assert all(s.score >= 0.0 for s in grad_l2.segments)
    _assert_result_is_sane(grad_l2)
    # Sentences of the prompt and of the response before the span carry salience.
    response_before = [
        s for s in grad_l2.segments if len(mistake.prompt) <= s.start < grad_l2.span.start
    ]
    assert response_before
    assert any(s.score > 0 for s in response_before)


def test_codelab_finding_the_copied_example_ranks_in_the_top_three(
    grad_l2: SalienceResult, mistake: Generation
) -> None:
    """LIT's codelab: explaining the Recommendation with Grad L2 by sentence points at the first
    example's copied "Recommendation: You have to try it." (or its onion analysis)."""
    prompt = mistake.prompt
    first_example = prompt.index("Suggestion: Onion soup")
    assert first_example < prompt.index("Suggestion: Baguette")
    copied = prompt.index("Recommendation: You have to try it.", first_example)
    analysis = prompt.index("Analysis: it has cooked onions", first_example)
    assert copied < prompt.index("Suggestion: Baguette")
    copied_end = copied + len("Recommendation: You have to try it.")
    analysis_end = prompt.index("\n", analysis)
    ranks = {
        "copied recommendation": _rank(grad_l2, copied, copied_end),
        "onion analysis": _rank(grad_l2, analysis, analysis_end),
    }
    top = sorted(grad_l2.segments, key=lambda s: -s.score)[:5]
    assert min(ranks.values()) < 3, (ranks, [(s.text, s.score) for s in top])


def test_segment_scores_are_sums_of_their_token_scores(
    explainer: Explainer, mistake: Generation, recommendation: CharSpan, grad_l2: SalienceResult
) -> None:
    words = explainer.explain(mistake, recommendation, method="grad_dot_input", granularity="words")
    for result in (grad_l2, words):
        expected = _expected_segment_sums(result)
        assert [s.score for s in result.segments] == pytest.approx(expected, rel=1e-6, abs=1e-9)
        assert sum(s.score for s in result.segments) == pytest.approx(
            sum(result.token_scores), rel=1e-6, abs=1e-9
        )


def test_a_second_span_is_explained_from_the_cached_generation(
    real_model: Any,
    mistake: Generation,
    recommendation: CharSpan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    explainer = Explainer(real_model)  # a fresh cache
    generated: list[object] = []
    monkeypatch.setattr(real_model, "generate", lambda *a, **k: generated.append(a))
    first = explainer.explain(mistake, recommendation, method="grad_l2", granularity="sentences")
    assert len(explainer._cache) == 1
    advice = mistake.response.index("You have to try it.")
    second_span = CharSpan(advice, advice + len("You have to try it."))
    second = explainer.explain(mistake, second_span, method="grad_l2", granularity="sentences")
    assert len(explainer._cache) == 2
    assert generated == []
    assert second.span_text == "You have to try it."
    assert second.prompt == first.prompt
    assert second.response == first.response
    assert second.token_scores != first.token_scores
    _assert_result_is_sane(second)
    # Asking again for a span already explained computes nothing.
    monkeypatch.setattr(explain_module, "SpanObjective", _no_objective)
    again = explainer.explain(mistake, recommendation, method="grad_l2", granularity="sentences")
    assert again.token_scores == first.token_scores
    assert len(explainer._cache) == 2


def _no_objective(*args: object, **kwargs: object) -> None:
    raise AssertionError("the model was run again for cached token scores")


def test_switching_granularity_reuses_cached_token_scores(
    real_model: Any,
    mistake: Generation,
    recommendation: CharSpan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    explainer = Explainer(real_model)
    for method in ("grad_l2", "grad_dot_input"):
        sentences = explainer.explain(
            mistake, recommendation, method=method, granularity="sentences"
        )
        cached = len(explainer._cache)
        with monkeypatch.context() as patched:
            patched.setattr(explain_module, "SpanObjective", _no_objective)
            for granularity in ("words", "lines", "tokens", "paragraphs", "variables", "regex:,"):
                other = explainer.explain(
                    mistake, recommendation, method=method, granularity=granularity
                )
                assert other.granularity == granularity
                assert other.token_scores == sentences.token_scores
                if granularity in ("words", "tokens"):
                    assert len(other.segments) > len(sentences.segments)
                assert sum(s.score for s in other.segments) == pytest.approx(
                    sum(s.score for s in sentences.segments), rel=1e-6, abs=1e-9
                )
        assert len(explainer._cache) == cached


def test_variables_granularity_segments_are_the_variable_values(
    explainer: Explainer, mistake: Generation, recommendation: CharSpan
) -> None:
    document = _document("menu-fewshot-mistake")
    result = explainer.explain(mistake, recommendation, method="grad_l2", granularity="variables")
    assert mistake.source_map is not None
    variable_ranges = [(start, end) for start, end, _ in mistake.source_map.variable_spans()]
    in_variables = [
        s for s in result.segments if any(a <= s.start and s.end <= b for a, b in variable_ranges)
    ]
    assert [s.text for s in in_variables] == ["Cheese", "Can't eat eggs", "Quiche Lorraine"]
    for segment in in_variables:
        # Each maps back to its value in the front-matter, character by character.
        offsets = mistake.source_map.file_offsets[segment.start : segment.end]
        assert "".join(document.text[i] for i in offsets) == segment.text
        assert max(offsets) < document.body_offset
        assert np.isfinite(segment.score)
        assert segment.score > 0.0
    # Template text between the variables is split into lines, never across one.
    for segment in result.segments:
        if segment.end <= len(mistake.prompt):
            assert "\n" not in segment.text
    _assert_result_is_sane(result)


def test_grad_dot_input_is_signed(
    explainer: Explainer, mistake: Generation, recommendation: CharSpan
) -> None:
    result = explainer.explain(
        mistake, recommendation, method="grad_dot_input", granularity="sentences"
    )
    assert result.signed
    _assert_result_is_sane(result)
    scores = _scores(result)
    assert scores.min() < 0.0 < scores.max()


def test_a_span_outside_the_response_is_refused_before_any_model_work(
    real_model: Any, mistake: Generation, monkeypatch: pytest.MonkeyPatch
) -> None:
    explainer = Explainer(real_model)
    monkeypatch.setattr(explain_module, "SpanObjective", _no_objective)
    length = len(mistake.response)
    for span in (CharSpan(0, length + 1), CharSpan(length, length + 3), CharSpan(4, 4)):
        with pytest.raises(SpanError) as caught:
            explainer.explain(mistake, span, method="grad_l2", granularity="words")
        assert f"has {length} characters" in caught.value.problem
        assert f"0 <= start < end <= {length}" in caught.value.fix
    with pytest.raises(SpanError) as caught:
        find_span(mistake.response, "Bouillabaisse")
    assert "'Bouillabaisse' is not in the response" in caught.value.problem
    # A span given as offsets (the CLI's --span) is checked against the target of a run.
    prepared, run = _prepared("what-if-target", None)
    with pytest.raises(SpanError):
        run_case(explainer, prepared, attrs.evolve(run, span=(0, len(" Mixed") + 1)))
    assert len(explainer._cache) == 0


# --- what-if targets, integrated gradients and ablation (on the short what-if prompt) -------------


def test_what_if_target_is_explained_without_generating(
    what_if: tuple[SalienceResult, Explainer],
) -> None:
    result, _ = what_if
    assert not result.response_is_generated
    assert result.response == " Mixed"
    assert result.span_text == "Mixed"
    assert result.prompt.endswith("Sentiment:")
    assert result.granularity == "words"
    _assert_result_is_sane(result)


def test_integrated_gradients_and_ablation_give_finite_results_with_their_notes(
    what_if: tuple[SalienceResult, Explainer], real_model: Any
) -> None:
    _, explainer = what_if
    prepared, run = _prepared("what-if-target", None)
    generation = explainer.with_target(prepared.text, " Mixed", source_map=prepared.source_map)
    span = find_span(generation.response, run.explain)

    ig = explainer.explain(
        generation,
        span,
        method="integrated_gradients",
        granularity="words",
        method_options={"steps": 4.0},
    )
    assert ig.signed
    _assert_result_is_sane(ig)
    notes = ig.notes
    assert set(notes) >= {
        "steps",
        "completeness_gap",
        "completeness_gap_relative",
        "logprob_input",
        "logprob_baseline",
    }
    assert all(math.isfinite(v) for v in notes.values())
    assert notes["steps"] == 4
    assert notes["logprob_input"] < 0.0
    # The gap is what completeness leaves over: sum of scores - (f(input) - f(baseline)).
    difference = notes["logprob_input"] - notes["logprob_baseline"]
    assert notes["completeness_gap"] == pytest.approx(
        sum(ig.token_scores) - difference, rel=1e-4, abs=1e-3
    )
    assert notes["completeness_gap_relative"] == pytest.approx(
        abs(notes["completeness_gap"]) / abs(difference), rel=1e-6
    )

    # Lines, not the file's words: one forward pass per segment, and words would be 35 of them.
    ablation = explainer.explain(generation, span, method="segment_ablation", granularity="lines")
    assert ablation.signed
    _assert_result_is_sane(ablation)
    before_span = [s for s in ablation.segments if s.start < ablation.span.start]
    assert ablation.notes["segments_ablated"] == len(before_span)
    # Every method explains the same quantity: log p(span | prompt).
    assert ablation.notes["logprob_input"] == pytest.approx(notes["logprob_input"], abs=1e-3)
    # Ablation scores whole segments: a new granularity is a new computation, cached apart.
    cached = len(explainer._cache)
    other = explainer.explain(generation, span, method="segment_ablation", granularity="paragraphs")
    assert len(explainer._cache) == cached + 1
    assert other.notes["segments_ablated"] == len(
        [s for s in other.segments if s.start < other.span.start]
    )
    assert other.notes["segments_ablated"] < ablation.notes["segments_ablated"]
