"""Leave-one-segment-out: the change in log p(span) when a segment is hidden from the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..method import Attribution, SalienceMethod

if TYPE_CHECKING:
    from ..objective import SpanObjective

BATCH = 8


class SegmentAblation(SalienceMethod):
    """score(segment) = log p(span) - log p(span | segment hidden).

    A segment is hidden by masking its tokens out of attention (no other token can see them),
    which keeps positions and shapes fixed so all segments run batched. Positive: the segment
    made the span more likely. One forward pass per segment: more robust than gradients and
    costlier (the "ablation" family of the LIT codelab). Each segment's score is put on its
    first token so that sums over the segment give the score back.
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
        emb = objective.embeddings
        for start in range(0, len(candidates), BATCH):
            chunk = candidates[start : start + BATCH]
            masks = np.ones((BATCH, objective.length), np.int32)
            for row, group in enumerate(chunk):
                masks[row, group] = 0
            batch = jnp.broadcast_to(emb, (BATCH, *emb.shape))
            values = objective.values(batch, masks)
            for row, group in enumerate(chunk):
                scores[group[0]] = full - values[row]
        return Attribution(
            scores, {"logprob_input": full, "segments_ablated": float(len(candidates))}
        )
