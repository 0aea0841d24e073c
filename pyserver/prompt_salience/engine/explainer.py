"""The engine: generate a response, then explain any span of it with any method and granularity.

A `Generation` holds the token ids the model actually saw; explanations of several spans or with
several granularities reuse the cached token scores (only segment ablation depends on the
granularity, since it scores whole segments).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import numpy as np

from ..errors import Cancelled, InputTooLongError, PromptSalienceError, SpanError
from ..models.shapes import DEFAULT_MAX_LENGTH
from ..prompt.source_map import SourceMap
from ..results import CharSpan, SalienceResult, ScoredSegment
from ..salience.method import Attribution
from ..salience.multi_span import BATCHED_METHODS, SequenceGradients, SpanGradients, TokenRows
from ..salience.objective import SpanObjective, fill_gradient_scores
from ..salience.registry import get_method
from .segmentation import group_tokens, segment_text, sum_by_segment
from .span_selection import check_span
from .token_budget import GENERATE_LABEL, TARGET_LABEL, character_overflow, overflow

_generation_ids = count()
ROWS_MEMORY = 256 * 2**20  # the most the per-token gradient rows of one response may take
PREFETCHED = "prefetched_span"  # notes: scores computed in the background, before the click
FROM_ROWS = "summed_token_rows"  # notes: scores summed from per-token gradient rows


@dataclass(frozen=True)
class Generation:
    """A prompt and a response as token ids, with each token's characters."""

    model: str
    prompt: str
    response: str
    token_ids: tuple[int, ...]  # BOS + prompt tokens + response tokens
    token_spans: tuple[CharSpan, ...]  # spans in prompt + response, for token_ids[1:]
    prompt_token_count: int  # prompt tokens, BOS excluded
    generated: bool
    source_map: SourceMap | None = None
    key: int = field(default_factory=lambda: next(_generation_ids))

    @property
    def text(self) -> str:
        return self.prompt + self.response

    def span_tokens(self, span: CharSpan) -> tuple[int, int]:
        """Token indices [first, end) in `token_ids` of the response tokens that `span`
        (response offsets) touches."""
        check_span(self.response, span)
        shift = len(self.prompt)
        first = 1 + self.prompt_token_count
        hits = [
            first + j
            for j, s in enumerate(self.token_spans[self.prompt_token_count :])
            if (s.start - shift < span.end and s.end - shift > span.start)
            or (s.start == s.end and span.start <= s.start - shift < span.end)
        ]
        if not hits:
            raise SpanError(
                f"The span [{span.start}:{span.end}] covers no token of the response.",
                "Select at least one visible character of the response.",
            )
        return hits[0], hits[-1] + 1


class Explainer:
    """Runs a loaded model: generation, and salience for spans of its responses."""

    def __init__(self, model: Any, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        self.model = model
        self.max_length = max_length
        self._cache: OrderedDict[tuple[Any, ...], Attribution] = OrderedDict()
        self._cache_size = 128
        # Objectives memoize one backward pass shared by both gradient methods.
        self._objectives: OrderedDict[tuple[int, int, int], SpanObjective] = OrderedDict()
        # log p(span) per (generation, first token, end token): a few bytes each.
        self._logprobs: OrderedDict[tuple[int, int, int], float] = OrderedDict()
        # Per-token gradient rows of the latest prefetched response (one at a time: memory).
        self._rows: tuple[int, TokenRows] | None = None

    # -- building generations ------------------------------------------------------------
    def _prompt_ids(self, prompt: str, extra_tokens: int, what: str) -> Any:
        if not prompt.strip():
            raise PromptSalienceError(
                "The prompt is empty.", "Write the prompt's text (or fill its variables)."
            )
        early = character_overflow(prompt, extra_tokens, what, max_length=self.max_length)
        if early is not None:  # certain without a tokenizer pass (seconds on a huge input)
            raise InputTooLongError(early.problem(), early.fix())
        tokens = self.model.tokenizer.encode(prompt)
        found = overflow(
            1 + len(tokens.ids),
            extra_tokens,
            what,
            context=int(self.model.info.context_length),
            max_length=self.max_length,
        )
        if found is not None:
            raise InputTooLongError(found.problem(), found.fix())
        return tokens

    def generate(
        self,
        prompt: str,
        max_new_tokens: int,
        *,
        source_map: SourceMap | None = None,
        on_token: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Generation:
        """Greedy response to `prompt` (no chat template here: wrap the prompt first)."""
        if max_new_tokens < 1:
            raise PromptSalienceError(
                f"max_new_tokens is {max_new_tokens}.", "Set max_new_tokens to 1 or more."
            )
        tokens = self._prompt_ids(prompt, max_new_tokens, GENERATE_LABEL)
        ids = [self.model.tokenizer.bos_id, *tokens.ids]
        new = self.model.generate(ids, max_new_tokens, on_token=on_token, cancel=cancel)
        response = self.model.tokenizer.decode(new)
        return self._assemble(prompt, tokens, response, generated=True, source_map=source_map)

    def generate_batch(
        self,
        prompts: Sequence[tuple[str, SourceMap | None]],
        max_new_tokens: int,
        *,
        rows: int | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Generation]:
        """`generate` for several prompts in one batch (models/batched_generation.py): each
        response is the one the prompt would get alone."""
        from ..models.batched_generation import generate_batch

        tokens = [self._prompt_ids(p, max_new_tokens, GENERATE_LABEL) for p, _ in prompts]
        ids = [[self.model.tokenizer.bos_id, *t.ids] for t in tokens]
        news = generate_batch(self.model, ids, max_new_tokens, rows=rows, cancel=cancel)
        return [
            self._assemble(p, t, self.model.tokenizer.decode(new), generated=True, source_map=m)
            for (p, m), t, new in zip(prompts, tokens, news, strict=True)
        ]

    def with_target(
        self, prompt: str, target: str, *, source_map: SourceMap | None = None
    ) -> Generation:
        """A what-if: explain `target` as if the model had written it."""
        if not target:
            raise PromptSalienceError("The target is empty.", "Give a non-empty `target`.")
        target_tokens = self.model.tokenizer.encode(target)
        tokens = self._prompt_ids(prompt, len(target_tokens.ids), TARGET_LABEL)
        return self._assemble(prompt, tokens, target_tokens, generated=False, source_map=source_map)

    def _assemble(
        self,
        prompt: str,
        tokens: Any,
        response: Any,
        *,
        generated: bool,
        source_map: SourceMap | None,
    ) -> Generation:
        shift = len(prompt)
        spans = tuple(tokens.spans) + tuple(
            CharSpan(s.start + shift, s.end + shift) for s in response.spans
        )
        return Generation(
            model=str(self.model.info.name),
            prompt=prompt,
            response=response.text,
            token_ids=(self.model.tokenizer.bos_id, *tokens.ids, *response.ids),
            token_spans=spans,
            prompt_token_count=len(tokens.ids),
            generated=generated,
            source_map=source_map,
        )

    # -- explaining ----------------------------------------------------------------------
    def explain(
        self,
        generation: Generation,
        span: CharSpan,
        *,
        method: str,
        granularity: str,
        method_options: dict[str, float] | None = None,
        cancel: threading.Event | None = None,
    ) -> SalienceResult:
        """Salience of every segment of prompt + response for `span` (response offsets)."""
        salience = get_method(method, **(method_options or {}))
        first, end = generation.span_tokens(span)
        text = generation.text
        segments = segment_text(
            text,
            granularity,
            token_spans=generation.token_spans,
            source_map=generation.source_map,
            prompt_length=len(generation.prompt),
        )
        groups = group_tokens(segments, generation.token_spans)
        key = _cache_key(generation, first, end, method, method_options)
        if salience.scores_segments:
            key += (granularity,)
        attribution = self._cache.get(key) or self._from_rows(generation, first, end, method)
        if attribution is None:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            objective = self._objective(generation, first, end)
            shifted = [[i + 1 for i in group] for group in groups]  # +1: BOS
            attribution = salience.attribute(objective, shifted)
            self._remember(key, attribution)
        else:
            self._cache.move_to_end(key)
        logprob = self._span_value(generation, first, end, attribution)
        scores = np.zeros((len(generation.token_spans),), np.float64)
        available = attribution.token_scores[1:].astype(np.float64)
        scores[: len(available)] = available
        if not np.all(np.isfinite(scores)):
            raise PromptSalienceError(
                "The model produced non-finite salience scores.",
                "Try float32 precision, or another method.",
            )
        totals = sum_by_segment(scores.tolist(), groups)
        shift = len(generation.prompt)
        return SalienceResult(
            model=generation.model,
            method=method,
            granularity=granularity,
            signed=type(salience).signed,
            prompt=generation.prompt,
            response=generation.response,
            response_is_generated=generation.generated,
            span=CharSpan(span.start + shift, span.end + shift),
            segments=tuple(
                ScoredSegment(s.start, s.end, text[s.start : s.end], float(total))
                for s, total in zip(segments, totals, strict=True)
            ),
            token_spans=generation.token_spans,
            token_scores=tuple(float(x) for x in scores),
            notes=dict(attribution.notes),
            span_logprob=logprob,
        )

    def explain_batch(
        self,
        items: Sequence[tuple[Generation, CharSpan]],
        *,
        method: str,
        granularity: str,
        method_options: dict[str, float] | None = None,
        rows: int | None = None,
    ) -> list[SalienceResult]:
        """`explain` for several (generation, span) pairs. The gradient methods share one
        batched backward pass (objective.fill_gradient_scores); the others run one by one."""
        if method in BATCHED_METHODS:
            spans = [generation.span_tokens(span) for generation, span in items]
            while len(self._objectives) > 8:  # room for this batch's objectives
                self._objectives.popitem(last=False)
            objectives = [
                SpanObjective(self.model, g.token_ids, first, end)
                for (g, _), (first, end) in zip(items, spans, strict=True)
            ]
            fill_gradient_scores(objectives, rows=rows)
            for (g, _), (first, end), objective in zip(items, spans, objectives, strict=True):
                self._objectives[(g.key, first, end)] = objective
        results = []
        for generation, span in items:
            results.append(
                self.explain(
                    generation,
                    span,
                    method=method,
                    granularity=granularity,
                    method_options=method_options,
                )
            )
        return results

    def span_logprob(self, generation: Generation, span: CharSpan) -> float:
        """log p(span | everything before it) in nats, summed over the span's tokens (`span`:
        response offsets). One forward pass, no gradient; cached per (generation, span)."""
        first, end = generation.span_tokens(span)
        return self._span_value(generation, first, end, None)

    def _span_value(
        self, generation: Generation, first: int, end: int, attribution: Attribution | None
    ) -> float:
        key = (generation.key, first, end)
        value = self._logprobs.get(key)
        if value is None:
            value = self._known_value(key, attribution)
        if value is None:
            objective = self._objective(generation, first, end)
            every_token = np.ones((1, objective.length), np.int32)
            value = float(objective.values(objective.embeddings[None], every_token)[0])
        if not np.isfinite(value):
            raise PromptSalienceError(
                "The model gave the explained span a non-finite log-probability.",
                "Try float32 precision.",
            )
        self._logprobs[key] = value
        self._logprobs.move_to_end(key)
        while len(self._logprobs) > self._cache_size:
            self._logprobs.popitem(last=False)
        return value

    def _known_value(
        self, key: tuple[int, int, int], attribution: Attribution | None
    ) -> float | None:
        """log p(span) if the attribution already computed it: forward-pass methods note it
        (`logprob_input`), and the gradient methods' backward pass is memoized on the objective
        with its value. None when a forward pass is still needed."""
        if attribution is not None and "logprob_input" in attribution.notes:
            return float(attribution.notes["logprob_input"])
        objective = self._objectives.get(key)
        return None if objective is None else objective.known_value

    def _objective(self, generation: Generation, first: int, end: int) -> SpanObjective:
        key = (generation.key, first, end)
        objective = self._objectives.get(key)
        if objective is None:
            objective = SpanObjective(self.model, generation.token_ids, first, end)
            self._objectives[key] = objective
            while len(self._objectives) > 8:
                self._objectives.popitem(last=False)
        self._objectives.move_to_end(key)
        return objective

    def _remember(self, key: tuple[Any, ...], attribution: Attribution) -> None:
        self._cache[key] = attribution
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    # -- ahead of the click ----------------------------------------------------------------
    def prefetch(
        self,
        generation: Generation,
        spans: Sequence[CharSpan],
        *,
        method: str,
        cancel: threading.Event,
        batch: int = 2,
        token_rows: bool = True,
    ) -> Prefetched:
        """Fill the cache with the gradient methods' scores of `spans` (response offsets), so
        that `explain` answers them without the model; then, if `token_rows`, compute every
        response token's gradient rows, from which any other span is a sum. Nothing for a
        `method` that is not a gradient method (those cost a pass per span and option).

        `batch` spans (or rows) per jitted call: one forward pass and `batch` backward passes.
        A click waits for the call in flight: on a 2-core CPU one call of 2 costs 1.7x a first
        explanation, of 4 2.4x (docs/benchmarks/reselect-cpu.txt); bigger batches finish sooner.
        Raises Cancelled at the first check after `cancel` is set; what is done stays done."""
        if not can_prefetch(method):
            return Prefetched(spans=0)
        ranges: list[tuple[int, int]] = []
        for span in spans:
            try:
                found = generation.span_tokens(span)
            except SpanError:
                continue
            if found not in ranges and not self._cached(generation, *found):
                ranges.append(found)
        done = Prefetched(spans=len(ranges))
        if len(generation.token_ids) < 2 + generation.prompt_token_count:
            return done  # no response token
        sequence = SequenceGradients(self.model, generation.token_ids, len(generation.token_ids))
        for at in range(0, len(ranges), batch):
            if cancel.is_set():
                raise Cancelled()
            for scores in sequence.span_gradients(ranges[at : at + batch], batch=batch):
                self._file(generation, scores, {PREFETCHED: 1.0})
        if token_rows:
            done.rows = self._fill_rows(generation, sequence, batch, cancel)
        return done

    def _fill_rows(
        self,
        generation: Generation,
        sequence: SequenceGradients,
        batch: int,
        cancel: threading.Event,
    ) -> int:
        """Compute the response tokens' gradient rows (resuming any done); how many were new."""
        first, end = 1 + generation.prompt_token_count, len(generation.token_ids)
        if TokenRows.nbytes(first, end, int(self.model.hidden_dim)) > ROWS_MEMORY:
            return 0
        if self._rows is None or self._rows[0] != generation.key:
            self._rows = None  # free the old rows before making new ones
            self._rows = (generation.key, TokenRows(sequence.input_embeddings(), first, end))
        rows = self._rows[1]
        known = rows.filled
        while not rows.complete:
            if cancel.is_set():
                raise Cancelled()
            rows.add(*sequence.token_rows(rows.filled, batch))
        return rows.filled - known

    def _cached(self, generation: Generation, first: int, end: int) -> bool:
        """Whether both gradient methods can answer [first, end) without the model."""
        objective = self._objectives.get((generation.key, first, end))
        if objective is not None and objective.known_value is not None:
            return True  # its backward pass is memoized (the run's own span)
        return all(
            _cache_key(generation, first, end, method, None) in self._cache
            for method in BATCHED_METHODS
        )

    def _file(self, generation: Generation, scores: SpanGradients, notes: dict[str, float]) -> None:
        """Cache both gradient methods' attributions of one span, and its log p."""
        for method, attribution in scores.attributions(notes).items():
            self._remember(
                _cache_key(generation, scores.first, scores.end, method, None), attribution
            )
        key = (generation.key, scores.first, scores.end)
        self._logprobs[key] = scores.logprob
        self._logprobs.move_to_end(key)

    def _from_rows(
        self, generation: Generation, first: int, end: int, method: str
    ) -> Attribution | None:
        """The attribution summed from the gradient rows, when they hold the span."""
        if self._rows is None or self._rows[0] != generation.key or method not in BATCHED_METHODS:
            return None
        if not self._rows[1].covers(first, end):
            return None
        scores = self._rows[1].span(first, end)
        self._file(generation, scores, {FROM_ROWS: 1.0})
        return self._cache[_cache_key(generation, first, end, method, None)]


def can_prefetch(method: str) -> bool:
    """Whether `Explainer.prefetch` computes anything for `method` (the gradient methods)."""
    return method in BATCHED_METHODS


@dataclass
class Prefetched:
    """What a prefetch computed: spans scored, and response tokens given gradient rows."""

    spans: int
    rows: int = 0


def _cache_key(
    generation: Generation,
    first: int,
    end: int,
    method: str,
    options: dict[str, float] | None,
) -> tuple[Any, ...]:
    return (generation.key, first, end, method, tuple(sorted((options or {}).items())))
