"""Leave-one-segment-out: the change in log p(span) when a segment is hidden from the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..method import Attribution, SalienceMethod

if TYPE_CHECKING:
    from ..objective import SpanObjective

BATCH = 8
PAD_ID = 0  # Gemma's padding token: what a hidden segment's tokens become


class SegmentAblation(SalienceMethod):
    """score(segment) = log p(span) - log p(span | segment hidden).

    Hiding a segment: each of its tokens is replaced by the padding token's embedding, and
    masked out of attention as a key (no other token can see it). Positions and shapes stay
    fixed, so all segments run batched. The replacement matters for the token just before the
    span: it predicts the span's first token from its own position, so masking it as a key alone
    would leave its own embedding in the residual stream that makes that prediction. With both,
    nothing of the segment reaches the span; what remains at its positions is the padding
    embedding, at those positions, which itself attends to the unhidden tokens before it.
    Positive: the segment made the span more likely. One forward pass per segment: more robust
    than gradients and costlier (the "ablation" family of the LIT codelab). Each segment's score
    is put on its first token so that sums over the segment give the score back.
    """

    name = "segment_ablation"
    label = "Segment ablation"
    description = "Log-probability drop when a segment is hidden: signed."
    signed = True
    cost = "one forward pass per segment"
    order = 40
    scores_segments = True

    def attribute(
        self, objective: SpanObjective, groups: list[list[int]] | None = None
    ) -> Attribution:
        import jax.numpy as jnp
        import numpy as np

        keep = objective.attributable
        candidates = [[i for i in group if keep.start <= i < keep.stop] for group in (groups or [])]
        candidates = [g for g in candidates if g]
        base_mask = np.ones((objective.length,), np.int32)
        full = float(objective.values(objective.embeddings[None], base_mask[None])[0])
        scores = np.zeros((objective.length,), np.float32)
        emb = objective.embeddings  # (T padded, d)
        padding = objective.model.embed(objective.weights, jnp.asarray([PAD_ID], jnp.int32))[0]
        for start in range(0, len(candidates), BATCH):
            chunk = candidates[start : start + BATCH]
            masks = np.ones((BATCH, objective.length), np.int32)
            hidden = np.zeros((BATCH, emb.shape[0], 1), np.float32)
            for row, group in enumerate(chunk):
                masks[row, group] = 0
                hidden[row, group] = 1.0
            rows = jnp.asarray(hidden, emb.dtype)
            batch = emb[None] * (1 - rows) + padding[None, None, :] * rows
            values = objective.values(batch, masks)
            for row, group in enumerate(chunk):
                scores[group[0]] = full - values[row]
        return Attribution(
            scores, {"logprob_input": full, "segments_ablated": float(len(candidates))}
        )
